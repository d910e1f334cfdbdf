"""Frozen records of a campaign (`mutagrad run`): every report writer reads these and nothing else."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from typing import TYPE_CHECKING

from .check import Verdict, _num

if TYPE_CHECKING:
    from ..campaign.configs import Config

FORMAT_VERSION = 2  # report.json's format; 2: timeout and crashed outcomes, partial and not_run


class Expect(str, Enum):
    DETECTED = "detected"  # a gradient bug: the checker must fail it
    UNDETECTABLE = "undetectable"  # not a gradient bug: the checker must not fail it


class Outcome(str, Enum):
    DETECTED = "detected"  # a gradient bug the checker failed
    SURVIVED = "survived"  # a gradient bug the checker let through
    CLEAN = "clean"  # not a gradient bug (or the reference), and not flagged
    FALSE_ALARM = "false_alarm"  # not a gradient bug (or the reference), but flagged
    ERROR = "error"  # the mutant could not be built or checked, or its code raised during the check
    TIMEOUT = "timeout"  # its process gave no result within the time limit (an infinite loop?)
    CRASHED = "crashed"  # its process died: os._exit, a signal, sys.exit, a MemoryError


@dataclass(frozen=True)
class ComponentScore:
    """The checker's worst result for one component over the probes."""
    name: str
    status: Verdict
    rel_error: float | None  # None when the gradient could not be compared (missing, wrong shape)
    margin: float | None
    probe: str
    diagnosis: str | None = None
    taylor_order: float | None = None  # ~2 when the gradient is right, ~1 when wrong


@dataclass(frozen=True)
class ConfigRun:
    """One blind check of one model (a mutant or the reference) in one configuration."""
    config: str
    seed: int
    verdict: Verdict | None  # None when the check could not run
    localized: str | None = None
    expected: tuple[str, ...] = ()  # the entry's components, resolved for this depth
    exposed_by: str | None = None  # the probe in which the localized component first failed
    components: tuple[ComponentScore, ...] = ()
    error: str | None = None  # the check itself could not run
    raised: str | None = None  # the checked code raised during a probe (the checker fails it)
    seconds: float = 0.0

    @property
    def detected(self) -> bool:
        return self.verdict is Verdict.FAIL

    @property
    def localized_correctly(self) -> bool:
        return self.detected and self.localized in self.expected

    @property
    def max_rel_error(self) -> float | None:
        """The largest relative error; None if a gradient could not be compared at all."""
        values = [c.rel_error for c in self.components]
        return None if not values or None in values else max(values)

    def to_dict(self) -> dict:
        return {
            "config": self.config, "seed": self.seed, "verdict": self.verdict.value if self.verdict else None,
            "localized": self.localized, "expected": list(self.expected),
            "localized_correctly": self.localized_correctly, "exposed_by": self.exposed_by,
            "max_rel_error": _num(self.max_rel_error), "raised": self.raised, "error": self.error,
            "components": [{"name": c.name, "status": c.status.value, "rel_error": _num(c.rel_error),
                            "margin": _num(c.margin), "probe": c.probe, "diagnosis": c.diagnosis,
                            "taylor_order": _num(c.taylor_order)}
                           for c in self.components],
        }


