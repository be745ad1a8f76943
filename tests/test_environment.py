"""The process set-up the frameworks need, and the one import order, certified by a smoke test."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_conftest_configured_the_environment_before_any_framework_import():
    assert os.environ["KERAS_BACKEND"] == "tensorflow"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["OMP_NUM_THREADS"] == "1"


def test_reference_imports_numpy_and_nothing_of_the_frameworks_or_parity():
    code = ("import sys, reference\n"
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras', 'parity') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tensorflow_keras_and_torch_import_together_in_the_fixed_order():
    """Smoke test in a fresh interpreter: the order of ``import_frameworks`` loads all three and runs an op in each."""
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    code = (
        "from parity.environment import configure, import_frameworks\n"
        "configure(threads=1)\n"
        "tf, keras, torch = import_frameworks()\n"
        "assert keras.backend.backend() == 'tensorflow', keras.backend.backend()\n"
        "print(float(tf.reduce_sum(tf.ones(3))), float(torch.ones(3).sum()), torch.get_num_threads())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3.0", "3.0", "1"]


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
        f"sys.exit(main(['report', '--case', 'sgd-1steps-float64', '--format', 'json', '--out', r'{tmp_path}']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch skipped (torch is not installed)" in result.stderr
    import json

    document = json.loads((tmp_path / "report.json").read_text())
    assert document["summary"]["skipped"] == {"torch": "torch is not installed"}
    assert set(document["cases"][0]["frameworks"]) == {"keras"}  # the other framework still ran
