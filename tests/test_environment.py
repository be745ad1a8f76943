"""The process set-up the frameworks need, and the one import order, certified by a smoke test."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parity import environment
from parity.case import OPTIMIZERS, Case
from parity.harness import run_case

ROOT = Path(__file__).resolve().parent.parent


FRAMEWORKS = ("tensorflow", "keras", "torch")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")
VARIABLES = ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL", *THREAD_VARIABLES)

# Installed first in a fresh interpreter: a finder that asks nothing and finds nothing, but writes down the
# variables at the moment each framework is first looked up, i.e. before its first line runs.
WITNESS = f"""
import json, os, sys
seen = {{}}
class Witness:
    def find_spec(self, name, path=None, target=None):
        if name in {FRAMEWORKS!r} and name not in seen:
            seen[name] = {{v: os.environ.get(v) for v in {VARIABLES!r}}}
        return None
sys.meta_path.insert(0, Witness())
import atexit
seen_file = sys.argv.pop(1)
atexit.register(lambda: open(seen_file, "w").write(json.dumps(seen)))
"""

CONFIGURED = {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
ENTRY_POINTS = {
    # a real pytest session: conftest.py, then the test below that imports all three frameworks in-process, in
    # the fixed order, and runs an op in each
    "pytest": ("import pytest; sys.exit(pytest.main())",
               ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist",
                "tests/test_environment.py::test_tensorflow_keras_and_torch_imported_in_the_fixed_order_run_together"],
               {**CONFIGURED, **dict.fromkeys(THREAD_VARIABLES, "1")}),
    # the CLI's report: configure(threads=1), one thread per framework process as in the test suite
    # (parity/cli/__init__.py: reproducible runs, shared with the tests through parity/memo.py)
    "cli": ("import runpy; runpy.run_module('parity', run_name='__main__')",
            ["report", "--case", "sgd-1steps-float64", "--framework", "torch,keras", "--format", "json",
             "--out", "{out}"],  # the three imports this test watches, without JAX or the Keras workers
            {**CONFIGURED, **dict.fromkeys(THREAD_VARIABLES, "1")}),
}


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_the_environment_is_configured_before_each_framework_is_first_imported(entry, tmp_path):
    """In a fresh interpreter whose environment lacks every variable we set, each framework finds them set at
    the moment it is first imported (as read at import by TensorFlow, Keras and the thread pools)."""
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    statement, argv, expected = ENTRY_POINTS[entry]
    seen_file = tmp_path / "seen.json"
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    command = [sys.executable, "-c", WITNESS + statement, str(seen_file),
               *(arg.format(out=tmp_path / "out") for arg in argv)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    seen = json.loads(seen_file.read_text())
    assert sorted(seen) == sorted(FRAMEWORKS), "the run did not import every framework"
    assert seen == dict.fromkeys(FRAMEWORKS, expected)
    # quiet start-up: none of TensorFlow's native start-up lines (absl, oneDNN, the CPU-feature guard), which it
    # writes before reading TF_CPP_MIN_LOG_LEVEL
    for line in ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard", "I0000"):
        assert line not in result.stderr, result.stderr[:2000]


def test_reference_imports_numpy_and_nothing_of_the_frameworks_or_parity():
    code = ("import sys, reference\n"
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras', 'parity') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tensorflow_keras_and_torch_imported_in_the_fixed_order_run_together():
    """The order of ``import_frameworks`` loads all three and does what the suite does with them: every optimizer
    built in PyTorch and in Keras, a step taken and compared with the reference. A step matters: torch imports
    torch._dynamo, and with it triton (in the registry's default wheel), only when its first optimizer is built,
    which a bare op never reaches. In a fresh interpreter (the "pytest" entry above runs this very test in one,
    watching each framework's first import), it certifies the order; in a suite's worker it checks the
    frameworks still work side by side."""
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    tf, keras, torch = environment.import_frameworks()
    assert keras.backend.backend() == "tensorflow"
    assert (float(tf.reduce_sum(tf.ones(3))), float(torch.ones(3).sum()), torch.get_num_threads()) == (3.0, 3.0, 1)
    for optimizer in OPTIMIZERS:
        case = Case(f"order-{optimizer}", (3, 2, 1), ("relu", "sigmoid"), "binary_crossentropy",
                    optimizer=optimizer, m=4)
        outcome = run_case(case, ("torch", "keras"), drift=False)
        assert outcome.passed, outcome.first_divergence
    if importlib.util.find_spec("triton") is not None:
        assert "triton" in sys.modules  # the lazy import the crash came from was really reached


@pytest.mark.slow
@pytest.mark.torch
def test_triton_loaded_after_tensorflow_is_what_the_fixed_order_prevents():
    """The import-order proof above can fail: with triton taken out of the order (``_BEFORE_TENSORFLOW`` empty),
    the same test in a fresh interpreter dies as users saw, LLVM's options registered twice. Where triton is not
    installed (torch's CPU-only build) or a release pair no longer collides, there is nothing to prevent."""
    pytest.importorskip("tensorflow")
    if importlib.util.find_spec("triton") is None:
        pytest.skip("triton is not installed (torch's CPU-only build): no second LLVM to collide with")
    code = ("import sys\n"
            "from parity import environment\n"
            "environment._BEFORE_TENSORFLOW = ()\n"
            "environment._ORDER = ('tensorflow', 'keras', 'torch')\n"
            "import pytest\n"
            "sys.exit(pytest.main(['-q', '-p', 'no:randomly', '-p', 'no:cacheprovider', '-p', 'no:xdist', "
            "'-s', '-W', 'ignore::pytest.PytestAssertRewriteWarning', "
            "'tests/test_environment.py::test_tensorflow_keras_and_torch_imported_in_the_fixed_order_run_together']))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode == 0:
        pytest.skip("triton loaded after TensorFlow no longer collides with these releases")
    assert "registered more than once" in result.stderr, (result.stdout + result.stderr)[-3000:]


def test_a_missing_framework_is_skipped_with_a_reason_not_a_crash(tmp_path):
    """With torch made unimportable (as after `pip uninstall torch`), the report still runs, says why torch is
    missing, and exits 0."""
    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from parity.cli import main\n"
        # a framework of this process (the Keras workers would not see the hook, and skip float64 anyway; the
        # report sends JAX to them)
        f"sys.exit(main(['report', '--case', 'sgd-1steps-float64', '--framework', 'torch,keras', '--format', "
        f"'json', '--out', r'{tmp_path}']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch skipped (torch is not installed)" in result.stderr
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["summary"]["skipped"]["torch"] == "torch is not installed"
    assert set(document["cases"][0]["frameworks"]) == {"keras"}  # the other framework still ran


def _native_write(text: str) -> None:
    os.write(2, text.encode())  # as C++ code writes: to file descriptor 2, past sys.stderr


def test_native_start_up_lines_are_held_back_unless_verbose(capfd, monkeypatch):
    monkeypatch.delenv(environment.VERBOSE, raising=False)
    with environment._start_up_lines_held_back():
        _native_write("I0000 port.cc:153] oneDNN custom operations are on\n")
    assert "oneDNN" not in capfd.readouterr().err
    monkeypatch.setenv(environment.VERBOSE, "1")
    with environment._start_up_lines_held_back():
        _native_write("I0000 port.cc:153] oneDNN custom operations are on\n")
    assert "oneDNN custom operations are on" in capfd.readouterr().err


def test_held_back_lines_are_shown_when_the_import_fails(capfd, monkeypatch):
    monkeypatch.delenv(environment.VERBOSE, raising=False)
    with pytest.raises(ImportError), environment._start_up_lines_held_back():
        _native_write("libtensorflow_framework.so.2: cannot open shared object file\n")
        raise ImportError("tensorflow")
    assert "cannot open shared object file" in capfd.readouterr().err
    _native_write("after\n")  # file descriptor 2 is the terminal's again
    assert capfd.readouterr().err == "after\n"


@pytest.mark.keras
def test_keras_says_nothing_of_a_softmax_over_one_unit_which_the_fuzzer_draws_on_purpose():
    """In a fresh interpreter (pytest turns every warning into an error): no UserWarning, the value still 1."""
    pytest.importorskip("keras")
    pytest.importorskip("jax")
    code = ("import numpy as np\n"
            "from parity.environment import configure, require\n"
            "configure(threads=1, keras_backend='jax')\n"
            "keras = require('keras')\n"
            "print(np.asarray(keras.ops.softmax(np.ones((2, 1)), axis=-1)).ravel().tolist())\n")
    result = subprocess.run([sys.executable, "-W", "default", "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["[1.0,", "1.0]"]
    assert "softmax over axis" not in result.stderr


@pytest.mark.jax
def test_jax_keeps_every_compiled_program_in_the_cache_whoever_imports_it_first():
    """configure() sets the cache's variables before any import: importing TensorFlow's Keras imports jax, and
    a config.update made when we import jax ourselves came too late for that process (every program compiled)."""
    pytest.importorskip("jax")
    jax = environment.require("jax")
    folder = environment.compilation_cache()
    assert folder is not None and os.environ["JAX_COMPILATION_CACHE_DIR"] == folder
    assert jax.config.jax_compilation_cache_dir == folder
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0  # quick programs too: most of the grid's