@dataclass(frozen=True)
class MutantResult:
    """Every configuration run of one catalog entry."""
    id: str
    title: str
    category: str
    expect: Expect
    components: tuple[str, ...]  # as written in the catalog, e.g. ("dW{L}",)
    runs: tuple[ConfigRun, ...]
    difficulty: str | None = None
    reason: str | None = None
    error: str | None = None
    halted: Outcome | None = None  # TIMEOUT or CRASHED: the mutant's process gave no result

    @property
    def detectable(self) -> bool:
        return self.expect is Expect.DETECTED

    @property
    def detected(self) -> bool:
        """Failed by the checker in every configuration it ran in, without the code raising."""
        return bool(self.runs) and all(r.detected and not r.raised for r in self.runs)

    @property
    def flagged(self) -> bool:
        """Failed by the checker in at least one configuration, without the code raising."""
        return any(r.detected and not r.raised for r in self.runs)

    @property
    def problem(self) -> str | None:
        """Why the mutant is a timeout, crashed or an error: the first error or exception, or None."""
        first = next((r.error or r.raised for r in self.runs if r.error or r.raised), None)
        return self.error or (first.split("; ")[0] if first else None)  # raised: the first probe's message

    @property
    def localized(self) -> str | None:
        return next((r.localized for r in self.runs if r.detected), None)

    @property
    def exposed_by(self) -> str | None:
        return next((r.exposed_by for r in self.runs if r.detected), None)

    @property
    def localized_correctly(self) -> bool:
        return self.detected and all(r.localized_correctly for r in self.runs)

    @property
    def max_rel_error(self) -> float | None:
        """The largest relative error over the runs; None if a gradient could not be compared."""
        values = [r.max_rel_error for r in self.runs]
        return None if not values or None in values else max(values)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    @property
    def outcome(self) -> Outcome:
        # A mutant whose code raised is not a gradient the checker judged: counted apart, as an error.
        if self.halted is not None:
            return self.halted
        if self.error or not self.runs or any(r.error or r.raised for r in self.runs):
            return Outcome.ERROR
        if self.detectable:
            return Outcome.DETECTED if self.detected else Outcome.SURVIVED
        return Outcome.FALSE_ALARM if self.flagged else Outcome.CLEAN

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "category": self.category, "difficulty": self.difficulty,
            "expect": self.expect.value, "outcome": self.outcome.value,
            "detected": self.detected, "flagged": self.flagged,
            "localized": self.localized, "localized_correctly": self.localized_correctly,
            "components": list(self.components), "exposed_by": self.exposed_by,
            "max_rel_error": _num(self.max_rel_error), "reason": self.reason, "error": self.problem,
            "runs": [r.to_dict() for r in self.runs],
        }


@dataclass(frozen=True)
class GateResult:
    """The sanity gate: the reference passes and a deliberately broken gradient fails."""
    reference: ConfigRun
    forced_fail: ConfigRun
    broken: str = "dZL doubled"  # how the harness broke the forced fail's gradient

    @property
    def passed(self) -> bool:
        return (self.reference.error is None and not self.reference.detected
                and self.forced_fail.error is None and self.forced_fail.detected)


@dataclass(frozen=True)
class Summary:
    mutants: int
    detectable: int
    detected: int
    detection_rate: float | None  # detected / detectable
    localized: int  # detected and blamed one of its components
    localization_rate: float | None  # localized / detected
    false_alarms: int  # reference runs that failed + undetectable entries flagged
    reference_runs: int
    reference_false_alarms: int
    undetectable: int
    undetectable_flagged: int
    survived: int
    errors: int
    timeouts: int = 0
    crashed: int = 0


@dataclass(frozen=True)
class CategorySummary:
    category: str
    mutants: int
    detectable: int
    detected: int
    localized: int

    @property
    def detection_rate(self) -> float | None:
        return _rate(self.detected, self.detectable)

    @property
    def localization_rate(self) -> float | None:
        return _rate(self.localized, self.detected)


