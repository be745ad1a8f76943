"""A worker process: ``python -m parity.worker_process BACKEND THREADS``, started by ``parity.worker``.

It configures its environment for Keras on ``BACKEND`` (``THREADS``: the main process's thread count, or
``none``), then answers ``parity.worker``'s requests with ``operations()``: the harness's own functions, run
locally inside it. This module sits above both the harness and the worker, so neither imports the other back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from parity import environment, worker
from parity.worker import Operation


def operations() -> dict[Operation, Callable]:
    """Each ``Operation`` mapped to the function that answers it."""
    # imported once configure() has set what the libraries read at their import (numpy's thread pools among it)
    from parity import harness

    return {Operation.RUNTIME_DEFAULTS: harness.runtime_defaults, Operation.FRAMEWORK_TRACE: harness.framework_trace,
            Operation.FREE_RUN: harness.free_run, Operation.FRAMEWORK_RUNS: harness.framework_runs,
            Operation.DESCRIBE: environment.describe}


def main(backend: str, threads: int | None) -> None:
    environment.configure(threads, keras_backend=backend)
    worker.serve(operations())


if __name__ == "__main__":
    main(sys.argv[1], None if sys.argv[2] == "none" else int(sys.argv[2]))
