"""The runner: sanity gate, blind checks, outcomes, determinism, and the whole catalog end to end."""
import os

import pytest

from mutagrad.campaign import runner
from mutagrad.campaign.catalog import Entry, Expect, load_catalog
from mutagrad.campaign.configs import CONFIGS, REFERENCE_SEEDS
from mutagrad.campaign.mutate import Hunk
from mutagrad.check.evaluator import Model
from mutagrad.records.check import Verdict
from mutagrad.report.json_report import render_json
from mutagrad.records.campaign import ComponentScore, ConfigRun, MutantResult, Outcome

CATALOG = load_catalog()
SMALL = tuple(CATALOG.get(i) for i in ("missing-lambda-over-m-term", "forgotten-dropout-mask", "non-inverted-dropout"))


def entry(patch, expect=Expect.DETECTED, components=("dW{L}",)):
    return Entry(id="test-entry", title="t", category="test", description="d", hint="h",
                 patch=tuple(patch), components=components if expect is Expect.DETECTED else (), expect=expect,
                 reason=None if expect is Expect.DETECTED else "r")


# --- outcomes from runs -------------------------------------------------------------------

def run(verdict, localized=None, expected=("dW3",), error=None, rel=0.5):
    return ConfigRun(config="c", seed=0, verdict=verdict, localized=localized, expected=expected, error=error,
                     components=(ComponentScore("dW3", verdict or Verdict.PASS, rel, 1.0, "initial"),))


def result(expect, *runs, error=None):
    return MutantResult(id="m", title="t", category="c", expect=expect, components=("dW{L}",), runs=runs, error=error)


@pytest.mark.parametrize("expect,runs,outcome", [
    (Expect.DETECTED, [run(Verdict.FAIL, "dW3"), run(Verdict.FAIL, "dW3")], Outcome.DETECTED),
    (Expect.DETECTED, [run(Verdict.FAIL, "dW3"), run(Verdict.WARN)], Outcome.SURVIVED),
    (Expect.UNDETECTABLE, [run(Verdict.PASS), run(Verdict.WARN)], Outcome.CLEAN),
    (Expect.UNDETECTABLE, [run(Verdict.PASS), run(Verdict.FAIL, "dW3")], Outcome.FALSE_ALARM),
    (Expect.DETECTED, [run(None, error="forward returned a cost of nan")], Outcome.ERROR),
    (Expect.DETECTED, [], Outcome.ERROR),
])
def test_outcome_of_a_mutant(expect, runs, outcome):
    assert result(expect, *runs).outcome is outcome


def test_localized_correctly_needs_every_run_right():
    assert result(Expect.DETECTED, run(Verdict.FAIL, "dW3"), run(Verdict.FAIL, "dW3")).localized_correctly
    assert not result(Expect.DETECTED, run(Verdict.FAIL, "dW3"), run(Verdict.FAIL, "db3")).localized_correctly


def test_max_rel_error_is_none_when_a_gradient_could_not_be_compared():
    assert result(Expect.DETECTED, run(Verdict.FAIL, "dW3", rel=0.25)).max_rel_error == 0.25
    assert result(Expect.DETECTED, run(Verdict.FAIL, "dW3", rel=None)).max_rel_error is None


# --- sanity gate ----------------------------------------------------------------------------

def test_sanity_gate_passes_on_the_reference():
    gate = runner.sanity_gate(0)
    assert gate.passed and gate.reference.verdict is not Verdict.FAIL and gate.forced_fail.localized == "dW3"


def test_sanity_gate_aborts_when_a_broken_gradient_is_not_caught(monkeypatch):
    # a "broken gradient" that is in fact consistent: the harness could not see a failure
    monkeypatch.setattr(runner, "FORCED_FAIL", (Hunk("init_parameters", "scale = np.sqrt(gain / layer_dims[l - 1])",
                                                     "scale = 0.5"),))
    with pytest.raises(runner.SanityGateError, match="deliberately broken gradient .* is not caught in relu-sigmoid"):
        runner.sanity_gate(0)


