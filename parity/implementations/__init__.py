"""Implementations: each knows *how* one library runs a Case and returns a Trace in the reference layout.

``reference`` runs the NumPy reference (in the textbook variant or a framework's documented variant);
``torch`` and ``keras`` build the network from their framework's own layers, losses and optimizers (Keras on each
of its backends), ``jax`` as a pure function of its parameters with optax's losses and optimizers. Which
framework runs in which module, and when it applies, is the registry's (``parity.frameworks``). The frameworks
are imported lazily, inside their own module, so that a missing framework skips instead of crashing.

Inside each framework adapter, one ``_Model`` holds the built network, its loss and optimizer, with one interface:
``params()`` and ``buffers()`` (the current parameters and running statistics, reference layout, by the
reference's names), ``load(start, case)`` (set parameters and optimizer state to a ``Start``) and
``state(case) -> (state, t)`` (the optimizer's state after a step, in the course's names, and Adam's t).
"""
