"""A learner's own network checked against the reference, quantity by quantity, from identical weights.

The learner's file is read as they have it (``parity.learner.source``: a script, an exported notebook or a
notebook, definitions only), its style recognised (``parity.learner.styles``: the course's L-layer and
one-hidden-layer APIs, separate arrays bound by name, or this project's module interface), and its functions
run on the checker's weights and data for a few gradient-descent steps:

    step-local    step s starts from the reference's parameters after step s - 1, so a mistake is named at the
                  step where it starts
    stage-local   the cost is given the reference's AL, the backward pass the reference's Z and A (in the
                  learner's own cache structure), the update the reference's gradients: each stage is judged on
                  its own, and every wrong stage is reported, the first in computation order as the cause

Each quantity gets one of

    pass        within the parity tolerance of the reference (``tolerance.PARITY_ULPS`` ulps of its error scale)
    rounding    beyond it, but within ``tolerance.LEARNER_ROUNDING_ULPS``: the same math computed differently
                (tanh from exponentials, an unshifted softmax, 1/m folded into dZ before a product)
    convention  dZ or dA with the 1/m folded in (m times smaller) while that layer's dW and db are right
    note        the cost with a stabiliser inside its log (log(AL + 1e-8)): harmless, the gradients never see it
    fail        wrong math: diagnosed from ``parity.learner.mistakes`` where the difference has a known fingerprint
"""

from __future__ import annotations

import copy
import sys
import types
import warnings
from pathlib import Path

import numpy as np

from parity.case import Case, batch
from parity.compare import Result, compare, first_divergence, measure
from parity.conventions import TEXTBOOK
from parity.frameworks import DEFAULT_WITNESSES
from parity.harness import reference_trace
from parity.learner import mistakes, render, techniques
from parity.learner.mistakes import MISTAKES, Diagnosis
from parity.learner.results import CheckResult, Finding, LearnerCrash
from parity.learner.results import describe_quantity as describe_quantity  # its old home: tests and callers
from parity.learner.source import (
    LearnerError,
    LearnerSource,
    describe_exception,
    innermost,
    load_source,
    name_error_message,
)
from parity.learner.styles import ROLES, Architecture, Style, detect, encodes_labels_itself
from parity.tolerance import LEARNER_ROUNDING_ULPS, parity_ulps
from parity.trace import Key, Trace, computation_order

GROUPS = ("init", "forward", "cost", "backward", "update")  # computation order of the stages


# ---- running the learner's functions ----------------------------------------------------------------------------

def _caller(source: LearnerSource):
    def call(role: str, function, *args, **kwargs):
        """The learner's function on copies of the arguments; their numpy warnings (log 0 in a broken softmax)
        are silenced, since their consequences show up in the comparison, located and explained."""
        name = getattr(function, "__name__", role)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NameError as error:
            message = name_error_message(error, name, source)
            raise LearnerCrash(message or f"{name} raised {describe_exception(error, source)}") from None
        except Exception as error:  # the learner's code failed: say where, in their file
            frame = innermost(error, source)
            diagnosis = mistakes.from_exception(error, frame.line if frame else None)
            raise LearnerCrash(f"{name} raised {describe_exception(error, source)}", diagnosis) from None
    return call


def _as_array(source: LearnerSource, where: str, value) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise LearnerError(f"{source.path.name}: {where} is not an array of numbers ({type(value).__name__})"
                           ) from None
    return array


def _need(source: LearnerSource, style: Style, values: dict, key: str, role: str, alternatives=()) -> np.ndarray:
    for candidate in (key, *alternatives):
        if candidate in values:
            return _as_array(source, f"{style.fn_name(role)}'s {candidate}", values[candidate])
    shown = sorted(values)
    raise LearnerError(f"{source.path.name}: {style.fn_name(role)} returned no {key!r}"
                       + (f" (or {', '.join(map(repr, alternatives))})" if alternatives else "")
                       + f"; its keys are {shown}")


