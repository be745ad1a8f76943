"""Test-session set-up, run before any test module: the environment the frameworks read at import.

Each pytest-xdist worker is its own interpreter running this file first, so every worker gets the same
settings; one thread per worker keeps `pytest -n auto` from oversubscribing the cores.
"""

from parity.environment import configure

configure(threads=1)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import Phase, settings  # noqa: E402

# For mutation testing (pyproject's [tool.mutmut]): a failing property is enough, shrinking it is not needed.
settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], deadline=None)


@pytest.fixture(autouse=True)
def numpy_errors_raise():
    """Overflow, division by zero and invalid operations raise in every test (underflow to 0 is exact enough)."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


@pytest.fixture(autouse=True)
def framework_runs_computed_unless_remembered(request, monkeypatch):
    """Every test runs the frameworks itself: a planted bug changes code while the process runs, which the
    memo's key cannot see (parity/memo.py). Only a test that asks for ``remembered_runs`` may read runs stored
    for exactly its inputs (the grid's tests, which in CI check the report's runs against a fresh reference)."""
    if "remembered_runs" not in request.fixturenames:
        monkeypatch.setenv("NN_PARITY_RUN_CACHE", "off")


@pytest.fixture
def remembered_runs():
    """Lets this test read and store framework runs in ``parity.memo`` (unless the session turned it off)."""



@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``-n auto`` hands tests out by work stealing (unless ``--dist`` names a mode): each worker starts on half the
    tests and an idle one takes the other's untouched tail. xdist's default, ``load``, fixes each worker's first
    chunk, a quarter of the suite, up front: a chunk holding several of the few tests that take seconds (fresh
    interpreters, pytest in pytest) left the other worker idle at the end."""
    if config.getoption("dist") == "load" and not any(
            arg == "--dist" or arg.startswith("--dist=") for arg in config.invocation_params.args):
        from xdist.scheduler import WorkStealingScheduling

        return WorkStealingScheduling(config, log)
    return None
