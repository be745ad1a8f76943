"""Keras on another backend, in a process of its own.

Keras reads ``KERAS_BACKEND`` once, at import, so one process runs one backend. The main process runs Keras on
TensorFlow; a framework whose registry row needs another backend (``keras-jax``, ``keras-torch``) is run by a
worker: ``python -m parity.worker BACKEND THREADS``, started on first use and kept for the rest of the process
(one per backend, so a pytest-xdist worker starts each at most once). ``submit`` sends a request and returns a
Future, so the harness can let a worker compute while this process runs its own frameworks; one thread per
worker does all the talking, so requests never interleave. It configures its environment first
(``parity.environment.configure(keras_backend=BACKEND)``), then answers requests on its standard input with the
harness's own functions, run locally inside it. Requests and answers are pickled; the worker's own standard
output is pointed at its standard error, so nothing a library prints can corrupt an answer.

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
from concurrent.futures import Future, ThreadPoolExecutor

from parity import environment


class WorkerError(RuntimeError):
    """An error raised inside a worker process, with its traceback."""


_WORKERS: dict[str, subprocess.Popen] = {}


def _start(backend: str) -> subprocess.Popen:
    threads = environment.configured_threads()
    process = subprocess.Popen(
        [sys.executable, "-m", "parity.worker", backend, "none" if threads is None else str(threads)],
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


def submit(backend: str, function: str, *args) -> Future:
    """Start ``function`` (a name in ``_operations``) on ``args`` in the worker for ``backend`` and return at
    once: the Future's ``result()`` is ``call``'s answer (or raises its error). Requests to one worker run in
    the order submitted, one at a time, while this process goes on with its own work."""
    sender = _SENDERS.get(backend)
    if sender is None:
        sender = _SENDERS[backend] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"keras-{backend}")
    return sender.submit(_call, backend, function, *args)


def running(backend: str) -> bool:
    """Whether this process has started the worker for ``backend`` and it still runs."""
    process = _WORKERS.get(backend)
    return process is not None and process.poll() is None


def call(backend: str, function: str, *args):
    """``function`` (a name in ``_operations``) applied to ``args`` in the worker for ``backend``."""
    return submit(backend, function, *args).result()


def _call(backend: str, function: str, *args):
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


def _operations() -> dict:
    from parity import harness

    return {"runtime_defaults": harness.runtime_defaults, "framework_trace": harness.framework_trace,
            "free_run": harness.free_run, "framework_runs": harness.framework_runs,
            "describe": environment.describe}


def serve(backend: str, threads: int | None) -> None:
    environment.configure(threads, keras_backend=backend)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a library's print goes to stderr, never into an answer
    requests = sys.stdin.buffer
    operations = _operations()
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


if __name__ == "__main__":
    serve(sys.argv[1], None if sys.argv[2] == "none" else int(sys.argv[2]))
