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