def learner_trace(style: Style, source: LearnerSource, case: Case, textbook: Trace, Y_learner) -> Trace:
    """The learner's functions, step-local and stage-local (see the module docstring)."""
    X, Y = batch(case)
    L = case.L
    trace = Trace("learner", X=X, Y=Y, starts=list(textbook.starts))
    v = textbook.values
    for s in range(case.steps):
        params = {name: value.copy() for name, value in textbook.starts[s].params.items()}
        values, raw = style.forward(params, X)
        for l in range(1, L + 1):
            if f"Z{l}" in values:
                trace.record(s, "forward", l, "Z", _as_array(source, f"{style.fn_name('forward')}'s Z{l}",
                                                             values[f"Z{l}"]))
            trace.record(s, "forward", l, "A", _need(source, style, values, f"A{l}", "forward",
                                                     ("AL",) if l == L else ()))
        reference_values = {f"{q}{l}": v[Key(s, "forward", l, q)] for l in range(1, L + 1) for q in ("Z", "A")}
        J = style.cost(reference_values[f"A{L}"], Y_learner, params)
        if J is not None:
            J = _as_array(source, f"{style.fn_name('cost')}'s result", J)
            if J.size != 1:
                raise LearnerError(f"{source.path.name}: {style.fn_name('cost')} returned an array of shape "
                                   f"{J.shape}, not one number: sum the losses over the samples and divide by m")
            trace.record(s, "cost", None, "J", J.reshape(()))
        grads = style.backward(params, X, Y_learner, reference_values, raw)
        for l in range(L, 0, -1):
            for q in ("dA", "dZ"):
                if f"{q}{l}" in grads:
                    trace.record(s, "backward", l, q, _as_array(source, f"{style.fn_name('backward')}'s {q}{l}",
                                                                grads[f"{q}{l}"]))
            for q in ("dW", "db"):
                trace.record(s, "backward", l, q, _need(source, style, grads, f"{q}{l}", "backward"))
        reference_grads = {f"{q}{l}": v[Key(s, "backward", l, q)] for l in range(1, L + 1)
                           for q in ("dW", "db", "dZ", "dA") if Key(s, "backward", l, q) in v}
        if "dA0" not in reference_grads:  # the course's current keys reach dA0, the gradient of X
            reference_grads["dA0"] = textbook.starts[s].params["W1"].T @ v[Key(s, "backward", 1, "dZ")]
        new = style.update(params, reference_grads, case.learning_rate)
        for l in range(1, L + 1):
            for q in ("W", "b"):
                trace.record(s, "update", l, q, _need(source, style, new, f"{q}{l}", "update"))
    return trace


# ---- judging ----------------------------------------------------------------------------------------------------

STABILISERS = tuple(10.0 ** -k for k in range(4, 17))


def _stabilised_costs(case: Case, AL, Y):
    """The cost as learners stabilise it: log(AL + eps), and AL clipped to [eps, 1 - eps]."""
    if case.loss not in ("binary_crossentropy", "categorical_crossentropy"):
        return
    with np.errstate(all="ignore"):
        for eps in STABILISERS:
            if case.loss == "binary_crossentropy":
                shifted = -np.mean(Y * np.log(AL + eps) + (1 - Y) * np.log(1 - AL + eps))
                clipped_AL = np.clip(AL, eps, 1 - eps)
                clipped = -np.mean(Y * np.log(clipped_AL) + (1 - Y) * np.log(1 - clipped_AL))
            else:
                shifted = -np.sum(Y * np.log(AL + eps)) / case.m
                clipped = -np.sum(Y * np.log(np.clip(AL, eps, 1 - eps))) / case.m
            yield f"log(AL + {eps:g})", shifted
            yield f"AL clipped to [{eps:g}, 1 - {eps:g}]", clipped


def _rounding(actual, expected, E, dtype) -> bool:
    """Within the learner's rounding tolerance: LEARNER_ROUNDING_ULPS ulps of the quantity's largest error scale,
    and only where that tolerance could have failed: zeros in place of the quantity must lie beyond it."""
    scale = np.full(np.shape(expected), float(np.max(E, initial=0.0)))
    if measure(np.zeros(np.shape(expected)), expected, scale, dtype).ulps <= LEARNER_ROUNDING_ULPS:
        return False  # so small against its error scale that zeros would pass: not judged as rounding
    return measure(actual, expected, scale, dtype).ulps <= LEARNER_ROUNDING_ULPS


