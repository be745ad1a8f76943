"""Every case of the grid, in every framework that applies, agrees with the reference quantity by quantity.

One test per case x framework: Z, A, J, dA, dZ, dW, db and the updated W, b at every step, each within the
tolerance of ``parity.tolerance`` or explained by a documented convention (``parity.conventions``), and every
quantity of the reference's trace compared or declared absent by the framework's registry row (its coverage).

The framework's run may be one remembered for exactly these inputs, code, packages and environment
(``parity.memo``: in CI, the run the report made minutes before); the reference's run, the error model and every
comparison are computed here.
"""

import pytest

from parity.assertions import assert_parity
from parity.case import GRID
from parity.conventions import TEXTBOOK
from parity.frameworks import FRAMEWORKS, REGISTRY, framework_applies
from parity.harness import reference_trace, run_case


def grid_params():
    for case in GRID:
        for framework in FRAMEWORKS:
            if framework_applies(case, framework):
                mark = getattr(pytest.mark, REGISTRY[framework].marker)
                yield pytest.param(case, framework, id=f"{case.name}-{framework}", marks=mark)


@pytest.mark.parametrize("case, framework", list(grid_params()))
def test_framework_matches_the_reference(case, framework, parity_record, remembered_runs):
    outcome = run_case(case, [framework], remember=True)
    parity_record(outcome)  # for --parity-report and --parity-baseline (parity/pytest_plugin.py)
    if framework in outcome.skipped:
        pytest.skip(outcome.skipped[framework])
    # coverage: every quantity of the reference's trace was compared, or declared absent by the registry row
    coverage = outcome.coverage[framework]
    textbook, _ = reference_trace(case, TEXTBOOK)
    assert coverage["missing"] == 0, coverage
    assert coverage["compared"] + sum(coverage["absent"].values()) == len(textbook.values), coverage
    assert coverage["compared"] == sum(r.framework == framework for r in outcome.results) > 0
    assert_parity(outcome)
