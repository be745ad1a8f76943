"""Keras on another backend, in a process of its own.

Keras reads ``KERAS_BACKEND`` once, at import, so one process runs one backend. The main process runs Keras on
TensorFlow; a framework whose registry row needs another backend (``keras-jax``, ``keras-torch``) is run by a
worker: ``python -m parity.worker_process BACKEND THREADS``, started on first use and kept for the rest of the
process (one per backend, so a pytest-xdist worker starts each at most once). ``submit`` sends a request (one of
the ``Operation``s, with its arguments) and returns a Future, so the harness can let a worker compute while this
process runs its own frameworks; one thread per worker does all the talking, so requests never interleave.

The worker process (``parity.worker_process``) configures its environment first
(``parity.environment.configure(keras_backend=BACKEND)``), then ``serve``s requests on its standard input with the
table of functions it is given (the harness's own, run locally inside it): this module imports none of them, so
the harness that calls it is not imported back. Requests and answers are pickled; the worker's own standard output
is pointed at its standard error, so nothing a library prints can corrupt an answer.

An exception inside the worker comes back as the same kind of error: ImportError keeps its ``name`` (the harness
skips with it), anything else is a ``WorkerError`` carrying the worker's traceback.
"""

from __future__ import annotations

import atexit
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum

from parity import environment


class WorkerError(RuntimeError):
    """An error raised inside a worker process, with its traceback."""


class Operation(StrEnum):
    """What a worker answers: each is the function of the same name that the worker process is given (the
    harness's, or ``environment.describe``), applied there to the request's arguments."""

    RUNTIME_DEFAULTS = "runtime_defaults"  # (framework) -> dict
    FRAMEWORK_TRACE = "framework_trace"  # (case, framework, starts) -> Trace
    FREE_RUN = "free_run"  # (case, framework) -> Trace
    FRAMEWORK_RUNS = "framework_runs"  # (case, framework, starts, drift) -> harness.FrameworkRuns
    DESCRIBE = "describe"  # () -> dict: the worker's environment


_WORKERS: dict[str, subprocess.Popen] = {}


def _start(backend: str) -> subprocess.Popen:
    threads = environment.configured_threads()
    process = subprocess.Popen(
        [sys.executable, "-m", "parity.worker_process", backend, "none" if threads is None else str(threads)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ),
    )
    atexit.register(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.stdin.close()  # the worker reads EOF and returns
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.stdout.close()


_SENDERS: dict[str, ThreadPoolExecutor] = {}  # backend -> the one thread that talks to its worker, in order


def submit(backend: str, function: Operation | str, *args) -> Future:
    """Start ``function`` (an ``Operation``, or its name) on ``args`` in the worker for ``backend`` and return at
    once: the Future's ``result()`` is ``call``'s answer (or raises its error). Requests to one worker run in
    the order submitted, one at a time, while this process goes on with its own work. An unknown operation
    raises here, with the valid ones."""
    operation = _operation(function)
    sender = _SENDERS.get(backend)
    if sender is None:
        sender = _SENDERS[backend] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"keras-{backend}")
    return sender.submit(_call, backend, operation, *args)


def _operation(function: Operation | str) -> Operation:
    try:
        return Operation(function)
    except ValueError:
        raise ValueError(f"a worker has no operation {function!r}; valid: {', '.join(Operation)}") from None


def running(backend: str) -> bool:
    """Whether this process has started the worker for ``backend`` and it still runs."""
    process = _WORKERS.get(backend)
    return process is not None and process.poll() is None


def call(backend: str, function: Operation | str, *args):
    """``function`` (an ``Operation``, or its name) applied to ``args`` in the worker for ``backend``."""
    return submit(backend, function, *args).result()


def _call(backend: str, function: Operation, *args):
    process = _WORKERS.get(backend)
    if process is None or process.poll() is not None:
        process = _WORKERS[backend] = _start(backend)
    try:
        pickle.dump((function, args), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        process.stdin.flush()
        status, payload = pickle.load(process.stdout)
    except (BrokenPipeError, EOFError):
        code = process.wait()
        _WORKERS.pop(backend, None)
        raise WorkerError(f"the Keras-on-{backend} worker exited with code {code} during {function} "
                          "(its error is on standard error above)") from None
    if status == "ok":
        return payload
    kind, message, name, trace = payload
    if kind == "ImportError":
        raise ImportError(message, name=name)
    raise WorkerError(f"{kind} in the Keras-on-{backend} worker during {function}: {message}\n{trace}")


def serve(operations: Mapping[Operation, Callable]) -> None:
    """Answer requests on standard input with ``operations`` (every ``Operation`` mapped to its function) until
    standard input ends; the process's environment is configured already (``parity.worker_process``)."""
    missing = set(Operation) - set(operations)
    if missing:
        raise ValueError(f"a worker needs a function for every operation; missing: {', '.join(sorted(missing))}")
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a library's print goes to stderr, never into an answer
    requests = sys.stdin.buffer
    while True:
        try:
            function, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = ("ok", operations[function](*args))
        except BaseException as error:  # noqa: BLE001 - every error goes back to the caller
            answer = ("error", (type(error).__name__, str(error), getattr(error, "name", None),
                                traceback.format_exc()))
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()
