"""What a check of a learner's network finds: its records (``CheckResult``, ``Finding``), the error a learner's
crashing function becomes (``LearnerCrash``), and a quantity's name in the learner's key names.

The checker (``parity.learner.checker``) makes these, the renderer (``parity.learner.render``) and the
regularisation checks (``parity.learner.techniques``) read them; this module imports none of the three, so the
learner's modules import one another as a tree. A ``CheckResult`` shows itself (in a terminal, in Jupyter)
through ``VIEWS``, which the renderer fills when it is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from parity.case import Case
from parity.compare import Result
from parity.learner.mistakes import Diagnosis
from parity.learner.source import LearnerError
from parity.learner.styles import Architecture

# "human" (terminal text) and "html" (Jupyter's, given standalone=False): parity.learner.render's, put here by it
# when it is imported (the checker, which makes every CheckResult, imports it)
VIEWS: dict[str, Callable[..., str]] = {}


class LearnerCrash(LearnerError):
    """The learner's function raised while it ran; ``diagnosis`` when the crash has a known cause."""

    def __init__(self, message: str, diagnosis: Diagnosis | None = None):
        if diagnosis is not None:
            message += f"\n  diagnosis: {diagnosis.mistake}. {diagnosis.explanation}\n  fix: {diagnosis.fix}"
        super().__init__(message)
        self.diagnosis = diagnosis


@dataclass
class Finding:
    """A wrong stage: its first wrong quantity, and the mistake it matches."""

    group: str
    result: Result | None  # None for an initialiser whose shapes are wrong
    diagnosis: Diagnosis | None
    detail: str = ""


@dataclass
class CheckResult:
    module: str
    style: str
    case: Case
    architecture: Architecture
    results: list[Result]
    findings: list[Finding]
    certification: dict[str, str]  # framework -> "pass" / "explained" / "fail" / "skipped: reason"
    skipped: list = field(default_factory=list)  # top-level statements not run
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Result | None:
        """The first wrong quantity in computation order: the cause."""
        return self.findings[0].result if self.findings else None

    @property
    def diagnosis(self) -> Diagnosis | None:
        return self.findings[0].diagnosis if self.findings else None

    def by_status(self, status: str) -> list[Result]:
        return [r for r in self.results if r.status == status]

    def _repr_html_(self) -> str:  # Jupyter
        return VIEWS["html"](self, standalone=False)

    def __repr__(self) -> str:
        if "human" not in VIEWS:  # a record made without the checker, which imports the renderer
            return f"<CheckResult of {self.module}: {'pass' if self.passed else 'fail'}>"
        return VIEWS["human"](self)


def describe_quantity(result: Result) -> str:
    """``db2 at step 0`` in the learner's key names."""
    name = result.quantity if result.layer is None else f"{result.quantity}{result.layer}"
    return f"{name} at step {result.step}"
