"""One vocabulary, one registry per concept: every adapter covers every name of the reference's registries (or
declares, with a reason, that it does not apply), every framework is one registry row, and unknown names raise.
"""

import importlib
import tomllib
from pathlib import Path

import numpy as np
import pytest

import reference
from parity import case as case_module
from parity import error_scale, frameworks
from parity.frameworks import REGISTRY, NotApplicable, lookup
from parity.report import figures, teaching

VOCABULARY = {
    "activations": set(reference.ACTIVATIONS),
    "losses": set(reference.LOSSES),
    "optimizers": set(case_module.OPTIMIZERS),
}
ADAPTERS = sorted({row.module for row in REGISTRY.values()})


@pytest.mark.parametrize("module", ADAPTERS)
@pytest.mark.parametrize("vocabulary", sorted(VOCABULARY))
def test_every_adapter_covers_every_name_of_the_vocabulary(module, vocabulary):
    # the adapter modules import their framework lazily, so this runs without any framework installed
    adapter = importlib.import_module(f"parity.implementations.{module}")
    table = adapter.COVERAGE[vocabulary]
    missing, extra = VOCABULARY[vocabulary] - set(table), set(table) - VOCABULARY[vocabulary]
    assert not missing and not extra, f"{module} misses {sorted(missing)} and has extra {sorted(extra)}"
    for name, entry in table.items():
        assert callable(entry) or (isinstance(entry, NotApplicable) and entry.reason), (module, vocabulary, name)


@pytest.mark.parametrize("module", ADAPTERS)
def test_every_adapter_follows_the_protocol(module):
    adapter = importlib.import_module(f"parity.implementations.{module}")
    for function in ("runtime_defaults", "run", "iterate"):
        assert callable(getattr(adapter, function)), f"{module} has no {function}"


def test_an_unknown_or_inapplicable_name_raises_with_the_valid_names_or_the_reason():
    with pytest.raises(ValueError, match=r"torch has no loss 'hinge'; valid names: a, b"):
        lookup({"a": len, "b": len}, "hinge", "loss", "torch")
    with pytest.raises(ValueError, match=r"does not implement the loss 'a': no such part"):
        lookup({"a": NotApplicable("no such part")}, "a", "loss", "torch")
    with pytest.raises(ValueError, match=r"unknown framework 'mxnet'; valid names: torch, torch-logits"):
        frameworks.get("mxnet")


def test_the_error_model_raises_on_an_activation_or_loss_it_does_not_know():
    Z = np.zeros((2, 2))
    with pytest.raises(ValueError, match="no error model for the activation 'swish'"):
        error_scale._g_prime("swish", Z, Z)
    with pytest.raises(ValueError, match="no error model for the loss 'hinge'"):
        error_scale._loss_gradient_error("hinge", Z + 0.5, Z, Z)


def test_every_row_has_a_declared_marker_a_teaching_column_and_its_own_plot_style():
    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    # the marker's declared name, exactly (not a substring: "torch" is inside "torch-logits" and "keras-torch")
    markers = {line.split(":")[0].strip() for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    # one figure with every framework's line: each is drawn in its row's own colour and dashes, and no two alike
    svg = figures.cost_curves({name: [1.0, 0.5] for name in REGISTRY}, "every framework")
    for row in REGISTRY.values():
        assert row.marker in markers, f"{row.name}: marker {row.marker!r} is not declared in pyproject.toml"
        assert row.family in teaching.COLUMNS, f"{row.name}: no teaching column for its family {row.family!r}"
        assert all(row.family in texts for texts in teaching.QUANTITIES.values()), row.name
        colour, dashes, _ = row.style
        dash = figures._DASHES.get(dashes, dashes)
        drawn = f'stroke="{colour}"' + (f' stroke-dasharray="{dash}"' if dash else "")
        assert svg.count(drawn) >= 2, f"{row.name}: its line and legend are not drawn as {drawn}"
    styles = [(row.style[0], figures._DASHES.get(row.style[1], row.style[1])) for row in REGISTRY.values()]
    assert len(set(styles)) == len(styles), "two frameworks would be drawn alike"


def test_the_cli_offers_exactly_the_registry():
    from parity.cli import build_parser

    report = build_parser()._subparsers._group_actions[0].choices["report"]
    action = next(a for a in report._actions if "--framework" in a.option_strings)
    # the names listed, read whole ("torch" is inside "torch-logits": a substring test would not notice it gone)
    listed = action.help.split(":", 1)[1].split("(")[0].replace(",", " ").split()
    assert listed == list(REGISTRY)
