"""The catalogue of classic mistakes in learners' networks, each recognised by its fingerprint.

A fingerprint is the value a quantity takes when that mistake is made on otherwise correct inputs. Every stage
of the learner's code is fed the reference's inputs (``parity.learner.styles``), so a candidate is computed from
the reference's numbers of the same step: if the learner's first wrong quantity of a stage equals a candidate
(within the rounding tolerance), the mistake is named, with its equation and its fix. Mistakes that crash
instead of computing a wrong number (``W.T * dZ`` with several output units) are recognised from the exception
and the learner's offending line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

import reference
from parity.case import Case, batch
from parity.trace import Key, Trace


@dataclass
class Diagnosis:
    mistake: str  # one line: what was done
    explanation: str  # the equation, and why the mistake gives the number it gives
    fix: str  # the line to write instead
    id: str = ""


MISTAKES = {key: Diagnosis(*texts, id=key) for key, texts in {
    "db_all_axes": (
        "db summed over all axes instead of per unit",
        "db[l] = (1/m) sum over the samples of dZ[l], one number per unit; summing every element of dZ gives "
        "all units the same total.",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)"),
    "scalar_db": (
        "db is a single number (dZ summed over all axes)",
        "db[l] = (1/m) sum over the samples of dZ[l] has b[l]'s shape (n[l], 1), one number per unit; "
        "np.sum(dZ) without an axis adds every unit's gradient into one scalar, which then shifts every bias "
        "by the same amount.",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)"),
    "missing_one_over_m": (
        "1/m missing",
        "The cost is a mean over the m samples, so its gradient carries a factor 1/m: your value is m times too "
        "large.",
        "dW = (1/m) * dZ @ A_prev.T  and  db = (1/m) * np.sum(dZ, axis=1, keepdims=True)"),
    "one_over_m_twice": (
        "1/m applied twice",
        "Your value is m times too small: the 1/m is applied once in dZ (or dA) and again in dW/db. In the "
        "course's convention dZ is per example and the 1/m appears only in dW and db.",
        "keep dZ = dA * g'(Z) (or A - Y at the output) without 1/m; put 1/m only in dW and db"),
    "missing_transpose": (
        "missing transpose of W in the backward pass",
        "The gradient flowing to the previous layer is dA[l-1] = W[l]^T dZ[l]; with W[l] instead of its "
        "transpose the shapes only fit when W[l] is square, so the mistake can be silent.",
        "dA_prev = W.T @ dZ"),
    "dW_transposed": (
        "dW transposed",
        "dW[l] must have W[l]'s shape (n[l], n[l-1]): it is dZ[l] A[l-1]^T / m, not A[l-1] dZ[l]^T / m.",
        "dW = (1/m) * dZ @ A_prev.T"),
    "relu_prime_at_zero": (
        "ReLU'(0) taken as 1",
        "At Z exactly 0 the ReLU derivative is taken as 0 by PyTorch, TensorFlow and JAX; (Z >= 0) passes the "
        "gradient through units sitting exactly at 0 (the checker makes one such unit on purpose).",
        "dZ = dA * (Z > 0)"),
    "relu_masked_by_dA": (
        "ReLU's backward masked by dA instead of Z",
        "dZ[l] = dA[l] * g'(Z[l]) with ReLU'(z) = 1 where z > 0, else 0: the mask is the forward pass's Z. "
        "Masking by dA > 0 keeps the gradients that happen to be positive, for dead and live units alike.",
        "dZ = np.array(dA, copy=True); dZ[Z <= 0] = 0"),
    "tanh_prime_of_Z": (
        "tanh' applied to Z instead of A",
        "tanh'(z) = 1 - tanh(z)^2 = 1 - A^2; 1 - Z^2 is a different function.",
        "dZ = dA * (1 - A**2)  with A = np.tanh(Z)"),
    "sigmoid_prime_of_Z": (
        "sigmoid' applied to Z instead of A",
        "sigmoid'(z) = A (1 - A) with A = sigmoid(z); Z (1 - Z) is a different function.",
        "dZ = dA * A * (1 - A)  with A = sigmoid(Z)"),
    "sigmoid_prime_twice": (
        "sigmoid' applied twice at the output",
        "With a sigmoid output and the cross-entropy cost, dZ[L] = dA[L] * sigma'(Z[L]) simplifies to AL - Y: "
        "the sigma'(Z[L]) = AL (1 - AL) is already inside AL - Y. Multiplying AL - Y by AL (1 - AL) again "
        "shrinks the gradient, most where the network is most wrong.",
        "dZL = AL - Y  (or dAL = -(Y/AL - (1-Y)/(1-AL)) followed by sigmoid_backward, but not both)"),
    "softmax_wrong_axis": (
        "softmax over the wrong axis",
        "With samples as columns, each column is one sample's class scores: softmax must normalise over axis 0 "
        "(the classes), not axis 1 (the samples).",
        "A = np.exp(Z - Z.max(axis=0)) / np.sum(np.exp(Z - Z.max(axis=0)), axis=0)"),
    "softmax_wrong_input": (
        "softmax applied to the wrong input",
        "A[L] = softmax(Z[L]) with Z[L] = W[L] A[L-1] + b[L]: your output is the softmax of another array "
        "(the previous layer's activations, its Z, or Z without the bias), which has the right shape only by "
        "coincidence.",
        "ZL = WL @ A_prev + bL;  AL = softmax(ZL)"),
    "dW_other_layer_dZ": (
        "dW computed with another layer's dZ",
        "dW[l] = (1/m) dZ[l] A[l-1]^T pairs each layer's own dZ with its own input; another layer's dZ fits "
        "only when the two layers have the same number of units.",
        "dW1 = (1/m) * dZ1 @ X.T  (and dWl = (1/m) * dZl @ A_prev.T for every layer)"),
    "dA_keys_shifted": (
        "dA keys shifted by one layer",
        "The gradient a layer passes down, dA[l-1] = W[l]^T dZ[l], is the input of layer l-1's backward step. "
        "Your values sit one layer off (reading or storing grads['dA' + str(l + 2)] where l + 1 is meant), "
        "so a layer is given another layer's gradient.",
        "store dA_prev under grads['dA' + str(l)] for layer l + 1's input, and read grads['dA' + str(l + 1)] "
        "for layer l + 1"),
    "elementwise_WT_dZ": (
        "elementwise W.T * dZ instead of a matrix product",
        "dA[l-1] = W[l]^T dZ[l] is a matrix product: each unit below sums over the n[l] units above. "
        "W.T * dZ is elementwise; it equals the product only when n[l] = 1 (one output unit, where it "
        "broadcasts to the outer product), and fails or is wrong otherwise.",
        "dA_prev = np.dot(W.T, dZ)"),
    "update_returns_in_loop": (
        "the update returns inside its loop",
        "The update W[l] = W[l] - alpha dW[l] must run for every layer l = 1..L; a `return` indented inside "
        "the for-loop leaves after layer 1, so the other layers never change.",
        "dedent `return parameters` out of the for-loop"),
    "update_stops_early": (
        "the update loop stops one layer early",
        "The update must run for l = 1..L; range(1, L) (or range(L - 1)) stops before the last layer, so the "
        "output layer never learns.",
        "for l in range(1, L + 1):   (or for l in range(L): with keys l + 1)"),
    "wrong_sign": (
        "learning rate applied with the wrong sign",
        "Gradient descent steps against the gradient: your update adds learning_rate * dW and climbs the cost.",
        "W = W - learning_rate * dW  and  b = b - learning_rate * db"),
}.items()}


def _activation(case: Case, l: int) -> str:
    return reference.get_activation(case.activations[l - 1]).name


def _softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _dZ_candidates(case: Case, textbook: Trace, step: int, l: int) -> dict[str, np.ndarray]:
    """Per-example dZ[l] as each mistake would compute it from correct inputs."""
    v, L = textbook.values, case.L
    Z, dZ = v[Key(step, "forward", l, "Z")], v[Key(step, "backward", l, "dZ")]
    out = {"one_over_m_twice": dZ / case.m}
    if l == L:
        A = v[Key(step, "forward", l, "A")]
        if _activation(case, l) == "sigmoid" and case.loss == "binary_crossentropy":
            out["sigmoid_prime_twice"] = dZ * A * (1 - A)
        return out
    dA = v[Key(step, "backward", l, "dA")]
    name = _activation(case, l)
    g = reference.get_activation(case.activations[l - 1])
    if name == "relu":
        out["relu_prime_at_zero"] = np.where(Z >= 0, dA, 0.0)
        out["relu_masked_by_dA"] = np.where(dA > 0, dA, 0.0)
    elif name == "tanh":
        out["tanh_prime_of_Z"] = dA * (1 - Z * Z)
    elif name == "sigmoid":
        out["sigmoid_prime_of_Z"] = dA * Z * (1 - Z)
    W_next = textbook.starts[step].params[f"W{l + 1}"]
    if W_next.shape[0] == W_next.shape[1]:
        out["missing_transpose"] = g.backward(W_next @ v[Key(step, "backward", l + 1, "dZ")], Z)
    for other in (l - 1, l + 1):  # another layer's dA pushed through this layer's g'
        key = Key(step, "backward", other, "dA")
        if 1 <= other <= L and key in v and v[key].shape == dA.shape and not np.array_equal(v[key], dA):
            out.setdefault("dA_keys_shifted", g.backward(v[key], Z))
    return out


def candidates(case: Case, textbook: Trace, key: Key) -> dict[str, np.ndarray]:
    """What the learner's ``key`` would be under each mistake that can show first there."""
    v, s, l, m = textbook.values, key.step, key.layer, case.m
    if key.stage == "forward":
        out = {}
        if key.quantity == "A" and _activation(case, l) == "softmax":
            Z = v[Key(s, "forward", l, "Z")]
            e = np.exp(Z - Z.max(axis=1, keepdims=True))
            out["softmax_wrong_axis"] = e / e.sum(axis=1, keepdims=True)
            A_prev = v[Key(s, "forward", l - 1, "A")] if l > 1 else batch(case)[0]
            wrong_inputs = [A_prev, textbook.starts[s].params[f"W{l}"] @ A_prev]
            if l > 1:
                wrong_inputs.append(v[Key(s, "forward", l - 1, "Z")])
            for wrong in wrong_inputs:
                if wrong.shape == Z.shape and "softmax_wrong_input" not in out:
                    out["softmax_wrong_input"] = _softmax(wrong)
        return out
    if key.stage == "update":
        before = textbook.starts[s].params[f"{key.quantity}{l}"]
        return {"wrong_sign": before + case.learning_rate * v[Key(s, "backward", l, f"d{key.quantity}")]}
    if key.stage != "backward":
        return {}
    A_prev = v[Key(s, "forward", l - 1, "A")] if l > 1 else batch(case)[0]
    reference_value = v[key]
    out = {}
    if key.quantity in ("dW", "db"):
        out["missing_one_over_m"] = reference_value * m
        out["one_over_m_twice"] = reference_value / m
    if key.quantity == "dW":
        out["dW_transposed"] = reference_value.T
        for other in range(1, case.L + 1):
            dZ_other = v.get(Key(s, "backward", other, "dZ"))
            if other != l and dZ_other is not None and (dZ_other @ A_prev.T).shape == reference_value.shape:
                out.setdefault("dW_other_layer_dZ", dZ_other @ A_prev.T / m)
    if key.quantity == "db":
        dZ = v[Key(s, "backward", l, "dZ")]
        out["db_all_axes"] = np.full_like(reference_value, dZ.sum() / m)
    for mistake, dZ in _dZ_candidates(case, textbook, s, l).items():
        derived = {"dZ": dZ, "dW": dZ @ A_prev.T / m, "db": dZ.sum(axis=1, keepdims=True) / m}
        if key.quantity in derived:
            out.setdefault(mistake, derived[key.quantity])
    if key.quantity == "dA" and l < case.L:
        W_next = textbook.starts[s].params[f"W{l + 1}"]
        if W_next.shape[0] == W_next.shape[1]:
            out["missing_transpose"] = W_next @ v[Key(s, "backward", l + 1, "dZ")]
        for other in (l - 1, l + 1):
            other_value = v.get(Key(s, "backward", other, "dA"))
            if other_value is not None and other_value.shape == reference_value.shape:
                out.setdefault("dA_keys_shifted", other_value)
        if l + 1 == case.L and _activation(case, case.L) == "sigmoid" and case.loss == "binary_crossentropy":
            A = v[Key(s, "forward", case.L, "A")]
            out["sigmoid_prime_twice"] = W_next.T @ (v[Key(s, "backward", case.L, "dZ")] * A * (1 - A))
    return out


def update_pattern(case: Case, unchanged) -> str | None:
    """The update mistakes that leave whole layers untouched, read from the set of layers whose W and b are
    returned exactly as they were (``unchanged(l)``)."""
    L = case.L
    still = {l for l in range(1, L + 1) if unchanged(l)}
    if not still or 1 in still:  # nothing skipped, or layer 1 too: not one of these two loop mistakes
        return None
    if still == set(range(2, L + 1)) and L > 2:
        return "update_returns_in_loop"
    if still == {L}:
        return "update_stops_early"
    return None


BROADCAST = re.compile(r"(\.T|transpose\([^)]*\))\s*\*(?!\*)|\*\s*[A-Za-z_][\w\[\]\"']*\.T\b")


def from_exception(error: BaseException, line: str | None) -> Diagnosis | None:
    """A mistake recognised from the exception it raises and the learner's offending line."""
    if isinstance(error, ValueError) and "broadcast" in str(error) and line and BROADCAST.search(line):
        return MISTAKES["elementwise_WT_dZ"]
    return None
