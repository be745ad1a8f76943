"""The one place that prepares the process for the frameworks: environment variables, threads, import order.

``configure(threads)`` must run before TensorFlow, Keras or PyTorch is imported (``conftest.py`` and the CLI
call it first): TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` at import, Keras reads ``KERAS_BACKEND`` at import,
and TensorFlow's thread pools can only be sized before its first operation.
``import_frameworks()`` then imports them in one fixed order, TensorFlow before torch (the order our smoke
test certifies; the reverse once crashed through torch's global symbols, tensorflow/tensorflow#13615).
"""

from __future__ import annotations

import os
import sys

_configured_threads: int | None = None


def configure(threads: int | None = None) -> None:
    """Set the variables the frameworks read at import; ``threads`` caps every thread pool (None: library default).

    Keras is pinned to the TensorFlow backend: Keras on the torch backend would not be an independent witness
    against PyTorch. oneDNN is left as installed (on, for TensorFlow on x86), since that is what users run;
    the report records it.
    """
    global _configured_threads
    already = [name for name in ("tensorflow", "keras", "torch") if name in sys.modules]
    if already and os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        raise RuntimeError(f"configure() must run before importing {', '.join(already)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS"):
            os.environ[name] = str(threads)
    _configured_threads = threads


def import_frameworks():
    """(tensorflow, keras, torch), imported in the fixed order and sized to ``configure``'s thread count.

    Raises ImportError naming the missing package, so that callers can skip with a reason.
    """
    import tensorflow as tf  # noqa: I001 - the order is the point
    import keras
    import torch

    if _configured_threads is not None:
        torch.set_num_threads(_configured_threads)
        try:
            tf.config.threading.set_intra_op_parallelism_threads(_configured_threads)
            tf.config.threading.set_inter_op_parallelism_threads(_configured_threads)
        except RuntimeError:
            pass  # TensorFlow already ran an op in this process; the environment variables above sized it
    return tf, keras, torch
