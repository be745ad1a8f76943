"""One vocabulary, one registry per concept: every adapter covers every name of the reference's registries (or
declares, with a reason, that it does not apply), every framework is one registry row, and unknown names raise.
"""

import ast
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
    "schedules": set(reference.SCHEDULES),
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
        if vocabulary == "schedules" and name == "constant":  # no scheduler: the optimizer's own fixed rate
            assert entry is None, (module, name)
            continue
        built = entry.build if isinstance(entry, frameworks.Optimizer) else entry
        assert callable(built) or (isinstance(entry, NotApplicable) and entry.reason), (module, vocabulary, name)


@pytest.mark.parametrize("module", ADAPTERS)
@pytest.mark.parametrize("name", sorted(reference.optimizers.OPTIMIZERS))
def test_every_adapters_state_map_holds_exactly_the_optimizer_records_slots(module, name):
    # the adapters load and read the optimizer's state through these maps alone: a slot missing here would be
    # neither loaded nor compared, so each must name every slot of the record and nothing else
    row = importlib.import_module(f"parity.implementations.{module}").OPTIMIZERS[name]
    if isinstance(row, NotApplicable):
        return
    record = reference.optimizers.get_optimizer(name)
    assert isinstance(row, frameworks.Optimizer), (module, name)
    assert set(row.state) == set(record.slots), f"{module}'s {name} keeps {sorted(row.state)}, not {record.slots}"
    assert all(isinstance(key, str) and key for key in row.state.values()), (module, name)
    if module == "jax":
        assert (row.holder is not None) == bool(record.slots), f"jax's {name}: no optax state holds its slots"


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


def test_unknown_activation_loss_and_optimizer_names_raise_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'; valid names: leaky_relu, linear, "):
        reference.get_activation("swish")
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names: binary_crossentropy"):
        reference.losses.get_loss("hinge")
    with pytest.raises(ValueError, match="unknown optimizer 'lion'; valid names: sgd, momentum, adam"):
        reference.optimizers.get_optimizer("lion")


def test_the_error_model_names_no_activation_loss_or_optimizer():
    # it is derived from the records: a string naming one of them is a branch that a new name would miss
    names = set(reference.ACTIVATIONS) | set(reference.LOSSES) | set(reference.optimizers.OPTIMIZERS)
    tree = ast.parse(Path(error_scale.__file__).read_text())
    found = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in names}
    assert not found, f"parity/error_scale.py branches on {sorted(found)}"


@pytest.mark.parametrize("name", [n for n, g in reference.ACTIVATIONS.items() if g.elementwise])
def test_each_activation_records_derivatives_agree_with_its_backward_pass(name):
    g = reference.ACTIVATIONS[name]
    Z = np.concatenate([np.linspace(-3, 3, 13), [0.0]]).reshape(2, 7)
    A, dA = g.forward(Z), np.full_like(Z, 0.5)
    np.testing.assert_allclose(g.derivative(Z, A) * dA, g.backward(dA, Z), rtol=1e-14, atol=0)
    assert (g.size_of_derivative(Z, A) >= np.abs(g.derivative(Z, A))).all()
    h = 1e-6  # |g''|: the central difference of g' where g is smooth (away from a kink at 0)
    smooth = Z != 0
    numeric = (g.derivative(Z + h, g.forward(Z + h)) - g.derivative(Z - h, g.forward(Z - h))) / (2 * h)
    np.testing.assert_allclose(np.broadcast_to(g.second_derivative(A), Z.shape)[smooth],
                               np.abs(numeric)[smooth], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(reference.LOSSES))
def test_each_loss_records_scale_is_its_output_gradient_through_its_activation(name):
    loss = reference.LOSSES[name]
    g = reference.get_activation(loss.fused_with)
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((3, 5))
    A = g.forward(Z)
    Y = np.eye(3)[:, rng.integers(0, 3, 5)] if loss.distribution else rng.uniform(0, 1, (3, 5))
    np.testing.assert_allclose(g.backward(loss.gradient(A, Y), Z), loss.scale(3) * (A - Y), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(reference.optimizers.OPTIMIZERS))
def test_each_optimizer_records_state_slots_are_the_state_it_keeps(name):
    optimizer = reference.optimizers.get_optimizer(name)(learning_rate=0.1)
    reference.update({"W1": np.ones((2, 2))}, {"dW1": np.full((2, 2), 0.5)}, optimizer)
    assert set(optimizer.state()) == {f"{slot}_dW1" for slot in optimizer.slots}
    assert optimizer.name == name and isinstance(optimizer.counted, bool)


def test_the_grid_covers_every_name_of_the_vocabulary():
    grid = case_module.GRID
    assert {c.optimizer for c in grid} == set(reference.optimizers.OPTIMIZERS)
    assert {c.loss for c in grid} == set(reference.LOSSES)
    hidden = {reference.get_activation(a).name for c in grid for a in c.activations[:-1]}
    outputs = {reference.get_activation(c.activations[-1]).name for c in grid}
    assert hidden == outputs == set(reference.ACTIVATIONS)
    assert {c.schedule for c in grid} == set(reference.SCHEDULES)


def test_the_grid_runs_mini_batch_epochs_with_every_schedule_adam_and_rmsprop():
    epochs = [c for c in case_module.GRID if c.mini_batch_size]
    # two epochs or more, the last batch of each epoch partial, so the shuffle and the remainder are both exercised
    assert epochs and all(c.steps >= 2 * c.batches_per_epoch and c.m % c.mini_batch_size for c in epochs)
    assert {"adam", "rmsprop"} <= {c.optimizer for c in epochs}
    assert {c.schedule for c in epochs} == set(reference.SCHEDULES)


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
