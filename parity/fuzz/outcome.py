"""Running a drawn case in each framework, and the records of what a campaign found.

    run(case, frameworks)       its Outcome: results, framework errors, and one verdict
    Shrunk                      a failing Outcome and the minimal case that still fails the same way
    Finding, Summary            a failing case as reported, and the campaign's counts and findings

A case's verdict, the first of: ``fail`` (a comparison failed), ``error`` (a framework raised), ``uninformative``
(some comparison's tolerance would accept zeros in place of the quantity: a saturated sigmoid, a dead ReLU layer;
reported as such, never as a pass), ``pass`` (every comparison passed or was explained).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from parity.case import Case
from parity.compare import Result
from parity.fuzz.replay import replay_command
from parity.harness import run_case

UNINFORMATIVE = "uninformative"
VERDICTS = ("fail", "error", UNINFORMATIVE, "pass")


@dataclass
class Outcome:
    """One case run in each framework separately, so that one framework's exception loses no other's results."""

    case: Case
    frameworks: tuple[str, ...]
    results: list[Result] = field(default_factory=list)
    first_divergence: dict[str, Result] = field(default_factory=dict)  # framework -> its first failed result
    errors: dict[str, str] = field(default_factory=dict)  # framework -> "ExceptionType: message"
    skipped: dict[str, str] = field(default_factory=dict)  # framework -> why it did not run

    @property
    def verdict(self) -> str:
        statuses = {r.status for r in self.results}
        if statuses & {"fail", "missing"}:  # a quantity the witness left out fails like one it got wrong
            return "fail"
        if self.errors:
            return "error"
        return UNINFORMATIVE if UNINFORMATIVE in statuses else "pass"

    @property
    def uninformative(self) -> list[Result]:
        return [r for r in self.results if r.status == UNINFORMATIVE]

    @property
    def failing_frameworks(self) -> tuple[str, ...]:
        return tuple(fw for fw in self.frameworks if fw in self.first_divergence or fw in self.errors)


def run(case: Case, frameworks: Sequence[str]) -> Outcome:
    """Run ``case`` with ``parity.harness.run_case`` in each framework; record exceptions as errors of the case."""
    outcome = Outcome(case, tuple(frameworks))
    for framework in frameworks:
        try:
            result = run_case(case, [framework])
        except Exception as error:  # a crash is a finding, reported with the case that caused it
            outcome.errors[framework] = f"{type(error).__name__}: {error}"
            continue
        outcome.results += result.results
        outcome.skipped.update(result.skipped)
        if result.first_divergence is not None:
            outcome.first_divergence[framework] = result.first_divergence
    return outcome


@dataclass
class Shrunk:
    """A failing run and the run of the minimal case shrunk from it (``parity.fuzz.shrink``)."""

    original: Outcome
    outcome: Outcome  # the minimal case's run
    runs: int  # candidates tried


@dataclass
class Finding:
    """A case that failed or raised: its first run, its shrunk form (if shrunk), and the command reproducing it."""

    outcome: Outcome
    shrunk: Shrunk | None = None

    @property
    def minimal(self) -> Outcome:
        return self.shrunk.outcome if self.shrunk else self.outcome

    @property
    def command(self) -> str:
        return replay_command(self.minimal.case, self.minimal.failing_frameworks)


@dataclass
class Summary:
    seed: int
    frameworks: tuple[str, ...]
    seconds: float = 0.0
    cases: int = 0
    verdicts: Counter = field(default_factory=Counter)  # case verdict -> cases
    statuses: Counter = field(default_factory=Counter)  # comparison status -> comparisons
    findings: list[Finding] = field(default_factory=list)  # failures and errors, in the order found
    uninformative: list[Outcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def comparisons(self) -> int:
        return sum(self.statuses.values())

    @property
    def share_uninformative(self) -> float:
        return self.statuses[UNINFORMATIVE] / self.comparisons if self.comparisons else 0.0

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        self.verdicts[outcome.verdict] += 1
        self.statuses.update(r.status for r in outcome.results)
        self.skipped.update(outcome.skipped)
        if outcome.verdict in ("fail", "error"):
            self.findings.append(Finding(outcome))
        elif outcome.verdict == UNINFORMATIVE:
            self.uninformative.append(outcome)