def test_sanity_gate_aborts_when_the_reference_fails(monkeypatch):
    broken = runner.reference_source().replace("dZL = AL - Y", "dZL = AL - Y + 0.5")
    monkeypatch.setattr(runner, "reference_source", lambda: broken)
    with pytest.raises(runner.SanityGateError, match="the unmutated reference does not pass in relu-sigmoid"):
        runner.sanity_gate(0)


# --- one mutant -----------------------------------------------------------------------------

def test_the_checker_is_blind_to_the_entry(monkeypatch):
    seen = []
    real = runner.check_model

    def spy(model, **kwargs):
        seen.append((model, kwargs))
        return real(model, **kwargs)

    monkeypatch.setattr(runner, "check_model", spy)
    e = CATALOG.get("transposed-dw")
    runner.run_mutant(e, 0)
    assert seen
    for model, kwargs in seen:
        assert isinstance(model, Model)
        assert set(kwargs) == {"seed", "config", "mode"} and kwargs["mode"] == "auto"  # the checker's own option
        assert e.id not in repr(kwargs["config"]) and "components" not in kwargs["config"]
        assert model.forward.keywords == {"hidden": kwargs["config"]["hidden"], "output": kwargs["config"]["output"]}


def test_run_mutant_records_detection_localization_and_probe():
    result = runner.run_mutant(CATALOG.get("forgotten-dropout-mask"), 0)
    assert result.outcome is Outcome.DETECTED and result.localized_correctly
    assert [r.config for r in result.runs] == [c.name for c in CATALOG.get("forgotten-dropout-mask").configs()]
    assert {r.exposed_by for r in result.runs} == {"dropout"}
    assert all(r.expected == ("dW2",) for r in result.runs)


def test_a_non_bug_is_clean():
    assert runner.run_mutant(CATALOG.get("non-inverted-dropout"), 0).outcome is Outcome.CLEAN


def test_a_mutant_the_checker_cannot_judge_is_an_error_not_a_crash():
    nan_cost = entry([Hunk("compute_cost", "return loss + lambd / (2 * m) * l2", "return np.nan * loss")])
    result = runner.run_mutant(nan_cost, 0)
    assert result.outcome is Outcome.ERROR
    assert "cost of nan" in result.runs[0].error


def test_a_mutant_that_raises_is_an_error_with_the_line_not_a_detection():
    raises = entry([Hunk("backward", "dZL = AL - Y", "dZL = AL - Y[7]")])
    result = runner.run_mutant(raises, 0)
    assert result.runs[0].verdict is Verdict.FAIL  # the checker fails code that raises, as `mutagrad check` does
    assert result.outcome is Outcome.ERROR and not result.detected
    assert "<mutant test-entry>:" in result.problem and "IndexError" in result.problem


# --- campaigns ------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_json_is_identical_for_any_number_of_jobs():
    one = runner.run_campaign(SMALL, seed=3, jobs=1, configs=CONFIGS[:2])
    two = runner.run_campaign(SMALL, seed=3, jobs=2, configs=CONFIGS[:2])
    assert render_json(one) == render_json(two)
    assert [m.id for m in two.mutants] == [e.id for e in SMALL]
    assert len(two.reference) == 2 * REFERENCE_SEEDS


def test_progress_is_reported_for_every_task():
    calls = []
    runner.run_campaign(SMALL[:1], jobs=1, configs=CONFIGS[:1], progress=lambda *a: calls.append(a[2:]))
    total = 1 + REFERENCE_SEEDS
    assert calls == [(i, total) for i in range(1, total + 1)]


@pytest.mark.slow
def test_full_catalog_is_all_detected_all_localized_without_false_alarms():
    result = runner.run_campaign(CATALOG.entries, seed=0, jobs=os.cpu_count())
    s = result.summary
    misses = [(m.id, m.outcome.value, [(r.config, r.localized, r.expected) for r in m.runs])
              for m in result.mutants if m.outcome not in (Outcome.DETECTED, Outcome.CLEAN)
              or (m.detectable and not m.localized_correctly)]
    assert not misses
    assert s.detection_rate == 1.0 and s.localization_rate == 1.0
    assert s.false_alarms == 0 and s.reference_runs == len(CONFIGS) * REFERENCE_SEEDS
    assert result.exit_code == 0
