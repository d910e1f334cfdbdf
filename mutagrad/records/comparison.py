"""Several checkers measured in one campaign (`mutagrad run --checker A --checker B`): side-by-side scores."""
from __future__ import annotations

from dataclasses import dataclass

from .campaign import FORMAT_VERSION, Outcome, RunResult, _rate


@dataclass(frozen=True)
class CheckerScore:
    """One checker's scores over the whole catalog (category None) or one category."""
    checker: str
    category: str | None
    detectable: int
    detected: int
    named: int  # detected, and the checker named a first wrong gradient
    localized: int  # detected, and every named gradient is one the catalog expects
    false_alarms: int  # reference runs flagged (overall only) + non-bugs flagged
    reference_runs: int
    errors: int
    timeouts: int
    crashed: int
    checks: int  # configuration runs with a verdict or an error (time per check divides by this)
    seconds: float  # their total time (terminal and report.md only: it is measured)

    @property
    def detection_rate(self) -> float | None:
        return _rate(self.detected, self.detectable)

    @property
    def localization_rate(self) -> float | None:
        """Of the detections where the checker names a gradient; None when it never names one."""
        return _rate(self.localized, self.named)

    @property
    def seconds_per_check(self) -> float | None:
        return self.seconds / self.checks if self.checks else None

    def to_dict(self) -> dict:
        """The deterministic part: no timings."""
        return {"checker": self.checker, "category": self.category, "detectable": self.detectable,
                "detected": self.detected, "detection_rate": self.detection_rate, "named": self.named,
                "localized": self.localized, "localization_rate": self.localization_rate,
                "false_alarms": self.false_alarms, "reference_runs": self.reference_runs,
                "errors": self.errors, "timeouts": self.timeouts, "crashed": self.crashed}


def score(run: RunResult, category: str | None = None) -> CheckerScore:
    """`run`'s scores, over every mutant or over one category's (reference runs count overall only)."""
    mutants = [m for m in run.mutants if category is None or m.category == category]
    bugs = [m for m in mutants if m.detectable]
    reference = run.reference if category is None else ()
    runs = [r for m in mutants for r in m.runs] + list(reference)
    return CheckerScore(
        checker=run.checker, category=category, detectable=len(bugs), detected=sum(m.detected for m in bugs),
        named=sum(m.detected and m.localized is not None for m in bugs),
        localized=sum(m.localized_correctly for m in bugs),
        false_alarms=sum(r.detected or r.error is not None for r in reference)
        + sum(m.flagged for m in mutants if not m.detectable),
        reference_runs=len(reference), errors=sum(m.outcome is Outcome.ERROR for m in mutants),
        timeouts=sum(m.outcome is Outcome.TIMEOUT for m in mutants),
        crashed=sum(m.outcome is Outcome.CRASHED for m in mutants),
        checks=len(runs), seconds=sum(r.seconds for r in runs))


@dataclass(frozen=True)
class Comparison:
    """One RunResult per checker, over the same mutants, configurations and seeds."""
    runs: tuple[RunResult, ...]

    @property
    def checkers(self) -> tuple[str, ...]:
        return tuple(r.checker for r in self.runs)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.category for r in self.runs for m in r.mutants))

    @property
    def partial(self) -> bool:
        return any(r.partial for r in self.runs)

    @property
    def not_run(self) -> tuple[str, ...]:
        return tuple(k for r in self.runs for k in r.not_run)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.runs)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def scores(self, category: str | None = None) -> tuple[CheckerScore, ...]:
        return tuple(score(r, category) for r in self.runs)

    def to_dict(self) -> dict:
        """report.json of a comparison: each checker's whole report, and the side-by-side scores."""
        first = self.runs[0]
        return {
            "format": FORMAT_VERSION, "partial": self.partial, "not_run": list(self.not_run),
            "seed": first.seed, "catalog": first.catalog, "checkers": [r.to_dict() for r in self.runs],
            "comparison": {"overall": [s.to_dict() for s in self.scores()],
                           "categories": [s.to_dict() for c in self.categories for s in self.scores(c)]},
        }

    def __repr__(self) -> str:
        return "Comparison(" + ", ".join(f"{s.checker}: detected={s.detected}/{s.detectable}"
                                         for s in self.scores()) + ")"
