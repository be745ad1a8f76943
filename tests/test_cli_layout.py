"""The command line's layout: one module per command in parity/cli/, each registered in ``COMMANDS`` once, each
adding its own sub-command, with the help text ``python -m parity --help`` lists it by."""

import argparse
import importlib
import pkgutil

import pytest

import parity.cli
from parity.cli import COMMANDS, build_parser

MODULES = sorted(info.name for info in pkgutil.iter_modules(parity.cli.__path__) if not info.name.startswith("_"))


def test_every_command_module_is_in_the_command_table_under_its_own_name():
    assert sorted(COMMANDS) == MODULES, "a module of parity/cli/ is not a command of COMMANDS, or the reverse"
    for name, module in COMMANDS.items():
        assert module is importlib.import_module(f"parity.cli.{name}"), f"COMMANDS[{name!r}] is another module"


@pytest.mark.parametrize("name", MODULES)
def test_each_command_module_adds_its_own_sub_command_with_help_text(name):
    module = importlib.import_module(f"parity.cli.{name}")
    commands = argparse.ArgumentParser().add_subparsers()
    module.add_parser(commands)
    assert list(commands.choices) == [name], f"parity/cli/{name}.py adds {list(commands.choices)}, not {name!r}"
    listed = {action.dest: action.help for action in commands._choices_actions}
    assert listed.get(name, "").strip(), f"parity/cli/{name}.py adds {name!r} without help text"
    assert callable(getattr(module, "run", None)), f"parity/cli/{name}.py has no run(args)"


def test_the_parser_offers_every_command_of_the_table_and_no_other():
    subparsers = build_parser()._subparsers._group_actions[0]
    assert list(subparsers.choices) == list(COMMANDS)
