"""Implementations: each knows *how* one library runs a Case and returns a Trace in the reference layout.

``reference`` runs the NumPy reference (in the textbook variant or a framework's documented variant);
``torch`` and ``keras`` build the network from their framework's own layers, losses and optimizers, ``jax`` as a
pure function of its parameters with optax's losses and optimizers. The
frameworks are imported lazily, inside their own module, so that a missing framework skips instead of crashing.
"""

FRAMEWORKS = ("torch", "torch-logits", "keras", "jax")


def framework_applies(case, framework: str) -> bool:
    """torch-logits (BCEWithLogitsLoss) exists only for a sigmoid output trained with binary cross-entropy; jax's
    optax cross-entropies take logits, so they need a sigmoid (binary) or softmax (categorical) output."""
    if framework == "torch-logits":
        return case.loss == "binary_crossentropy" and case.activations[-1] == "sigmoid"
    if framework == "jax":
        output = case.activations[-1]
        return {"binary_crossentropy": output == "sigmoid", "categorical_crossentropy": output == "softmax"}.get(
            case.loss, True)
    return True