def judge(case: Case, learner: Trace, textbook: Trace, textbook_E: dict, results: list[Result]) -> None:
    """Refine each failed result into rounding, convention (1/m folded into dZ or dA), note (a stabilised
    cost) or a real failure, in place."""
    by_key = {r.key: r for r in results}
    for r in results:
        if r.status != "fail" or r.note:  # a shape error stays a failure
            continue
        actual, expected, E = learner.values[r.key], textbook.values[r.key], textbook_E[r.key]
        if _rounding(actual, expected, E, case.dtype):
            r.status, r.explanation = "rounding", "differs from the reference by rounding only"
    for r in results:
        if r.status != "fail" or r.quantity not in ("dZ", "dA") or r.note:
            continue
        scaled = np.asarray(learner.values[r.key], dtype=np.float64) * case.m
        layer_ok = all(by_key.get(Key(r.step, "backward", r.layer, q)) is not None
                       and by_key[Key(r.step, "backward", r.layer, q)].status in ("pass", "rounding")
                       for q in ("dW", "db"))
        if layer_ok and _rounding(scaled, textbook.values[r.key], textbook_E[r.key], case.dtype):
            r.status = "convention"
            r.explanation = (f"your {r.quantity}{r.layer} carries the 1/m (it is the course's per-example "
                             f"{r.quantity} divided by m); dW{r.layer} and db{r.layer} agree, so the math is right")
    for r in results:
        if r.status != "fail" or r.quantity != "J":
            continue
        AL = textbook.values[Key(r.step, "forward", case.L, "A")]
        for name, J in _stabilised_costs(case, AL, learner.Y):
            if _rounding(learner.values[r.key], np.asarray(J), textbook_E[r.key], case.dtype):
                r.status = "note"
                r.explanation = (f"your cost has a stabiliser inside its log ({name}): J differs from the "
                                 f"reference's by {r.max_abs:.3g}, harmless; the gradients do not depend on it")
                break


def diagnose(case: Case, textbook: Trace, textbook_E: dict, learner: Trace, first: Result) -> Diagnosis | None:
    """The mistake whose fingerprint the learner's first wrong quantity of a stage matches, if any."""
    key = first.key
    actual = np.asarray(learner.values[key], dtype=np.float64)
    expected = textbook.values[key]
    if key.quantity == "db" and actual.size == 1 and expected.size > 1:
        return MISTAKES["scalar_db"]
    if key.stage == "update":
        starts = textbook.starts[key.step].params

        def unchanged(l):
            return all(np.array_equal(learner.values[Key(key.step, "update", l, q)], starts[f"{q}{l}"])
                       for q in ("W", "b") if Key(key.step, "update", l, q) in learner.values)
        if pattern := mistakes.update_pattern(case, unchanged):
            return MISTAKES[pattern]
    budget = parity_ulps(case.dtype)
    for mistake, candidate in mistakes.candidates(case, textbook, key).items():
        shaped = actual
        if actual.shape != candidate.shape and actual.size == 1:
            shaped = np.full(candidate.shape, actual.item())  # e.g. db as one number: np.sum(dZ) / m
        # one error scale for the whole quantity: candidates differ from the truth by factors like m or a sign
        scale = np.full(candidate.shape, float(np.max(textbook_E[key])))
        if measure(shaped, candidate, scale, case.dtype).ulps <= max(budget, LEARNER_ROUNDING_ULPS):
            return MISTAKES[mistake]
    return None


def findings(case: Case, textbook: Trace, textbook_E: dict, learner: Trace, results: list[Result]) -> list[Finding]:
    """One finding per wrong stage (forward, cost, backward, update), each at its first wrong quantity, in
    computation order: the first is the cause."""
    out = []
    for group in GROUPS:
        first = first_divergence([r for r in results if r.stage == group])
        if first is not None:
            out.append(Finding(group, first, diagnose(case, textbook, textbook_E, learner, first)))
    order = {key: i for i, key in enumerate(computation_order(case.L, case.steps))}
    return sorted(out, key=lambda f: order[f.result.key])


