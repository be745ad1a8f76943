"""One vocabulary, one registry per concept: every adapter covers every name of the reference's registries (or
declares, with a reason, that it does not apply), every framework is one registry row, and unknown names raise.
"""

import importlib
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import reference
from parity import bench, conventions, environment, error_scale, frameworks, layout
from parity import case as case_module
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
    for function in ("runtime_defaults", "run", "iterate", "stepper"):
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


def _placeholders(text: str) -> set[str]:
    """The frameworks a text's installed defaults name: "keras-jax" for {keras-jax[epsilon]}."""
    return set(re.findall(r"\{([a-z-]+)\[", text))


def test_every_framework_the_conventions_name_is_a_registry_row():
    assert conventions.KERAS == tuple(name for name in REGISTRY if REGISTRY[name].family == "keras")
    assert conventions.TORCH == tuple(name for name in REGISTRY if REGISTRY[name].family == "torch")
    for convention in conventions.CONVENTIONS:
        unknown = (set(convention.frameworks) | _placeholders(convention.explanation)) - set(REGISTRY)
        assert convention.frameworks and not unknown, f"{convention.id} names {sorted(unknown)}, not registry rows"


def test_every_teaching_column_and_text_is_a_registry_family_and_every_default_a_row():
    families = {row.family for row in REGISTRY.values()}
    assert list(teaching.COLUMNS) == list(dict.fromkeys(row.family for row in REGISTRY.values()))
    for name, texts in {**teaching.QUANTITIES, **teaching.TECHNIQUES}.items():
        keyed = set(texts) - {"equation", "why"}
        assert keyed == families, f"{name}: texts for {sorted(keyed)}, the registry's families are {sorted(families)}"
        named = set().union(*(_placeholders(text) for text in texts.values()))
        assert named <= set(REGISTRY), f"{name}: defaults of {sorted(named - set(REGISTRY))}, not registry rows"


def test_the_bench_times_registry_rows_through_their_adapters_stepper():
    assert bench.IMPLEMENTATIONS == ("reference", *(name for row in REGISTRY.values() for name in row.bench))
    for implementation, (framework, compiled) in bench.TIMED.items():
        row = frameworks.get(framework)
        assert implementation == (f"{row.name}-function" if compiled else row.name), implementation
        assert callable(importlib.import_module(f"parity.implementations.{row.module}").stepper), row.module
    with pytest.raises(ValueError, match=r"unknown implementation 'mxnet'; valid names: reference, torch"):
        bench.run(implementations=("mxnet",))


def test_layouts_keras_backends_and_families_are_read_from_the_registry():
    W = np.arange(6.0).reshape(2, 3)
    for row in REGISTRY.values():
        stored = layout.parameter_to_framework("W1", W, row.family)
        assert stored.shape == ((3, 2) if row.kernel else (2, 3)), row.name
        assert np.array_equal(layout.parameter_from_framework("W1", stored, row.family), W), row.name
    with pytest.raises(ValueError, match=r"unknown framework family 'mxnet'; valid families: torch, keras, jax"):
        layout.parameter_to_framework("W1", W, "mxnet")
    assert environment.keras_backends() == ("tensorflow", "jax", "torch")
    keras_adapter = importlib.import_module("parity.implementations.keras")
    assert keras_adapter.BACKENDS == {row.name: row.keras_backend for row in REGISTRY.values() if row.module == "keras"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_row_has_its_fields_filled(name):
    row = REGISTRY[name]
    for text in ("name", "label", "family", "module", "marker", "applies_text"):
        assert isinstance(getattr(row, text), str) and getattr(row, text), f"{name}: no {text}"
    assert row.packages and all(row.packages), f"{name}: no packages"
    assert callable(row.applies) and len(row.style) == 3 and all(row.style), f"{name}: applies or style"
    assert all(isinstance(a, frameworks.Absence) and a.reason for a in row.absent), f"{name}: an absence"
    assert row.keras_backend is None or row.module == "keras", f"{name}: a Keras backend outside Keras"
    relatives = frameworks.family(row.family)
    # a family's own fields: one teaching column (on its first row), one weight layout
    assert [r.column for r in relatives if r.column] == [relatives[0].column], f"{row.family}: one column"
    assert {r.kernel for r in relatives} == {row.kernel}, f"{row.family}: one weight layout"
    assert all(bench_name in (name, f"{name}-function") for bench_name in row.bench), f"{name}: bench names"
