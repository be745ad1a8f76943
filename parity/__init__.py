"""nn-parity's harness: the reference network checked against PyTorch, Keras and JAX (see the README).

``parity.check(...)`` checks a learner's own network (``parity.learner.checker.check``)."""


def check(target=None, **options):
    """``parity.check("assignment.ipynb")``, ``parity.check(module)`` or ``parity.check(forward=...,
    backward=..., update=...)``: the learner's network checked against the reference; the result renders
    as HTML in Jupyter. Options: see ``parity.learner.checker.check``."""
    from parity.learner.checker import check as _check

    return _check(target, **options)
