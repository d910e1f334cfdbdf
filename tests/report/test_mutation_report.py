"""reports/mutation-report.json: the standard mutation-testing report, validated against the official schema."""
import json
from importlib.resources import files

import jsonschema
import pytest

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.locations import patch_locations
from mutagrad.campaign.mutate import reference_source
from mutagrad.campaign.runner import run_campaign
from mutagrad.records.campaign import ConfigRun, Expect, MutantResult, Outcome, RunResult
from mutagrad.records.check import Verdict
from mutagrad.report.mutation_report import mutation_report, render_mutation_report, status_reason

IDS = ("transposed-dw", "forgotten-dropout-mask", "db-without-keepdims", "dropout-removed-consistently")
SCHEMA = json.loads(files("mutagrad.report").joinpath("vendor", "mutation-testing-report-schema.json").read_text())


def validate(report: dict) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(report)


@pytest.fixture(scope="module")
def written():
    entries = load_catalog().select(IDS)
    result = run_campaign(entries, seed=0, jobs=1)
    return result, json.loads(render_mutation_report(result, reference_source(), patch_locations(entries)))


def test_the_vendored_schema_is_the_official_one():
    assert SCHEMA["$id"] == "http://stryker-mutator.io/report.schema.json"
    assert files("mutagrad.report").joinpath("vendor", "mutation-testing-report-schema.LICENSE").is_file()


def test_the_report_validates_against_the_official_schema(written):
    _, report = written
    validate(report)
    assert list(report["files"]) == ["mlp.py"] and report["files"]["mlp.py"]["source"] == reference_source()


def test_the_validation_can_fail(written):
    _, report = written
    broken = json.loads(json.dumps(report))
    broken["files"]["mlp.py"]["mutants"][0]["status"] = "Detected"  # not a status of the schema
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_statuses_killed_by_and_replacements(written):
    result, report = written
    mutants = {m["id"]: m for m in report["files"]["mlp.py"]["mutants"]}
    assert set(mutants) == set(IDS)
    assert mutants["transposed-dw"]["status"] == "Killed" and mutants["transposed-dw"]["killedBy"] == ["dW2"]
    assert "transposed" in mutants["transposed-dw"]["statusReason"]  # the diagnosis
    assert mutants["dropout-removed-consistently"]["status"] == "Ignored"
    assert "rightly passed" in mutants["dropout-removed-consistently"]["statusReason"]
    entry = load_catalog().get("transposed-dw")
    assert mutants["transposed-dw"]["replacement"] == entry.patch[0].replace


def mutant(outcome_runs, expect=Expect.DETECTED, halted=None, error=None):
    return MutantResult(id="m", title="t", category="c", expect=expect, components=("dW{L}",), runs=outcome_runs,
                        error=error, halted=halted)


@pytest.mark.parametrize("record,status,reason", [
    (mutant((), halted=Outcome.TIMEOUT, error="no result within the time limit"), "Timeout", "timeout: no result"),
    (mutant((), halted=Outcome.CRASHED, error="killed by SIGKILL"), "RuntimeError", "crashed: killed by SIGKILL"),
    (mutant((ConfigRun("c", 0, None, error="checker raised RuntimeError: x"),)), "RuntimeError", "error: checker"),
    (mutant((ConfigRun("c", 0, Verdict.PASS, expected=("dW3",)),)), "Survived", "survived"),
    (mutant((ConfigRun("c", 0, Verdict.FAIL, localized="dW1", expected=("dW3",)),)), "Killed",
     "WRONG COMPONENT: the catalog expects dW3"),
])
def test_statuses_for_what_the_checker_could_not_judge_and_wrong_components(record, status, reason):
    result = RunResult(seed=0, catalog="c", configs=(), gate=None, mutants=(record,), reference=())
    report = mutation_report(result, "x = 1\n", {})
    validate(report)
    (entry,) = report["files"]["mlp.py"]["mutants"]
    assert entry["status"] == status and reason in entry["statusReason"] == status_reason(record)


def test_an_interrupted_run_lists_what_did_not_run_as_pending():
    result = RunResult(seed=0, catalog="c", configs=(), gate=None, mutants=(), reference=(), checker="course",
                       not_run=("course: mutant transposed-dw", "course: reference relu-sigmoid 0"))
    report = mutation_report(result, "x = 1\n", {})
    validate(report)
    assert [(m["id"], m["status"]) for m in report["files"]["mlp.py"]["mutants"]] == [("transposed-dw", "Pending")]
