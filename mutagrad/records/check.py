"""Frozen result records shared by the checker, the runner and every report writer."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum


class Verdict(str, Enum):
    PASS = "pass"
    WARN = "warn"  # a component or probe that could not be judged
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"  # the overall verdict when something warns and nothing fails

    @property
    def rank(self) -> int:
        return {"pass": 0, "warn": 1, "inconclusive": 1, "fail": 2}[self.value]


def worst(verdicts) -> Verdict:
    """The most severe of several verdicts (PASS when there are none)."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.PASS)


def _num(x):
    """A float for JSON: None for missing, inf/nan as strings so the JSON stays standard."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


@dataclass(frozen=True)
class ComponentResult:
    """The checker's verdict on one gradient component (e.g. dW3) at one probe."""
    name: str
    status: Verdict
    rel_error: float | None  # the notes' ||approx - grad|| / (||approx|| + ||grad||)
    margin: float | None = None  # mismatch / finite-difference noise floor
    floor: float | None = None  # estimated noise of ||approx||, same units as the gradient
    kinks: int = 0  # coordinates whose +-eps probe crossed a non-differentiable point
    worst_index: tuple | None = None  # entry with the largest mismatch
    diagnosis: str | None = None
    message: str = ""
    probe: str = ""
    taylor_order: float | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name, "status": self.status.value,
            "rel_error": _num(self.rel_error), "margin": _num(self.margin),
            "floor": _num(self.floor), "kinks": self.kinks,
            "worst_index": list(self.worst_index) if self.worst_index is not None else None,
            "diagnosis": self.diagnosis, "message": self.message, "probe": self.probe,
            "taylor_order": _num(self.taylor_order),
        }


@dataclass(frozen=True)
class ProbeResult:
    """All components checked at one point and one hyperparameter setting."""
    name: str  # "initial", "moved", "lambd", "dropout", "lambd+dropout", "batch"
    lambd: float | None
    keep_prob: float | None
    components: tuple[ComponentResult, ...]
    evaluations: int  # calls of the cost function
    warnings: tuple[str, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()  # informational (e.g. a method fallback); they do not change the verdict
    m: int | None = None  # examples (columns of X) this probe used

    @property
    def verdict(self) -> Verdict:
        if self.error:
            return Verdict.FAIL
        v = worst(c.status for c in self.components)
        return worst([v, Verdict.WARN]) if self.warnings else v

    def to_dict(self) -> dict:
        return {
            "name": self.name, "lambd": self.lambd, "keep_prob": self.keep_prob, "m": self.m,
            "verdict": self.verdict.value, "evaluations": self.evaluations,
            "warnings": list(self.warnings), "error": self.error, "notes": list(self.notes),
            "components": [c.to_dict() for c in self.components],
        }


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a blind gradient check over all probes."""
    verdict: Verdict  # PASS, FAIL or INCONCLUSIVE (something could not be judged, nothing fails)
    localized: str | None  # first failing component in backprop order
    components: tuple[ComponentResult, ...]  # backprop order, worst status over the probes
    probes: tuple[ProbeResult, ...]
    hint: str
    method: str = "central"
    mode: str = "exhaustive"
    seed: int = 0
    warnings: tuple[str, ...] = ()
    error: str | None = None
    exposed_by: str | None = None  # the first probe in which the localized component failed
    config: dict = field(default_factory=dict)
    output: str | None = None  # what the code under check printed, truncated (a model file's check)
    sandbox: str | None = None  # where that code ran: "bwrap", or "none" (a plain child process)

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components if c.status is Verdict.FAIL)

    @property
    def evaluations(self) -> int:
        return sum(p.evaluations for p in self.probes)

    @property
    def kinks(self) -> int:
        """Entries, over all probes, whose +-eps probe crossed a kink and were handled one-sided."""
        return sum(c.kinks for p in self.probes for c in p.components)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for p in self.probes for n in p.notes))

    def component(self, name: str) -> ComponentResult:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict.value,
            "localized": self.localized,
            "failing": list(self.failing),
            "exposed_by": self.exposed_by,
            "hint": self.hint,
            "error": self.error,
            "warnings": list(self.warnings),
            "method": self.method,
            "mode": self.mode,
            "seed": self.seed,
            "config": dict(self.config),
            "evaluations": self.evaluations,
            "kinks": self.kinks,
            "notes": list(self.notes),
            "components": [c.to_dict() for c in self.components],
            "probes": [p.to_dict() for p in self.probes],
            "output": self.output,
            "sandbox": self.sandbox,
        }

    def __repr__(self) -> str:
        where = f", localized={self.localized!r}" if self.localized else ""
        return f"CheckResult(verdict={self.verdict.value!r}{where}, components={len(self.components)})"

    def __str__(self) -> str:
        """What `mutagrad check` prints: the table, the verdict and the hint, without colour."""
        from ..report.check_text import plain_text  # a hook from a record to a writer (see records/__init__)
        from ..report.console import text_width
        return plain_text(self, width=text_width()).rstrip("\n")

    def _repr_html_(self) -> str:
        """The table a notebook shows."""
        from ..report.html_table import check_html  # the one hook from a record to a writer (see records/__init__)
        return check_html(self)
