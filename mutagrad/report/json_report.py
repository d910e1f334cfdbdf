"""reports/report.json: the campaign for machines. No timings, so one seed gives one byte sequence.

Outcomes `timeout`, `crashed` and `error` are counted apart from `detected` (summary: timeouts,
crashed, errors); an interrupted run's report says `"partial": true` and lists what did not run.
"""
from __future__ import annotations

import json

from ..records import _num
from ..results import ConfigRun, MutantResult, RunResult

FORMAT_VERSION = 2  # 2: timeout and crashed outcomes, partial and not_run


def to_dict(result: RunResult) -> dict:
    """Everything in `result` except wall-clock times."""
    s = result.summary
    return {
        "format": FORMAT_VERSION,
        "partial": result.partial,
        "not_run": list(result.not_run),
        "seed": result.seed,
        "catalog": result.catalog,
        "configs": [c.to_dict() for c in result.configs],
        "gate": {"passed": result.gate.passed, "reference": _run(result.gate.reference),
                 "forced_fail": _run(result.gate.forced_fail)},
        "summary": {
            "mutants": s.mutants, "detectable": s.detectable, "detected": s.detected,
            "detection_rate": s.detection_rate, "localized": s.localized,
            "localization_rate": s.localization_rate, "false_alarms": s.false_alarms,
            "reference_runs": s.reference_runs, "reference_false_alarms": s.reference_false_alarms,
            "undetectable": s.undetectable, "undetectable_flagged": s.undetectable_flagged,
            "survived": s.survived, "errors": s.errors, "timeouts": s.timeouts, "crashed": s.crashed,
            "ok": result.ok,
        },
        "categories": [{"category": c.category, "mutants": c.mutants, "detectable": c.detectable,
                        "detected": c.detected, "detection_rate": c.detection_rate,
                        "localized": c.localized, "localization_rate": c.localization_rate}
                       for c in result.categories],
        "mutants": [_mutant(m) for m in result.mutants],
        "undetectable": [{"id": m.id, "flagged": m.flagged, "reason": m.reason}
                         for m in result.mutants if not m.detectable],
        "reference": [_run(r) for r in result.reference],
    }


def render_json(result: RunResult) -> str:
    """report.json's text."""
    return json.dumps(to_dict(result), indent=2) + "\n"


def _mutant(m: MutantResult) -> dict:
    return {
        "id": m.id, "title": m.title, "category": m.category, "difficulty": m.difficulty,
        "expect": m.expect.value, "outcome": m.outcome.value,
        "detected": m.detected, "flagged": m.flagged,
        "localized": m.localized, "localized_correctly": m.localized_correctly,
        "components": list(m.components), "exposed_by": m.exposed_by,
        "max_rel_error": _num(m.max_rel_error), "reason": m.reason, "error": m.problem,
        "runs": [_run(r) for r in m.runs],
    }


def _run(r: ConfigRun) -> dict:
    return {
        "config": r.config, "seed": r.seed, "verdict": r.verdict.value if r.verdict else None,
        "localized": r.localized, "expected": list(r.expected),
        "localized_correctly": r.localized_correctly, "exposed_by": r.exposed_by,
        "max_rel_error": _num(r.max_rel_error), "raised": r.raised, "error": r.error,
        "components": [{"name": c.name, "status": c.status.value, "rel_error": _num(c.rel_error),
                        "margin": _num(c.margin), "probe": c.probe, "diagnosis": c.diagnosis,
                         "taylor_order": _num(c.taylor_order)}
                       for c in r.components],
    }
