"""Implementations: each knows *how* one library runs a Case and returns a Trace in the reference layout.

``reference`` runs the NumPy reference (in the textbook variant or a framework's documented variant);
``torch`` and ``keras`` build the network from their framework's own layers, losses and optimizers (Keras on each
of its backends), ``jax`` as a pure function of its parameters with optax's losses and optimizers. Which
framework runs in which module, and when it applies, is the registry's (``parity.frameworks``). The frameworks
are imported lazily, inside their own module, so that a missing framework skips instead of crashing.
"""
