"""Fuzzing: cases nobody wrote by hand, drawn from a seed, run in every framework, failures shrunk to one command.

    draw_case(choose, stem)     one valid Case from the spaces below; ``choose(label, options)`` picks one option,
                                from a numpy Generator (``numpy_chooser``) or from Hypothesis (``hypothesis_cases``)
    generate(seed, i)           case i of seed: a function of (seed, i) alone, named ``fuzz-s{seed}-{i}-{dtype}``
    run(case, frameworks)       its Outcome: results, framework errors, and one verdict
    shrink(outcome)             a greedy reduction to a minimal case that still fails the same way
    replay_command(case, ...)   the one command that reproduces a case: ``python -m parity fuzz --replay '<json>'``
    fuzz(seed, frameworks, ...) the campaign: cases until a count or a time bound, then its Summary

A case's verdict, the first of: ``fail`` (a comparison failed), ``error`` (a framework raised), ``uninformative``
(some comparison's tolerance would accept zeros in place of the quantity: a saturated sigmoid, a dead ReLU layer;
reported as such, never as a pass), ``pass`` (every comparison passed or was explained).
Since a case's seed is the CRC-32 of its name (``parity.case``), the name fixes the weights and the data; the
replay JSON holds the name and every field that differs from Case's defaults.
"""

from __future__ import annotations

import json
import shlex
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace

import numpy as np

import reference
from parity.case import EDGES, OPTIMIZERS, Case
from parity.compare import Result
from parity.harness import run_case

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
# loss -> (the output activations it accepts, the fewest output units): the pairs the reference and every
# framework run. A cross-entropy needs probabilities: a sigmoid for binary, a softmax over at least two classes
# for categorical (torch's CrossEntropyLoss insists on it too); MSE takes any output.
OUTPUTS = {"mse": (ACTIVATIONS, 1), "binary_crossentropy": (("sigmoid",), 1),
           "categorical_crossentropy": (("softmax",), 2)}
if set(OUTPUTS) != set(reference.LOSSES):
    raise RuntimeError(f"parity.fuzz.OUTPUTS covers {sorted(OUTPUTS)}, the reference has {sorted(reference.LOSSES)}")
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
# About one case in five gets one of the edges that apply to it (parity.case.EDGES).
EDGE_ODDS = 4

RELU_FAMILY = ("relu", "leaky_relu")

# Shrinking: each candidate costs one run, in one framework (the first that failed: torch runs a drawn case in
# about 0.1 s, Keras in 1-2 s). A greedy shrink of a drawn case took 35-95 runs; past either bound the smallest
# failing case so far is reported. Only the first few findings are shrunk; the others keep their own command.
SHRINK_RUNS = 150
SHRINK_SECONDS = 60.0
SHRINK_FAILURES = 5


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
    loss = choose("loss", tuple(OUTPUTS))
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
        keep_prob=choose("keep_prob", KEEP_PROBS) if L > 1 else 1.0,
        batchnorm=choose("batchnorm", BATCHNORMS) if L > 1 and m > 1 else False,
        weight_decay=choose("weight_decay", WEIGHT_DECAYS) if not lambd else 0.0,
    )


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


# --- running -------------------------------------------------------------------------------------------------

UNINFORMATIVE = "uninformative"
VERDICTS = ("fail", "error", UNINFORMATIVE, "pass")


@dataclass
class Outcome:
    """One case run in each framework separately, so that one framework's exception loses no other's results."""

    case: Case
    frameworks: tuple[str, ...]
    results: list[Result] = field(default_factory=list)
    first_divergence: dict[str, Result] = field(default_factory=dict)  # framework -> its first failed result
    errors: dict[str, str] = field(default_factory=dict)  # framework -> "ExceptionType: message"
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run

    @property
    def verdict(self) -> str:
        statuses = {r.status for r in self.results}
        if statuses & {"fail", "missing"}:  # a quantity the witness left out fails like one it got wrong
            return "fail"
        if self.errors:
            return "error"
        return UNINFORMATIVE if UNINFORMATIVE in statuses else "pass"

    @property
    def uninformative(self) -> list[Result]:
        return [r for r in self.results if r.status == UNINFORMATIVE]

    @property
    def failing_frameworks(self) -> tuple[str, ...]:
        return tuple(fw for fw in self.frameworks if fw in self.first_divergence or fw in self.errors)


