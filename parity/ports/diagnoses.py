"""Why a user's framework model disagrees with the reference: the likely bugs, in the user's words (a documented
convention's setting that removes it is the convention's own record's ``remedy``).

A bug is a ``Suspect``: read from the user's objects before anything runs (``BUGS``: a softmax before
``CrossEntropyLoss``, a softmax over the batch), or from the numbers (``accumulated_gradients``: gradients that
are the sum of this step's and the last, the signature of a missing ``zero_grad()``). Each names the quantity
where it first shows (stage and quantity), so the checker says "cause" only where the first divergence is that
quantity, and "also suspect" otherwise. A convention's remedy is its record's (``parity.conventions``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parity.tolerance import ACCUMULATED_GRADIENT_ULPS


class PortError(ValueError):
    """The user's model cannot be checked as it is: one line saying what was found and what is supported."""


@dataclass(frozen=True)
class Bug:
    id: str
    stage: str  # where it first shows: "forward", "cost", "backward", "update"
    quantity: str  # "A", "J", "dW", ...
    text: str  # in the user's words, formatted with the Suspect's details
    fix: str


BUGS = {bug.id: bug for bug in (
    Bug("softmax_before_cross_entropy", "cost", "J",
        "{loss} applies log-softmax itself: your model's last Softmax ({line}) is applied twice, so the loss sees "
        "softmax(softmax(Z))",
        "remove the Softmax from the model (apply it only to read probabilities), or give torch.log_softmax's output "
        "to nn.NLLLoss"),
    Bug("sigmoid_before_logits_loss", "cost", "J",
        "{loss} applies the sigmoid itself: your model's last Sigmoid ({line}) is applied twice",
        "remove the Sigmoid from the model, or use nn.BCELoss on its output"),
    Bug("softmax_over_batch", "forward", "A",
        "the last Softmax ({line}) normalises over dim={dim}, the batch: each unit's probabilities sum to 1 across the "
        "samples instead of across the classes",
        "nn.Softmax(dim=1) (or dim=-1): rows are samples"),
    Bug("activation_before_from_logits", "cost", "J",
        "{loss}(from_logits=True) applies the {activation} itself: your last layer's {activation} ({line}) is "
        "applied twice on Keras's JAX and torch backends (on TensorFlow, Keras takes the logits back from the "
        "{activation}'s input with a warning, keras/src/backend/tensorflow/nn.py _get_logits, so the numbers agree "
        "there and the port to another backend breaks)",
        "compile with from_logits=False (the default), or end the model with a linear Dense"),
    Bug("logits_as_probabilities", "forward", "A",
        "{loss} (from_logits=False, the default) takes probabilities, but your model ends in a linear Dense "
        "({line}): its outputs are read as probabilities, normalised and clipped",
        "compile with from_logits=True, or give the last Dense activation=\"softmax\" (\"sigmoid\" for one unit)"),
    Bug("dropout_in_eval_mode", "forward", "A",
        "the model's nn.Dropout layers are in eval mode during training ({line} calls .eval()), so they drop nothing",
        "call model.train() at the start of every training step (and model.eval() only to evaluate)"),
    Bug("zero_grad_missing", "backward", "dW",
        "the gradients at step {step} equal steps {previous} + {step}: they accumulate, because "
        "optimizer.zero_grad() is never called in {function} ({line})",
        "call optimizer.zero_grad() before loss.backward() in every step"),
    Bug("step_never_called", "update", "W",
        "the parameters do not move: optimizer.step() is never called in {function} ({line})",
        "call optimizer.step() after loss.backward()"),
)}


@dataclass(frozen=True)
class Suspect:
    """A bug found in the user's model, where (file and line) and with its details filled in."""

    bug: Bug
    where: str  # "model.py"
    line: str  # "line 12"
    details: tuple = ()

    @property
    def text(self) -> str:
        return self.bug.text.format(line=f"{self.where}, {self.line}" if self.line else self.where,
                                    **dict(self.details))

    def explains(self, result) -> bool:
        """Whether the first divergence ``result`` is where this bug first shows."""
        return result is not None and (result.stage, result.quantity) == (self.bug.stage, self.bug.quantity)

    def to_dict(self) -> dict:
        return {"id": self.bug.id, "text": self.text, "fix": self.bug.fix, "file": self.where, "line": self.line,
                "stage": self.bug.stage, "quantity": self.bug.quantity}


def suspect(id_: str, where: str, line: str, **details) -> Suspect:
    if id_ not in BUGS:
        raise KeyError(f"unknown bug {id_!r}; known: {', '.join(BUGS)}")
    return Suspect(BUGS[id_], where, line, tuple(details.items()))


def accumulated_gradients(actual, textbook, key, previous_key, dtype: str) -> bool:
    """Whether the gradient at ``key`` is the reference's plus the same quantity one step before (the user's own,
    ``previous_key``): what a training step without ``zero_grad()`` computes, as .grad sums over backward calls.
    Judged normwise to ``tolerance.ACCUMULATED_GRADIENT_ULPS`` ulps of the dtype."""
    if key not in actual.values or previous_key not in actual.values or key not in textbook.values:
        return False
    summed = np.asarray(textbook.values[key], np.float64) + np.asarray(actual.values[previous_key], np.float64)
    got = np.asarray(actual.values[key], np.float64)
    scale = max(float(np.abs(summed).max(initial=0.0)), np.finfo(np.float64).tiny)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return float(np.abs(got - summed).max(initial=0.0)) <= ACCUMULATED_GRADIENT_ULPS * eps * scale
