"""Framework runs remembered on disk: a rerun with the same inputs reads a framework's numbers instead of recomputing.

A framework's run of a case (``harness.framework_runs``: its runtime defaults, its step-local trace and its free
run) is a function of nothing but

    the case (every field), whether drift is measured, its batch (X, Y: a case may read a file) and the states
        its steps start from (``starts``: the parameters, optimizer state and buffers the reference hands it),
        the arrays compared bit for bit;
    the code that builds and runs it: every source file of ``parity`` and ``reference``;
    what it runs on: Python, NumPy and every framework's packages (their versions), the CPU (model and
        instruction-set flags, which choose oneDNN's and XLA's kernels), the thread count ``configure`` set and
        every environment variable the frameworks read (``TF_*``, ``XLA_*``, ``KERAS_*``, ``JAX_*``, ``OMP_*``,
        ``MKL_*``, ``OPENBLAS_*``, ``ONEDNN_*``, ``TORCH_*``, ``CUDA_*``, ...) as ``configure`` left them, before
        any framework's import (which sets a few of its own).

The memo files each run under a key hashed from all of these, so a change in any of them (an edited adapter, a
new framework release, another machine) finds nothing and runs the framework. Only the frameworks' numbers are
remembered: the reference's runs, the error model, the tolerances and every comparison are computed afresh on
every run, so a change in any of those takes effect at once and every verdict is still decided now.

What the key cannot see is code changed while the process runs (a test's monkeypatch). So the memo is opt-in:
``python -m parity report`` uses it (``--fresh`` runs every framework again) and so do the grid's tests, which
in CI run after the report and so check its runs against a fresh reference; a planted-bug test never does.

Where: ``NN_PARITY_RUN_CACHE`` ("off" for none), by default ``$XDG_CACHE_HOME/nn-parity/runs``: one folder per
code, packages and environment (the most recent ``KEEP`` are kept), one pickle per run, written atomically so
parallel test workers can share it. A file that cannot be read is treated as missing and removed. The files are
pickles: like any cache of this user's own programs, the folder must not be writable by anyone else.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np

from parity import environment

KEEP = 4  # namespaces (code x packages x environment) kept: this tree and a few recent ones to switch back to
ENVIRONMENT_PREFIXES = ("TF_", "XLA_", "KERAS_", "JAX_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "ONEDNN_", "DNNL_",
                        "TORCH_", "PYTORCH_", "CUDA_", "NVIDIA_", "NN_PARITY_TORCH_")
_CPU_FIELDS = ("vendor_id", "cpu family", "model", "model name", "stepping", "flags")


def folder() -> Path | None:
    """The memo's folder for this code, these packages and this environment (None when it is off)."""
    root = environment.run_cache()
    return None if root is None else Path(root) / namespace()


@functools.cache
def namespace() -> str:
    """A hash of everything a framework's run depends on besides its case and starts (see the module docstring)."""
    import reference
    from parity.frameworks import REGISTRY

    # parity's folder is this file's: importing the package back would close a circle (parity.check imports the
    # harness, which imports this module)
    digest = hashlib.sha256(source_digest([Path(__file__).parent,
                                           Path(reference.__file__).parent]).encode())
    packages = dict.fromkeys(["numpy", *(p for row in REGISTRY.values() for p in row.packages)])
    versions = {p: environment._version(p) or environment._version(f"{p}-cpu") for p in packages}
    variables = {name: value for name, value in sorted(environment.configured_variables().items())
                 if name.startswith(ENVIRONMENT_PREFIXES)}
    described = (platform.python_version(), platform.machine(), _cpu(), os.cpu_count(),
                 environment.configured_threads(), sorted(versions.items()), sorted(variables.items()))
    digest.update(repr(described).encode())
    return digest.hexdigest()[:20]


def source_digest(roots) -> str:
    """A hash of every ``.py`` file under ``roots``: their paths and their bytes."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            digest.update(f"{Path(root).name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            lines = []
            for line in cpuinfo:
                if not line.strip():
                    break  # the first processor speaks for all
                if line.split(":", 1)[0].strip() in _CPU_FIELDS:
                    lines.append(line.strip())
            return "\n".join(lines)
    except OSError:
        return platform.processor()


def key(case, framework: str, textbook, drift: bool) -> str:
    """The run's own key within the namespace: framework, drift, every field of the case, and, bit for bit (dtype,
    shape and bytes), the batch and every array of every start of ``textbook`` (the reference's free run), with each
    start's t and learning rate."""
    digest = hashlib.sha256(repr((framework, drift, case)).encode())
    for name, array in (("X", textbook.X), ("Y", textbook.Y)):
        _update(digest, name, array)
    for start in textbook.starts:
        digest.update(repr((start.t, start.lr)).encode())
        for part in (start.params, start.state, start.buffers):
            for name in sorted(part):
                _update(digest, name, part[name])
    return digest.hexdigest()


def _update(digest, name: str, array) -> None:
    array = np.ascontiguousarray(array)
    digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
    digest.update(array.tobytes())


def load(name: str):
    """What was stored under ``name`` in this namespace (a run's ``key``, "environment-...", "defaults-..."), or
    None."""
    where = folder()
    if where is None:
        return None
    path = where / f"{name}.pickle"
    try:
        with open(path, "rb") as file:
            value = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a truncated or foreign file is a miss, and goes
        path.unlink(missing_ok=True)
        return None
    _touch(where)
    return value


def store(name: str, value) -> None:
    """Store ``value`` under ``name`` in this namespace, atomically (a reader sees the old file or the new one)."""
    where = folder()
    if where is None:
        return
    temporary = None
    try:
        _open(where)
        descriptor, temporary = tempfile.mkstemp(dir=where, suffix=".partial")
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, where / f"{name}.pickle")
        temporary = None
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only or full disk, or a value that does not pickle, costs the next run its speed, never this
        # run its result
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def load_runs(case, framework: str, textbook, drift: bool):
    """The remembered ``framework_runs`` answer for these inputs, or None."""
    return load(key(case, framework, textbook, drift))


def store_runs(case, framework: str, textbook, drift: bool, runs) -> None:
    """Remember ``runs`` (a ``framework_runs`` answer) for these inputs. The harness stores a skip for a dtype the
    framework does not compute in (its installed release decides it), never a framework that failed to import: a
    broken or hidden install is no property of the packages the namespace names."""
    store(key(case, framework, textbook, drift), runs)


@functools.cache
def _touch(where: Path) -> None:
    """Mark this namespace as used (once per process), so that pruning keeps it."""
    try:
        os.utime(where)
    except OSError:
        pass


@functools.cache
def _open(where: Path) -> None:
    """Create this namespace's folder and drop all but the ``KEEP`` most recently used (once per process)."""
    where.mkdir(parents=True, exist_ok=True)
    os.utime(where)
    siblings = sorted((p for p in where.parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                      reverse=True)
    for old in siblings[KEEP:]:
        if old != where:
            shutil.rmtree(old, ignore_errors=True)
