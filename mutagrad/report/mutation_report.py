"""reports/mutation-report.json: a campaign in Stryker's mutation-testing-report-schema (schema version 2).

Every tool that reads the standard (the `mutation-testing-elements` viewer, dashboards) shows
mutagrad's mutants on mlp.py's source: each at the span its patch replaces, with the patched
text as `replacement`. A gradient bug the checker failed is Killed, `killedBy` the gradient it
localized; a missed one Survived; a mutant the checker could not judge is a Timeout or a
RuntimeError. A non-bug (it keeps backward the exact gradient) is Ignored, its statusReason
saying whether the checker rightly let it pass or raised a false alarm. No timings: one seed
gives one file.
"""
from __future__ import annotations

import json

from ..records.campaign import MutantResult, Outcome, RunResult
from ..records.location import PatchLocation

SCHEMA_VERSION = "2"
SOURCE_FILE = "mlp.py"
THRESHOLDS = {"high": 80, "low": 60}  # Stryker's defaults: the viewer colours the score by them
STATUS = {Outcome.DETECTED: "Killed", Outcome.SURVIVED: "Survived", Outcome.TIMEOUT: "Timeout",
          Outcome.CRASHED: "RuntimeError", Outcome.ERROR: "RuntimeError", Outcome.CLEAN: "Ignored",
          Outcome.FALSE_ALARM: "Ignored"}
NOWHERE = PatchLocation(1, 1, 1, 1, "")  # a patch that no longer applies: the run reports it as an error


def mutant_entry(m: MutantResult, location: PatchLocation | None) -> dict:
    """One mutant in the schema's form."""
    location = location or NOWHERE
    entry = {"id": m.id, "mutatorName": m.category, "description": m.title,
             "location": location.to_dict(), "replacement": location.replacement,
             "status": STATUS[m.outcome], "statusReason": status_reason(m)}
    if m.outcome is Outcome.DETECTED and m.localized:
        entry["killedBy"] = [m.localized]
    return entry


def status_reason(m: MutantResult) -> str:
    """Why the mutant has its status: the diagnosis, the wrong localization, the error or the non-bug's reason."""
    if m.outcome in (Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED):
        return f"{m.outcome.value}: {m.problem or 'no result'}"
    if not m.detectable:
        verdict = "FALSE ALARM: the checker failed it" if m.flagged else "the checker rightly passed it"
        return f"not a gradient bug ({m.reason or 'backward stays the exact gradient'}); {verdict}"
    if m.outcome is Outcome.SURVIVED:
        return f"survived: the checker passed a wrong gradient (expected to fail {', '.join(m.components)})"
    parts = [f"failed; localized {m.localized or 'nothing (the checker names no gradient)'}"]
    if m.localized and not m.localized_correctly:
        expected = ", ".join(dict.fromkeys(c for r in m.runs for c in r.expected)) or ", ".join(m.components)
        parts.append(f"WRONG COMPONENT: the catalog expects {expected}")
    diagnosis = next((c.diagnosis for r in m.runs if r.detected for c in r.components
                      if c.name == r.localized and c.diagnosis), None)
    if diagnosis:
        parts.append(diagnosis)
    return "; ".join(parts)


def mutation_report(result: RunResult, source: str, locations: dict[str, PatchLocation],
                    file: str = SOURCE_FILE) -> dict:
    """The report as a dict; `source` is the text of `file` (mlp.py or the file the catalog patches),
    `locations` each mutant's patch location by id."""
    mutants = [mutant_entry(m, locations.get(m.id)) for m in result.mutants]
    mutants += [{"id": key.partition("mutant ")[2], "mutatorName": "not run", "location": NOWHERE.to_dict(),
                 "status": "Pending", "statusReason": "the run was interrupted before this mutant ran"}
                for key in result.not_run if "mutant " in key]  # "mutant ID", or "CHECKER: mutant ID"
    return {
        "schemaVersion": SCHEMA_VERSION,
        "thresholds": dict(THRESHOLDS),
        "projectRoot": "mutagrad",
        "config": {"checker": result.checker, "seed": result.seed, "catalog": result.catalog},
        "framework": {"name": "mutagrad"},
        "files": {file: {"language": "python", "source": source, "mutants": mutants}},
    }


def render_mutation_report(result: RunResult, source: str, locations: dict[str, PatchLocation],
                           file: str = SOURCE_FILE) -> str:
    """mutation-report.json's text."""
    return json.dumps(mutation_report(result, source, locations, file), indent=2) + "\n"
