"""Facts of report.html's summary that a reader must not miss: what was not judged, what was blamed wrongly."""
from __future__ import annotations

from ..records.campaign import MutantResult, Outcome, RunResult


def names_gradients(result: RunResult) -> bool:
    """Whether the checker names a first wrong gradient in any of its detections (or detects nothing)."""
    return not any(m.detected for m in result.mutants) or any(m.detected and m.localized for m in result.mutants)


def not_judged(result: RunResult, outcome: Outcome) -> str:
    """How many mutants had `outcome`, and which, with why."""
    hit = [m for m in result.mutants if m.outcome is outcome]
    return str(len(hit)) + "".join(f"; {m.id}: {m.problem or outcome.value}" for m in hit)


def wrong_components(result: RunResult) -> str:
    """Detected but localized to a component the catalog does not expect."""
    hit = [m for m in result.mutants if m.detected and m.localized and not m.localized_correctly]
    return str(len(hit)) + "".join(f"; {m.id}: {m.localized}, expected {expected_components(m)}" for m in hit)


def expected_components(m: MutantResult) -> str:
    """The components the catalog expects, as named in the configurations the mutant ran in."""
    return ", ".join(dict.fromkeys(c for r in m.runs for c in r.expected)) or ", ".join(m.components)