def _init_findings(style: Style, source: LearnerSource, layers) -> list[Finding]:
    params = style.init_shapes(layers)
    if params is None:
        return []
    if not isinstance(params, dict):
        return [Finding("init", None, None, f"{style.fn_name('init')} should return a dict W1, b1, ...; got "
                                            f"{type(params).__name__}")]
    wrong = []
    for l in range(1, len(layers)):
        for q, shape in (("W", (layers[l], layers[l - 1])), ("b", (layers[l], 1))):
            got = np.shape(params.get(f"{q}{l}")) if f"{q}{l}" in params else None
            if got != shape:
                wrong.append(f"{q}{l} has shape {got} where {shape} is expected" if got is not None
                             else f"no {q}{l}")
    if not wrong:
        return []
    return [Finding("init", None, None,
                    f"{style.fn_name('init')}({list(layers)}): {'; '.join(wrong)} (W[l] is (n[l], n[l-1]), "
                    f"b[l] is (n[l], 1))")]


# ---- the entry point ---------------------------------------------------------------------------------------------

def _architecture(style: Style, source: LearnerSource, layers, activations, loss) -> Architecture:
    if layers is not None and activations is not None and loss is not None:
        arch = Architecture(tuple(layers), tuple(activations), loss, {k: "--" + k for k in ("layers", "activations",
                                                                                         "loss")})
    else:
        try:
            arch = style.architecture()
        except LearnerError:
            if layers is None or activations is None:
                raise
            arch = Architecture(None, None, None)
    if layers is not None:
        arch.layers, arch.sources["layers"] = tuple(layers), "--layers"
    if activations is not None:
        arch.activations, arch.sources["activations"] = tuple(activations), "--activations"
    if loss is not None:
        arch.loss, arch.sources["loss"] = loss, "--loss"
    name = source.path.name
    if not isinstance(arch.layers, (list, tuple)) or len(arch.layers) < 2 or not all(
            isinstance(n, (int, np.integer)) and n > 0 for n in arch.layers):
        raise LearnerError(f"{name}: the layer sizes must be at least 2 positive integers, got {arch.layers!r}; "
                           f"give them with --layers (for example --layers 784,10,10)")
    if arch.activations is None or len(arch.activations) != len(arch.layers) - 1:
        where = arch.sources.get("activations", "ACTIVATIONS")
        raise LearnerError(f"{name}: {where} must name one activation per layer ({len(arch.layers) - 1} for "
                           f"layers {list(arch.layers)}), got {arch.activations!r}; give them with --activations")
    if arch.loss is None:
        raise LearnerError(f"{name}: cannot tell the loss from the output activation {arch.activations[-1]!r}; "
                           f"give it with --loss (binary_crossentropy, categorical_crossentropy or mse)")
    if arch.loss == "categorical_crossentropy" and style.fn.get("backward") is not None:  # in every style
        arch.integer_labels = arch.integer_labels or encodes_labels_itself(style.fn["backward"], source.namespace)
    return arch


def _case(source: LearnerSource, arch: Architecture, learning_rate: float, steps: int, m: int) -> Case:
    """The checker's case; for categorical labels, one whose batch holds every class (a learner's one_hot(Y)
    sizes its matrix by Y.max() + 1)."""
    name = f"check-{source.path.stem}"
    for attempt in range(200):
        try:
            case = Case(name if attempt == 0 else f"{name}-{attempt}", tuple(int(n) for n in arch.layers),
                        tuple(arch.activations), arch.loss, learning_rate=learning_rate, steps=steps, m=m,
                        edge="zero_preactivation", init="he")
        except ValueError as error:
            raise LearnerError(f"{source.path.name}: {error}") from None
        if case.loss != "categorical_crossentropy" or case.layer_dims[-1] > m:
            return case
        if np.all(batch(case)[1].sum(axis=1) > 0):
            return case
    return case