def run(case: Case, frameworks: Sequence[str]) -> Outcome:
    """Run ``case`` with ``parity.harness.run_case`` in each framework; record exceptions as errors of the case."""
    outcome = Outcome(case, tuple(frameworks))
    for framework in frameworks:
        try:
            result = run_case(case, [framework])
        except Exception as error:  # a crash is a finding, reported with the case that caused it
            outcome.errors[framework] = f"{type(error).__name__}: {error}"
            continue
        outcome.results += result.results
        outcome.skipped.update(result.skipped)
        if result.first_divergence is not None:
            outcome.first_divergence[framework] = result.first_divergence
    return outcome


# --- shrinking -----------------------------------------------------------------------------------------------


def _simpler(value, options: Sequence) -> list:
    """The options listed before ``value`` in its space: the simpler ones, simplest first."""
    return list(options[: list(options).index(value)]) if value in options else [options[0]]


def reductions(case: Case) -> list[Case]:
    """Valid cases one step simpler than ``case``, each no larger in any dimension, most effective first."""
    candidates = []
    change = lambda **changes: candidates.append(changes)  # noqa: E731
    dims, acts = list(case.layer_dims), list(case.activations)
    for steps in sorted({1, case.steps - 1} - {0}):
        if steps < case.steps:
            change(steps=steps)
    for l in range(1, case.L):  # drop hidden layer l
        change(layer_dims=tuple(dims[:l] + dims[l + 1:]), activations=tuple(acts[: l - 1] + acts[l:]))
    for m in sorted({1, case.m // 2, case.m - 1} - {0}):
        if m < case.m:
            change(m=m)
    for j, n in enumerate(dims):
        for narrower in sorted({1, n // 2, n - 1} - {0}):
            if narrower < n:
                change(layer_dims=tuple(dims[:j] + [narrower] + dims[j + 1:]))
    for optimizer in _simpler(case.optimizer, OPTIMIZERS):
        change(optimizer=optimizer)
    if case.edge is not None:
        change(edge=None)
    for l, name in enumerate(acts[:-1]):
        for simpler in _simpler(name, ACTIVATIONS):
            change(activations=tuple(acts[:l] + [simpler] + acts[l + 1:]))
    loss = next(iter(OUTPUTS))
    output = OUTPUTS[loss][0][0]
    if (acts[-1], case.loss) != (output, loss):
        change(activations=tuple(acts[:-1] + [output]), loss=loss)
    for name, space in (("input_scale", INPUT_SCALES), ("init", INITS), ("learning_rate", LEARNING_RATES),
                        ("lambd", LAMBDAS), ("keep_prob", KEEP_PROBS), ("batchnorm", BATCHNORMS),
                        ("weight_decay", WEIGHT_DECAYS)):
        for simpler in _simpler(getattr(case, name), space):
            change(**{name: simpler})
    valid = []
    for changes in candidates:
        try:
            candidate = replace(case, **changes)
            check(candidate)
        except ValueError:
            continue
        valid.append(candidate)
    return valid


def _signature(outcome: Outcome) -> set[tuple]:
    """What went wrong, independent of the network's size: (framework, stage, quantity) of each first divergence,
    (framework, exception type) of each error."""
    return ({(fw, r.stage, r.quantity) for fw, r in outcome.first_divergence.items()}
            | {(fw, message.split(":", 1)[0]) for fw, message in outcome.errors.items()})


def same_failure(original: Outcome) -> Callable[[Outcome], bool]:
    """Whether a run still fails as ``original`` did: a first divergence at the same stage and quantity in one of
    the same frameworks (its step and layer may move), or the same exception. Shrinking holds on to this, not to
    any failure, so that it cannot slip from one bug to another."""
    signature = _signature(original)
    return lambda outcome: bool(_signature(outcome) & signature)


@dataclass
class Shrunk:
    original: Outcome
    outcome: Outcome  # the minimal case's run
    runs: int  # candidates tried


def shrink(original: Outcome, max_runs: int = SHRINK_RUNS, max_seconds: float = SHRINK_SECONDS) -> Shrunk:
    """Greedy shrinking: take the first reduction that still fails the same way (``same_failure``) in the first
    framework that failed, repeat until none does (or a bound is reached); then run the result in every framework
    that failed, for the report.

    Every accepted step is simpler in one dimension and no larger in any, so the result is never larger than the
    original, and it is a local minimum when the bounds suffice.
    """
    framework = original.failing_frameworks[0]
    still_fails = same_failure(original)
    best, runs, started = original.case, 0, time.perf_counter()
    improved = True
    while improved and runs < max_runs and time.perf_counter() - started < max_seconds:
        improved = False
        for candidate in reductions(best):
            if runs >= max_runs or time.perf_counter() - started >= max_seconds:
                break
            runs += 1
            if still_fails(run(candidate, [framework])):
                best, improved = candidate, True
                break
    outcome = original if best == original.case else run(best, original.failing_frameworks)
    return Shrunk(original, outcome, runs)


# --- replay --------------------------------------------------------------------------------------------------

_FIELDS = {f.name: f for f in fields(Case)}
_TUPLES = ("layer_dims", "activations")


def case_json(case: Case) -> str:
    """The case's name and every field that differs from Case's defaults, as compact JSON."""
    values = {}
    for name, spec in _FIELDS.items():
        value = getattr(case, name)
        if spec.default is MISSING or value != spec.default:
            values[name] = list(value) if name in _TUPLES else value
    return json.dumps(values, separators=(",", ":"))


def case_from_json(text: str) -> Case:
    """The inverse of ``case_json``, with errors in the replay's own words."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--replay needs a JSON object of case fields: {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"--replay needs a JSON object of case fields, got {type(values).__name__}")
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(f"--replay: unknown case field {unknown[0]!r}; fields: {', '.join(_FIELDS)}")
    missing = [name for name, spec in _FIELDS.items() if spec.default is MISSING and name not in values]
    if missing:
        raise ValueError(f"--replay: missing case field {missing[0]!r}")
    for name in _TUPLES:
        if not isinstance(values[name], list):
            raise ValueError(f"--replay: {name} must be a list, got {values[name]!r}")
        values[name] = tuple(values[name])
    kinds = {"m": int, "steps": int, "learning_rate": (int, float), "input_scale": (int, float),
             "lambd": (int, float), "keep_prob": (int, float), "weight_decay": (int, float)}
    for name, kind in kinds.items():
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], kind)):
            raise ValueError(f"--replay: {name} must be a number, got {values[name]!r}")
    if not isinstance(values.get("batchnorm", False), bool):
        raise ValueError(f"--replay: batchnorm must be true or false, got {values['batchnorm']!r}")
    try:
        case = Case(**values)
    except TypeError as error:
        raise ValueError(f"--replay: {error}") from None
    check(case)
    return case


def replay_command(case: Case, frameworks: Sequence[str] | None = None) -> str:
    """The shell command that reruns ``case`` (in ``frameworks``, default all) and prints its verdict."""
    command = f"python -m parity fuzz --replay {shlex.quote(case_json(case))}"
    return command + (f" --framework {','.join(frameworks)}" if frameworks else "")


# --- the campaign --------------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A case that failed or raised: its first run, its shrunk form (if shrunk), and the command reproducing it."""

    outcome: Outcome
    shrunk: Shrunk | None = None

    @property
    def minimal(self) -> Outcome:
        return self.shrunk.outcome if self.shrunk else self.outcome

    @property
    def command(self) -> str:
        return replay_command(self.minimal.case, self.minimal.failing_frameworks)


@dataclass
class Summary:
    seed: int
    frameworks: tuple[str, ...]
    seconds: float = 0.0
    cases: int = 0
    verdicts: Counter = field(default_factory=Counter)  # case verdict -> cases
    statuses: Counter = field(default_factory=Counter)  # comparison status -> comparisons
    findings: list[Finding] = field(default_factory=list)  # failures and errors, in the order found
    uninformative: list[Outcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def comparisons(self) -> int:
        return sum(self.statuses.values())

    @property
    def share_uninformative(self) -> float:
        return self.statuses[UNINFORMATIVE] / self.comparisons if self.comparisons else 0.0

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        self.verdicts[outcome.verdict] += 1
        self.statuses.update(r.status for r in outcome.results)
        self.skipped.update(outcome.skipped)
        if outcome.verdict in ("fail", "error"):
            self.findings.append(Finding(outcome))
        elif outcome.verdict == UNINFORMATIVE:
            self.uninformative.append(outcome)


def fuzz(seed: int, frameworks: Sequence[str], cases: int | None = None, seconds: float | None = None,
         progress: Callable[[Summary, Outcome], None] | None = None,
         announce: Callable[[str], None] | None = None) -> Summary:
    """Run cases 0, 1, ... of ``seed`` until ``cases`` are done or ``seconds`` have passed (whichever first),
    then shrink the first ``SHRINK_FAILURES`` findings (not counted in ``seconds``), announcing each."""
    if cases is None and seconds is None:
        raise ValueError("fuzz needs a bound: a number of cases or of seconds")
    summary = Summary(seed, tuple(frameworks))
    started = time.perf_counter()
    while (cases is None or summary.cases < cases) and (seconds is None or time.perf_counter() - started < seconds):
        outcome = run(generate(seed, summary.cases), frameworks)
        summary.add(outcome)
        if progress is not None:
            progress(summary, outcome)
    summary.seconds = time.perf_counter() - started
    shrinking = summary.findings[:SHRINK_FAILURES]
    for k, finding in enumerate(shrinking, start=1):
        if announce is not None:
            announce(f"shrinking {finding.outcome.case.name} ({k} of {len(shrinking)}, at most {SHRINK_RUNS} runs "
                     f"or {SHRINK_SECONDS:g} s) ...")
        finding.shrunk = shrink(finding.outcome)
    return summary


# --- rendering -----------------------------------------------------------------------------------------------


MARKDOWN_LIST = 20  # uninformative cases listed by name in Markdown; fuzz.json lists them all


def where(result: Result) -> str:
    layer = f", layer {result.layer}" if result.layer is not None else ""
    return f"{result.framework}, step {result.step}, {result.stage}{layer}, {result.quantity}"


def shape(case: Case) -> str:
    """``4-8-1 tanh/sigmoid binary_crossentropy, adam lr 0.01, float32, m 16, 3 steps``: a case in one line."""
    extras = [f"edge {case.edge}"] if case.edge else []
    extras += [f"input scale {case.input_scale:g}"] if case.input_scale != 1.0 else []
    extras += [f"init {case.init}"] if case.init != "xavier" else []
    extras += [f"lambd {case.lambd:g}"] if case.lambd else []
    extras += [f"keep_prob {case.keep_prob:g}"] if case.keep_prob < 1 else []
    extras += ["batchnorm"] if case.batchnorm else []
    extras += [f"weight_decay {case.weight_decay:g}"] if case.weight_decay else []
    return (f"{'-'.join(map(str, case.layer_dims))} {'/'.join(case.activations)} {case.loss}, {case.optimizer} "
            f"lr {case.learning_rate:g}, {case.dtype}, m {case.m}, {case.steps} step{'s' * (case.steps > 1)}"
            + "".join(f", {e}" for e in extras))


def progress_line(summary: Summary, elapsed: float) -> str:
    return (f"[fuzz {elapsed:6.1f} s] {summary.cases} cases, {summary.comparisons} comparisons, "
            f"{summary.verdicts['fail']} failed, {summary.verdicts['error']} errors, "
            f"{summary.verdicts[UNINFORMATIVE]} uninformative")


def to_document(summary: Summary) -> dict:
    """The campaign as plain data (fuzz.json)."""
    from parity.report.document import json_safe

    def finding(f: Finding) -> dict:
        minimal = f.minimal
        return {"case": f.outcome.case.name, "verdict": f.outcome.verdict, "original": json.loads(case_json(
                f.outcome.case)), "minimal": json.loads(case_json(minimal.case)),
                "shrink_runs": f.shrunk.runs if f.shrunk else None, "errors": minimal.errors,
                "first_divergence": {fw: r.to_dict() for fw, r in minimal.first_divergence.items()},
                "reproduce": f.command}

    return json_safe({
        "schema": "nn-parity/fuzz/v1", "seed": summary.seed, "frameworks": list(summary.frameworks),
        "skipped": summary.skipped, "seconds": summary.seconds, "cases": summary.cases,
        "comparisons": summary.comparisons, "verdicts": dict(summary.verdicts), "statuses": dict(summary.statuses),
        "share_uninformative": summary.share_uninformative,
        "findings": [finding(f) for f in summary.findings],
        "uninformative": [{"case": o.case.name, "where": [where(r) for r in o.uninformative[:3]]}
                          for o in summary.uninformative],
    })


def describe_outcome(outcome: Outcome) -> list[str]:
    """Per framework: its verdict, and where it first diverged or what it raised."""
    from parity.assertions import describe

    lines = []
    for framework in outcome.frameworks:
        own = [r for r in outcome.results if r.framework == framework]
        if framework in outcome.errors:
            lines.append(f"{framework}: error: {outcome.errors[framework]}")
        elif framework in outcome.skipped:
            lines.append(f"{framework}: skipped ({outcome.skipped[framework]})")
        elif framework in outcome.first_divergence:
            failed = sum(r.status == "fail" for r in own)
            lines.append(f"{framework}: fail ({failed} of {len(own)} comparisons); first divergence: "
                         f"{describe(outcome.first_divergence[framework])}")
        elif not own:
            lines.append(f"{framework}: does not apply to this case")
        else:
            blank = [r for r in own if r.status == UNINFORMATIVE]
            lines.append(f"{framework}: {UNINFORMATIVE} ({len(blank)} of {len(own)} comparisons); first: "
                         f"{describe(blank[0])}" if blank else f"{framework}: pass ({len(own)} comparisons)")
    return lines


def to_markdown(summary: Summary) -> str:
    s, n = summary, summary.comparisons
    lines = [f"# nn-parity fuzz, seed {s.seed}", "",
             f"{s.cases} cases, {n} comparisons in {s.seconds:.1f} s; frameworks {', '.join(s.frameworks)}"
             + "".join(f"; {fw} skipped ({why})" for fw, why in s.skipped.items()), "",
             "| cases | " + " | ".join(VERDICTS) + " |", "|---" * (len(VERDICTS) + 1) + "|",
             f"| {s.cases} | " + " | ".join(str(s.verdicts[v]) for v in VERDICTS) + " |", "",
             "comparisons: " + ", ".join(f"{k} {v}" for k, v in sorted(s.statuses.items()))
             + f"; share uninformative {s.share_uninformative:.2%}", ""]
    if s.findings:
        lines += [f"## {len(s.findings)} failing case{'s' * (len(s.findings) > 1)}", ""]
    for f in s.findings:
        lines.append(f"- {f.outcome.case.name} ({f.outcome.verdict}): {shape(f.outcome.case)}")
        if f.shrunk:
            lines.append(f"  shrunk in {f.shrunk.runs} runs to: {shape(f.minimal.case)}")
        lines += [f"  {line}" for line in describe_outcome(f.minimal)]
        lines += [f"  reproduce: `{f.command}`", ""]
    if s.uninformative:
        lines += [f"## {len(s.uninformative)} case{'s' * (len(s.uninformative) > 1)} not comparable informatively",
                  ""]
        lines += [f"- {o.case.name}: {shape(o.case)}; {len(o.uninformative)} uninformative comparisons, first "
                  f"{where(o.uninformative[0])}" for o in s.uninformative[:MARKDOWN_LIST]]
        more = len(s.uninformative) - MARKDOWN_LIST
        lines += [f"- ... and {more} more (all of them in fuzz.json)" if more > 0 else "", ""]
    return "\n".join(lines)
