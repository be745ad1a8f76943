"""Implementations: each knows *how* one library runs a Case and returns a Trace in the reference layout.

``reference`` runs the NumPy reference (in the textbook variant or a framework's documented variant);
``torch`` and ``keras`` build the network from their framework's own layers, losses and optimizers. The
frameworks are imported lazily, inside their own module, so that a missing framework skips instead of crashing.
"""

FRAMEWORKS = ("torch", "torch-logits", "keras")


def framework_applies(case, framework: str) -> bool:
    """torch-logits (BCEWithLogitsLoss) exists only for a sigmoid output trained with binary cross-entropy."""
    if framework == "torch-logits":
        return case.loss == "binary_crossentropy" and case.activations[-1] == "sigmoid"
    return True