def _source_of(target, forward, backward, update, cost, init) -> tuple[LearnerSource, dict]:
    overrides = {"forward": forward, "backward": backward, "update": update, "cost": cost, "init": init}
    if target is None:
        given = {role: f for role, f in overrides.items() if f is not None}
        if "forward" not in given:
            raise LearnerError("parity.check needs a file, a module, or the functions: forward=..., backward=..., "
                               "update=... (cost=..., init=... optional)")
        function = given["forward"]
        namespace = dict(getattr(function, "__globals__", {}))
        for f in given.values():
            namespace[f.__name__] = f
        path = Path(getattr(function, "__code__", None).co_filename if hasattr(function, "__code__") else "<code>")
        source = LearnerSource(path, namespace)
        return source, {role: f.__name__ for role, f in given.items()}
    names = {role: (f if isinstance(f, str) or f is None else f.__name__) for role, f in overrides.items()}
    if isinstance(target, types.ModuleType):
        path = Path(getattr(target, "__file__", None) or f"{target.__name__}.py")
        return LearnerSource(path, vars(target)), names
    return load_source(target), names


def check(target=None, *, forward=None, backward=None, update=None, cost=None, init=None, layers=None,
          activations=None, loss=None, learning_rate: float = 0.1, steps: int = 3, m: int = 32,
          frameworks=DEFAULT_WITNESSES) -> CheckResult:
    """Check a learner's network against the reference: ``check("assignment.ipynb")``, ``check(module)`` or
    ``check(forward=f, backward=g, update=h)``; function names (strings) or functions select the roles."""
    source, overrides = _source_of(target, forward, backward, update, cost, init)
    with source.importable():
        style_type, functions = detect(source, {k: v for k, v in overrides.items() if v})
        style = style_type(source, functions, _caller(source))
        arch = _architecture(style, source, layers, activations, loss)
        case = _case(source, arch, learning_rate, steps, m)
        init_found = _init_findings(style, source, case.layer_dims)
        textbook, textbook_E = reference_trace(case, TEXTBOOK)
        X, Y = batch(case)
        Y_learner = np.argmax(Y, axis=0) if arch.integer_labels else Y
        learner = learner_trace(style, source, case, textbook, Y_learner)
    learner.Y = np.asarray(Y)
    results = compare(case, "learner", learner, textbook, textbook_E, TEXTBOOK)
    judge(case, learner, textbook, textbook_E, results)
    found = init_found + findings(case, textbook, textbook_E, learner, results)
    notes = list(dict.fromkeys(style.notes))  # once, however many steps said it
    if arch.integer_labels:
        notes.append(f"{style.fn_name('backward')} one-hot encodes the labels itself, so it was given integer "
                     f"labels Y of shape ({case.m},), every class present in the batch")
    certification = {}
    if frameworks:
        from parity.harness import run_case

        outcome = run_case(case, list(frameworks), drift=False)
        for framework in frameworks:
            if framework in outcome.skipped:
                certification[framework] = f"skipped: {outcome.skipped[framework]}"
            else:
                certification[framework] = outcome.verdict(framework)
    return CheckResult(str(source.path), style.name, case, arch, results, found, certification,
                       list(source.skipped), notes)


def run(args) -> int:
    """``parity check FILE``: the course's regularisation functions if the file defines any
    (``parity.learner.techniques``), then its network if it has one; 1 if anything is wrong."""
    import json

    source = load_source(args.module)
    overrides = {role: getattr(args, role) for role in ROLES if getattr(args, role, None)}
    with source.importable():
        found = techniques.check(source.namespace, _caller(source))
        network = True
        if found:
            try:
                detect(source, overrides)
            except LearnerError:
                network = False
    code = 0
    if found:
        if "json" in args.format and args.out is None:
            print(json.dumps({"schema": "nn-parity/check-techniques/v1", "techniques": techniques.as_json(found)},
                             indent=1, allow_nan=False))
        else:
            print(techniques.human(found))
        code = 0 if all(r.passed for r in found) else 1
        if not network:
            print(f"{args.module} defines no forward/backward/update functions of a whole network: only its "
                  "regularisation functions were checked", file=sys.stderr)
            return code
    outcome = check(args.module, forward=args.forward, backward=args.backward, update=args.update,
                    cost=args.cost, init=args.init, layers=args.layers, activations=args.activations,
                    loss=args.loss, learning_rate=args.learning_rate, steps=args.steps, m=args.m,
                    frameworks=() if args.frameworks == ["none"] else tuple(args.frameworks))
    return max(code, render.emit(outcome, args.format, args.out))

