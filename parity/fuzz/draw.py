"""Drawing cases: the spaces a fuzzed case is drawn from, the draw itself, and the check that a case lies inside.

    draw_case(choose, stem)     one valid Case from the spaces below; ``choose(label, options)`` picks one option,
                                from a numpy Generator (``numpy_chooser``) or from Hypothesis (``hypothesis_cases``)
    generate(seed, i)           case i of seed: a function of (seed, i) alone, named ``fuzz-s{seed}-{i}-{dtype}``
    check(case)                 refuses a case outside the spaces every framework can run

A seed's cases depend on the order of every space's options, so each space keeps its order: a new option goes last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import reference
from parity.case import EDGES, OPTIMIZERS, Case
from reference.losses import FUSED_OUTPUT_GRADIENTS

Choose = Callable[[str, Sequence], object]

# The spaces a case is drawn from. Each lists its simplest option first: Hypothesis shrinks towards it, and so
# does ``shrink``.
DEPTHS = range(1, 6)  # L, the number of layers with weights
WIDTHS = range(1, 65)  # n_x and every n[l]
# The reference's registry, simplest first; a leaky ReLU is drawn bare (its default slope differs between
# frameworks: a convention, see parity.conventions) or with an explicit slope: 0.2 is Keras's functional default,
# 0.3 its LeakyReLU layer's, 0.5 far from every default.
BASE_ACTIVATIONS = ("linear", *(name for name in reference.ACTIVATIONS if name != "linear"))
LEAKY_SLOPES = (None, 0.2, 0.3, 0.5)
ACTIVATIONS = BASE_ACTIVATIONS + tuple(f"leaky_relu({slope})" for slope in LEAKY_SLOPES if slope is not None)
# The reference's losses, each with the outputs it is drawn after. A cross-entropy's frameworks fuse its output
# activation into the loss (torch's CrossEntropyLoss and BCEWithLogitsLoss take the logits Z[L]), so it is drawn
# only after the output the reference fuses with it (reference.losses.FUSED_OUTPUT_GRADIENTS: a sigmoid for binary,
# a softmax for categorical); a loss fused with none (MSE) takes any output, and is the simplest: it comes first.
_FUSED = {loss: tuple(g for g, fused in FUSED_OUTPUT_GRADIENTS if fused == loss) for loss in reference.LOSSES}
LOSSES = tuple(sorted(reference.LOSSES, key=lambda loss: bool(_FUSED[loss])))
# The fewest output units, where more than one: the fuzzer's own table, since nothing in the reference forbids one
# unit (its softmax over one unit is A = 1, drawn on purpose after MSE). A categorical cross-entropy over one class
# has Y = A = 1, so J = 0 and every gradient is 0 in every framework: nothing to compare.
FEWEST_OUTPUTS = {"categorical_crossentropy": 2}
if not set(FEWEST_OUTPUTS) <= set(reference.LOSSES):
    raise RuntimeError(f"parity.fuzz.draw.FEWEST_OUTPUTS names {sorted(FEWEST_OUTPUTS)}, the reference's losses are "
                       f"{sorted(reference.LOSSES)}")
# loss -> (the output activations it accepts, the fewest output units): the pairs the reference and every
# framework run.
OUTPUTS = {loss: (_FUSED[loss] or ACTIVATIONS, FEWEST_OUTPUTS.get(loss, 1)) for loss in LOSSES}
LEARNING_RATES = (0.1, 0.001, 0.01, 0.05, 0.5, 1.0)  # 0.1 is Case's default
DTYPES = ("float64", "float32")
BATCH_SIZES = (1, 2, 3, 5, 8, 16, 32, 64, 128, 256)
STEPS = range(1, 5)
INPUT_SCALES = (1.0, 0.01, 0.1, 10.0, 100.0)  # X ~ N(0, scale^2)
LAMBDAS = (0.0, 0.0, 0.1, 0.7, 5.0)  # L2 regularisation: none, half the time
WEIGHT_DECAYS = (0.0, 0.0, 0.1, 1.0)  # decoupled weight decay, where there is no L2: none, half the time
KEEP_PROBS = (1.0, 1.0, 0.8, 0.5)  # dropout on the hidden layers (a network with one): none, half the time
BATCHNORMS = (False, False, True)  # batch normalisation of the hidden layers (a network with one, m >= 2)
# "zeros" is left out: it warns by design and makes every gradient below the last layer exactly 0.
INITS = ("xavier", "he", "glorot", "normal")  # the normal laws (fixed, so a seed keeps drawing the same cases)
# Mini-batch epochs, where the case has no L2, dropout or batch normalisation (parity.case: what mini-batches
# combine with) and m >= 2: none half the time, else B mini-batches an epoch of ceil(m / B) samples each (the last
# one partial where B does not divide m), B drawn small so that a few steps run two epochs or more.
BATCHES_PER_EPOCH = (None, None, 2, 3, 4)
# The reference's schedules (reference.SCHEDULES), constant half the time; never with momentum (Keras's velocity
# holds every past rate: parity.case refuses the pair). Each drawn schedule draws its decay rate and interval.
SCHEDULES = ("constant", "constant", *(name for name in reference.SCHEDULES if name != "constant"))
DECAY_RATES = (1.0, 0.5, 0.9, 2.0)
DECAY_INTERVALS = (1, 2, 3)
# About one case in five gets one of the edges that apply to it (parity.case.EDGES).
EDGE_ODDS = 4

RELU_FAMILY = ("relu", "leaky_relu")

def numpy_chooser(rng: np.random.Generator) -> Choose:
    """``choose`` drawing uniformly from ``rng``."""
    return lambda label, options: options[int(rng.integers(len(options)))]


def applicable_edges(layer_dims, activations, loss: str, dtype: str) -> tuple[str, ...]:
    """The edges of ``parity.case.EDGES`` that mean what they say for this network."""
    output = reference.get_activation(activations[-1]).name
    edges = []
    if len(activations) > 1 and reference.get_activation(activations[0]).name in RELU_FAMILY:
        edges += ["zero_preactivation", "dead_relu"]
    if output == "sigmoid":
        edges.append("saturated_sigmoid")
        if loss == "binary_crossentropy" and dtype == "float64":
            edges.append("bce_log_clamp")  # in float32, sigmoid(-110) is 0 and log 0 is -inf: nothing to compare
    if output == "softmax":
        edges.append("large_logits")
    return tuple(e for e in EDGES if e in edges)


def draw_case(choose: Choose, stem: str) -> Case:
    """One case from the spaces above, named ``{stem}-{dtype}``; every choice is made through ``choose``."""
    L = choose("depth", DEPTHS)
    loss = choose("loss", LOSSES)
    outputs, fewest = OUTPUTS[loss]
    layer_dims = [choose(f"n[{l}]", WIDTHS) for l in range(L)]
    layer_dims.append(max(fewest, choose(f"n[{L}]", WIDTHS)))
    activations = [_activation(choose, f"g[{l}]", ACTIVATIONS) for l in range(1, L)]
    activations.append(_activation(choose, f"g[{L}]", outputs))
    dtype = choose("dtype", DTYPES)
    edges = applicable_edges(layer_dims, activations, loss, dtype)
    optimizer, rate = choose("optimizer", OPTIMIZERS), choose("learning rate", LEARNING_RATES)
    steps, m = choose("steps", STEPS), choose("m", BATCH_SIZES)  # drawn in this order, as before
    init, edge = choose("init", INITS), choose("edge", (None,) * (EDGE_ODDS * len(edges)) + edges) if edges else None
    scale, lambd = choose("input scale", INPUT_SCALES), choose("lambd", LAMBDAS)
    keep_prob = choose("keep_prob", KEEP_PROBS) if L > 1 else 1.0
    batchnorm = choose("batchnorm", BATCHNORMS) if L > 1 and m > 1 else False
    weight_decay = choose("weight_decay", WEIGHT_DECAYS) if not lambd else 0.0
    return Case(
        name=f"{stem}-{dtype}",
        layer_dims=tuple(layer_dims),
        activations=tuple(activations),
        loss=loss,
        optimizer=optimizer,
        learning_rate=rate,
        dtype=dtype,
        steps=steps,
        m=m,
        init=init,
        edge=edge,
        input_scale=scale,
        lambd=lambd,
        keep_prob=keep_prob,
        batchnorm=batchnorm,
        weight_decay=weight_decay,
        **_epochs(choose, optimizer, rate, m, plain=not lambd and keep_prob == 1 and not batchnorm),
    )


def _epochs(choose: Choose, optimizer: str, rate: float, m: int, plain: bool) -> dict:
    """The mini-batch and schedule fields, drawn last so that a seed's other choices keep their values:
    mini-batches only for a ``plain`` case (no L2, dropout or batch normalisation), a schedule never with
    momentum."""
    batches = choose("batches per epoch", BATCHES_PER_EPOCH) if plain and m > 1 else None
    schedule = choose("schedule", SCHEDULES) if optimizer != "momentum" else "constant"
    fields = {"mini_batch_size": None if batches is None else -(-m // min(batches, m)), "schedule": schedule}
    if schedule != "constant":
        fields["decay_rate"] = choose("decay_rate", DECAY_RATES)
        fields["decay_interval"] = choose("decay_interval", DECAY_INTERVALS)
    return fields


def _activation(choose: Choose, label: str, names: Sequence[str]) -> str:
    """A registry name from ``names``, each base name equally likely; a leaky ReLU then draws its slope."""
    name = choose(label, tuple(n for n in BASE_ACTIVATIONS if n in names))
    if name == "leaky_relu":
        slopes = [s for s in LEAKY_SLOPES if (f"leaky_relu({s})" if s is not None else name) in names]
        slope = choose(f"{label} slope", tuple(slopes))
        name = name if slope is None else f"leaky_relu({slope})"
    return name


def generate(seed: int, i: int) -> Case:
    """Case ``i`` of ``seed``, drawn from its own generator: it depends on (seed, i) only."""
    return draw_case(numpy_chooser(np.random.default_rng([seed, i])), f"fuzz-s{seed}-{i}")


def hypothesis_cases():
    """A Hypothesis strategy drawing cases with ``draw_case``, named ``fuzz-h{k}-{dtype}`` with k drawn too."""
    from hypothesis import strategies as st

    @st.composite
    def cases(draw):
        choose = lambda label, options: draw(st.sampled_from(options), label=label)  # noqa: E731
        return draw_case(choose, f"fuzz-h{draw(st.integers(0, 2**16), label='name')}")

    return cases()


def check(case: Case) -> None:
    """Refuse a case outside what every framework can run: its output/loss pair, its edge, its data."""
    if case.loss not in OUTPUTS:
        raise ValueError(f"case {case.name}: unknown loss {case.loss!r}; valid: {', '.join(OUTPUTS)}")
    outputs, fewest = OUTPUTS[case.loss]
    if reference.get_activation(case.activations[-1]).name not in {reference.get_activation(n).name for n in outputs}:
        valid = ", ".join(f"{names[0]} + {loss}" for loss, (names, _) in OUTPUTS.items() if len(names) == 1)
        raise ValueError(f"case {case.name}: a {case.activations[-1]} output cannot feed {case.loss}; valid: "
                         f"{valid}, or any output + mse")
    if case.layer_dims[-1] < fewest:
        raise ValueError(f"case {case.name}: {case.loss} needs at least {fewest} output units, "
                         f"got {case.layer_dims[-1]}")
    if case.edge is not None and case.edge not in applicable_edges(case.layer_dims, case.activations, case.loss,
                                                                   case.dtype):
        raise ValueError(f"case {case.name}: edge {case.edge!r} does not apply to this network")
    if case.data != "random":
        raise ValueError(f"case {case.name}: the fuzzer draws data 'random' only, got {case.data!r}")
