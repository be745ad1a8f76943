"""The one place that prepares the process for the frameworks: environment variables, threads, import order.

``configure(threads)`` must run before TensorFlow, Keras or PyTorch is imported (``conftest.py`` and the CLI
call it first): TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` at import, Keras reads ``KERAS_BACKEND`` at import,
and TensorFlow's thread pools can only be sized before its first operation.
``import_frameworks()`` then imports them in one fixed order, ``_ORDER``: triton (where installed) before
TensorFlow, TensorFlow before torch. Why triton first is written beside ``_ORDER``; the order is certified by
``tests/test_environment.py``, which builds every optimizer of every framework and takes a step with it.

Keras reads its backend once per process. The main process runs Keras on TensorFlow; Keras on JAX and on
PyTorch run in worker processes (``parity.worker``) that call ``configure(keras_backend="jax")`` (or "torch")
first. Importing Keras imports its backend's library first, so the order above holds in every process.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from parity.frameworks import REGISTRY

_configured_threads: int | None = None
_sized: set[str] = set()  # modules whose threads _load has set


def configure(threads: int | None = None, keras_backend: str = "tensorflow") -> None:
    """Set the variables the frameworks read at import; ``threads`` caps every thread pool (None: library default).

    ``keras_backend`` is this process's Keras backend: TensorFlow in the main process (whatever the shell's
    ``KERAS_BACKEND`` says, so a user's setting cannot silently change the witness), JAX or PyTorch in a worker.
    oneDNN is left as installed (on, for TensorFlow on x86), since that is what users run; the report records it.
    """
    global _configured_threads, _configured_variables
    if keras_backend not in (backends := keras_backends()):
        raise ValueError(f"unknown Keras backend {keras_backend!r}; valid: {', '.join(backends)}")
    if "keras" in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") != keras_backend:
        running = os.environ.get("KERAS_BACKEND")
        raise RuntimeError(f"configure() must run before importing keras (it already runs on {running})")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_BACKEND"] = keras_backend
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # the registry's CPU jaxlib; no probing for accelerators
    if folder := compilation_cache():
        # XLA's compiled programs, kept on disk across processes (its key holds the program, the jax and jaxlib
        # versions, the flags and the device, so a stale entry is never used), every one of them however quick
        # to compile. Set as variables, which jax reads when it is first imported, by us or by Keras (importing
        # TensorFlow's Keras imports jax): a config.update after that import came too late in the main process.
        for name, value in _JAX_CACHE_VARIABLES.items():
            os.environ.setdefault(name, folder if value is None else value)
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS"):
            os.environ[name] = str(threads)
        _configured_threads = threads
    _configured_variables = dict(os.environ)
    if not verbose():
        # The frameworks' own Python warnings (Keras's "softmax over axis -1 of a tensor of shape (3, 1)", which
        # the fuzzer draws on purpose: A = 1 and dZ = 0 in every implementation, an edge they must agree on) stay
        # off the user's terminal unless --verbose: the numbers are what is compared and reported. NumPy's are
        # kept (the reference's own numerics), and a pytest session's filters (pyproject: every warning an error)
        # come first in each test, so the suite still fails on them.
        import warnings

        warnings.filterwarnings("ignore", module=FRAMEWORK_MODULES)
    if "tensorflow" not in sys.modules:
        _load_before_tensorflow()


def _load_before_tensorflow() -> None:
    """Import the installed libraries of ``_BEFORE_TENSORFLOW`` (why: see there), unless TensorFlow is loaded."""
    import importlib
    import importlib.util

    for module in _BEFORE_TENSORFLOW:
        if module not in sys.modules and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


# Libraries that carry a copy of LLVM of their own and must be loaded before TensorFlow. The registry's default
# torch wheel (the CUDA build, which runs on the CPU too) brings triton, and torch imports it lazily: the first
# torch.optim optimizer imports torch._dynamo, which imports triton. libtensorflow_framework.so exports the LLVM
# inside it, so when triton's libtriton.so is loaded after TensorFlow its LLVM symbols bind to TensorFlow's copy
# (LD_DEBUG=bindings shows `libtriton.so ... to libtensorflow_framework.so.2: llvm::cl::...`), its static
# initialisers register LLVM's command-line options a second time in TensorFlow's registry, and LLVM aborts the
# process: "CommandLine Error: Option 'bitcode-mdindex-threshold' registered more than once" (exit 134; under
# pytest-xdist the workers die one by one). Loaded first, libtriton.so (a Python extension, loaded RTLD_LOCAL)
# keeps its symbols to itself and TensorFlow binds to its own. triton imports in about 0.1 s. ``configure`` loads
# it too, so that a TensorFlow imported by another path (pytest.importorskip("keras")) still comes after it.
_BEFORE_TENSORFLOW = ("triton",)
_ORDER = (*_BEFORE_TENSORFLOW, "tensorflow", "keras", "torch")
# jax's persistent compilation cache (None: the folder, ``compilation_cache()``)
_JAX_CACHE_VARIABLES = {"JAX_COMPILATION_CACHE_DIR": None, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
_configured_variables: dict[str, str] | None = None


def configured_variables() -> dict[str, str]:
    """The environment as ``configure`` left it, before any framework's import: what the frameworks read then.
    (Importing them sets a few variables of their own, such as ``KMP_DUPLICATE_LIB_OK``: consequences, not
    inputs.) The current environment where ``configure`` has not run."""
    return dict(os.environ) if _configured_variables is None else dict(_configured_variables)


def configured_threads() -> int | None:
    """The thread count ``configure`` set (None: the libraries' defaults)."""
    return _configured_threads


def keras_backends() -> tuple[str, ...]:
    """The Keras backends the registry's rows run on (``parity.frameworks``), in registry order."""
    return tuple(dict.fromkeys(row.keras_backend for row in REGISTRY.values() if row.keras_backend))


def keras_backend() -> str:
    """The Keras backend this process runs (or will run, once Keras is imported)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def torch_device() -> str:
    """Where the PyTorch side runs: ``NN_PARITY_TORCH_DEVICE`` (default "cpu"; e.g. "cuda" on a GPU machine)."""
    return os.environ.get("NN_PARITY_TORCH_DEVICE", "cpu")


def compilation_cache() -> str | None:
    """Where JAX keeps its compiled programs: ``NN_PARITY_JAX_CACHE`` ("off" for none), by default
    ``$XDG_CACHE_HOME/nn-parity/jax`` (``~/.cache/nn-parity/jax``)."""
    return _cache_folder("NN_PARITY_JAX_CACHE", "jax")


def run_cache() -> str | None:
    """Where framework runs are remembered (``parity.memo``): ``NN_PARITY_RUN_CACHE`` ("off" for none), by default
    ``$XDG_CACHE_HOME/nn-parity/runs`` (``~/.cache/nn-parity/runs``)."""
    return _cache_folder("NN_PARITY_RUN_CACHE", "runs")


def _cache_folder(variable: str, name: str) -> str | None:
    folder = os.environ.get(variable)
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "nn-parity", name)
    return None if folder.lower() in ("", "off", "none", "0") else folder


def require(name: str):
    """Import framework ``name`` ("tensorflow", "keras" or "torch") keeping the one fixed order.

    Any library earlier in the order that is installed but not yet imported is imported first, so the process
    always loads triton before TensorFlow and TensorFlow before torch, whichever the caller asks for first.
    Raises ImportError (with the missing package's name) when ``name`` itself is not installed, so callers can
    skip with a reason.
    """
    import importlib
    import importlib.util

    earlier = _ORDER[: _ORDER.index(name)] if name in _ORDER else ()  # jax, optax: no order to keep
    if name == "keras" and keras_backend() != "tensorflow":
        earlier = (keras_backend(),)  # Keras on JAX or torch needs its backend, and x64 on before Keras reads it
        if importlib.util.find_spec(earlier[0]) is None:
            raise ImportError(f"{earlier[0]} is not installed (Keras's {earlier[0]} backend)", name=earlier[0])
    elif name == "torch" and keras_backend() != "tensorflow":
        earlier = ()  # a Keras-on-JAX or -on-torch worker never loads TensorFlow
    for module in earlier:
        # also one already imported another way (pytest.importorskip("keras") brings TensorFlow in behind Keras):
        # _load sizes its thread pools, which the import alone left at the library's default
        if module not in _sized and importlib.util.find_spec(module) is not None:
            _load(module)
    return _load(name)


VERBOSE = "NN_PARITY_VERBOSE"  # set (to anything but "" or "0"): the frameworks' start-up lines and warnings shown
# the modules whose Python warnings ``configure`` keeps off the terminal unless ``verbose()``
FRAMEWORK_MODULES = r"(keras|tensorflow|tf_keras|torch|triton|jax|jaxlib|optax)(\.|$)"


def verbose() -> bool:
    return os.environ.get(VERBOSE, "") not in ("", "0")


@contextlib.contextmanager
def _start_up_lines_held_back():
    """Hold back what native code writes to file descriptor 2 while a framework imports, unless ``verbose()``.

    TensorFlow's C++ start-up lines (absl's 'All log messages before absl::InitializeLog()', oneDNN's 'custom
    operations are on', the CPU-feature guard) are written before its logging reads ``TF_CPP_MIN_LOG_LEVEL``, so
    that variable cannot silence them. What the import wrote is shown after all if the import fails, so nothing
    that explains a failure is lost. oneDNN's use is recorded in every report's environment instead.
    """
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _load(name: str):
    import importlib

    first_time = name not in sys.modules
    if first_time and name == "tensorflow":
        with _start_up_lines_held_back():
            module = importlib.import_module(name)
    else:
        module = importlib.import_module(name)
    if name == "jax":
        # JAX is 32-bit unless x64 is on (float64 arrays are silently truncated); process-wide and sticky, so it
        # is set once, here. float32 runs stay float32: their arrays are float32 and Python scalars weakly typed.
        module.config.update("jax_enable_x64", True)
        if module.config.jax_compilation_cache_dir is None and (folder := compilation_cache()):
            # configure() was not called (it sets the cache's variables before any import): the cache from here
            # on. Compiling dominates JAX's time on this grid; with the cache a second run (pytest after the
            # report, a rerun, each test worker after the first) loads what the first compiled.
            module.config.update("jax_compilation_cache_dir", folder)
            module.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            module.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    # Sized once per process, on the first request, even when the module came in another way first: a test's
    # pytest.importorskip("keras") imports TensorFlow behind Keras, with the pools still unset until an op runs.
    if name not in _sized and _configured_threads is not None:
        _sized.add(name)
        if name == "torch":
            module.set_num_threads(_configured_threads)
        elif name == "tensorflow":
            try:
                module.config.threading.set_intra_op_parallelism_threads(_configured_threads)
                module.config.threading.set_inter_op_parallelism_threads(_configured_threads)
            except RuntimeError:
                pass  # an op already ran in this process; the environment variables above sized the pools
    return module


def import_frameworks():
    """(tensorflow, keras, torch), imported in the fixed order and sized to ``configure``'s thread count."""
    return require("tensorflow"), require("keras"), require("torch")


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    import platform

    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> dict:
    """What the numbers were computed on: versions, BLAS, CPU, threads and the flags that change results.

    Framework settings are read only from frameworks this process has already imported (describing must not
    import TensorFlow or torch by itself).
    """
    import platform

    import numpy as np

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip(),
        # every package a registry row needs (tensorflow installs as tensorflow-cpu from the registry here)
        **{package: _version(package) or _version(f"{package}-cpu")
           for package in dict.fromkeys(p for row in REGISTRY.values() for p in row.packages)},
        # torch's lazy companion in the registry's default (CUDA) wheel; None with the CPU-only build
        **{module: _version(module) for module in _BEFORE_TENSORFLOW},
        "threads": _configured_threads,
        "flags": {
            "KERAS_BACKEND": os.environ.get("KERAS_BACKEND"),
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (TensorFlow's default)"),
        },
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        env["flags"].update({
            "torch_num_threads": torch.get_num_threads(),
            "torch_float32_matmul_precision": torch.get_float32_matmul_precision(),
            "torch_cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "torch_cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "torch_cuda_available": torch.cuda.is_available(),
            "torch_device": torch_device(),
        })
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        try:
            from tensorflow.python.util import _pywrap_util_port

            onednn = bool(_pywrap_util_port.IsMklEnabled())
        except ImportError:
            onednn = None
        env["flags"].update({
            "tensorflow_onednn_enabled": onednn,
            "tensorflow_tf32_enabled": tf.config.experimental.tensor_float_32_execution_enabled(),
            # 0 when the pools were not sized through the API, because an op ran first (a test's importorskip
            # of Keras can run one): TensorFlow then sized them from TF_NUM_INTRAOP_THREADS, which configure sets
            "tensorflow_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()
            or int(os.environ.get("TF_NUM_INTRAOP_THREADS", "0")),
            "tensorflow_gpus": len(tf.config.list_physical_devices("GPU")),
        })
    return env