@dataclass(frozen=True)
class RunResult:
    """A whole campaign: the gate, every mutant in catalog order, the reference runs."""
    seed: int
    catalog: str
    configs: tuple[Config, ...]
    gate: GateResult
    mutants: tuple[MutantResult, ...]
    reference: tuple[ConfigRun, ...]
    wall_seconds: float = 0.0  # timings stay out of report.json
    jobs: int = 1
    not_run: tuple[str, ...] = ()  # an interrupted run: the mutants and reference runs still missing
    timeout: float | None = None  # each mutant's time limit in seconds (report.md only: it is measured)
    checker: str = "mutagrad"  # the checker measured: a built-in name or the user's --checker SPEC

    @property
    def partial(self) -> bool:
        return bool(self.not_run)

    @property
    def summary(self) -> Summary:
        detectable = [m for m in self.mutants if m.detectable]
        undetectable = [m for m in self.mutants if not m.detectable]
        detected = sum(m.detected for m in detectable)
        localized = sum(m.localized_correctly for m in detectable)
        ref_alarms = sum(r.detected or r.error is not None for r in self.reference)
        flagged = sum(m.flagged for m in undetectable)
        return Summary(
            mutants=len(self.mutants), detectable=len(detectable), detected=detected,
            detection_rate=_rate(detected, len(detectable)), localized=localized,
            localization_rate=_rate(localized, detected), false_alarms=ref_alarms + flagged,
            reference_runs=len(self.reference), reference_false_alarms=ref_alarms,
            undetectable=len(undetectable), undetectable_flagged=flagged,
            survived=sum(m.outcome is Outcome.SURVIVED for m in self.mutants),
            errors=sum(m.outcome is Outcome.ERROR for m in self.mutants),
            timeouts=sum(m.outcome is Outcome.TIMEOUT for m in self.mutants),
            crashed=sum(m.outcome is Outcome.CRASHED for m in self.mutants))

    @property
    def categories(self) -> tuple[CategorySummary, ...]:
        order = dict.fromkeys(m.category for m in self.mutants)
        return tuple(CategorySummary(
            category=c,
            mutants=sum(m.category == c for m in self.mutants),
            detectable=sum(m.category == c and m.detectable for m in self.mutants),
            detected=sum(m.category == c and m.detectable and m.detected for m in self.mutants),
            localized=sum(m.category == c and m.detectable and m.localized_correctly for m in self.mutants))
            for c in order)

    @property
    def ok(self) -> bool:
        """Complete, no detectable mutant survived, nothing falsely flagged, no error, timeout or crash.

        A timeout, a crash or an error is not a detection (mutation tools call such mutants
        not killed): a campaign with one fails (exit code 1), whatever the entry expects.
        """
        s = self.summary
        return (not self.partial and s.survived == 0 and s.false_alarms == 0 and s.errors == 0
                and s.timeouts == 0 and s.crashed == 0)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def __repr__(self) -> str:
        s = self.summary
        return (f"RunResult(mutants={s.mutants}, detected={s.detected}/{s.detectable}, "
                f"localized={s.localized}/{s.detected}, false_alarms={s.false_alarms}, "
                f"survived={s.survived}, errors={s.errors}, timeouts={s.timeouts}, crashed={s.crashed}, "
                f"seed={self.seed}{', partial' if self.partial else ''})")

    def to_dict(self) -> dict:
        """report.json's content, as `mutagrad run` writes it: everything but wall-clock times."""
        s = self.summary
        return {
            "format": FORMAT_VERSION,
            "partial": self.partial,
            "not_run": list(self.not_run),
            "seed": self.seed,
            "checker": self.checker,
            "catalog": self.catalog,
            "configs": [c.to_dict() for c in self.configs],
            "gate": {"passed": self.gate.passed, "reference": self.gate.reference.to_dict(),
                     "forced_fail": self.gate.forced_fail.to_dict()},
            "summary": {
                "mutants": s.mutants, "detectable": s.detectable, "detected": s.detected,
                "detection_rate": s.detection_rate, "localized": s.localized,
                "localization_rate": s.localization_rate, "false_alarms": s.false_alarms,
                "reference_runs": s.reference_runs, "reference_false_alarms": s.reference_false_alarms,
                "undetectable": s.undetectable, "undetectable_flagged": s.undetectable_flagged,
                "survived": s.survived, "errors": s.errors, "timeouts": s.timeouts, "crashed": s.crashed,
                "ok": self.ok,
            },
            "categories": [{"category": c.category, "mutants": c.mutants, "detectable": c.detectable,
                            "detected": c.detected, "detection_rate": c.detection_rate,
                            "localized": c.localized, "localization_rate": c.localization_rate}
                           for c in self.categories],
            "mutants": [m.to_dict() for m in self.mutants],
            "undetectable": [{"id": m.id, "flagged": m.flagged, "reason": m.reason}
                             for m in self.mutants if not m.detectable],
            "reference": [r.to_dict() for r in self.reference],
        }

    def __str__(self) -> str:
        """What `mutagrad run` prints: the table and the summary, without colour."""
        from ..report.terminal import plain_text  # a hook from a record to a writer (see records/__init__)
        return plain_text(self).rstrip("\n")

    def _repr_html_(self) -> str:
        """The summary, per-category rates and the heatmap a notebook shows."""
        from ..report.html_table import run_html  # the one hook from a record to a writer (see records/__init__)
        return run_html(self)


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None
