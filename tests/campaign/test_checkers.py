"""Measuring any checker: resolving --checker SPEC, the answer protocol, the gate, and an honest harness."""
import sys
import textwrap

import numpy as np
import pytest

from mutagrad.campaign import runner
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.checkers import (MUTAGRAD, Checker, CheckerAnswerError, CheckerError, accept, parse_answer,
                                        resolve, resolve_all)
from mutagrad.campaign.configs import CONFIGS, REFERENCE_SEEDS
from mutagrad.records.campaign import ConfigRun, Outcome
from mutagrad.records.check import Verdict

CATALOG = load_catalog()
GRADIENTS = ("dW1", "db1", "dW2", "db2")
TRIVIAL = textwrap.dedent("""\
    def always_pass(forward, backward, parameters, X, Y):
        return True

    def always_fail(forward, backward, parameters, X, Y):
        return {"verdict": "fail", "localized": None}

    def raises(forward, backward, parameters, X, Y):
        raise RuntimeError("my checker broke")

    def answers_junk(forward, backward, parameters, X, Y):
        return "looks fine"
    """)


@pytest.fixture
def trivial(tmp_path):
    path = tmp_path / "trivial.py"
    path.write_text(TRIVIAL)
    return lambda name: resolve(f"{path}:{name}")


# --- resolving a --checker SPEC ----------------------------------------------------------

@pytest.mark.parametrize("name", ["mutagrad", "course", "notes-1e-3"])
def test_builtin_checkers_resolve_by_name(name):
    checker = resolve(name)
    assert checker.name == name and checker.builtin
    assert (checker is MUTAGRAD) == (name == "mutagrad")


@pytest.mark.parametrize("spec,message", [
    ("gradcheck", "expected a built-in name"),
    ("missing_file.py:check", "cannot read"),
    ("no.such.module:check", "no.such.module"),
    ("mutagrad.mlp:no_such_function", "defines no function 'no_such_function'"),
])
def test_a_bad_spec_is_one_line_naming_it(spec, message):
    with pytest.raises(CheckerError) as info:
        resolve(spec)
    text = str(info.value)
    assert text.startswith(f"--checker {spec}:") and message in text and "\n" not in text


def test_a_file_with_a_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def check(:\n")
    with pytest.raises(CheckerError, match=r"broken.py:1: "):
        resolve(f"{path}:check")


def test_a_users_file_is_parsed_not_executed_by_the_parent(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "loud.py"
    path.write_text(f"open({str(marker)!r}, 'w').close()\ndef check(*args):\n    return True\n")
    checker = resolve(f"{path}:check")
    assert checker.path == str(path) and not marker.exists()
    assert checker.load()(None, None, {}, None, None) is True and marker.exists()  # the child executes it


def test_torch_checkers_need_torch_and_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    with pytest.raises(CheckerError, match=r"--checker torch-gradcheck: needs torch.*pip install 'torch==2\.13\.0'"):
        resolve("torch-gradcheck")


def test_the_same_checker_twice_is_refused():
    with pytest.raises(CheckerError, match="course is given twice"):
        resolve_all(["course", "mutagrad", "course"])
    assert resolve_all([]) == (MUTAGRAD,)


# --- the answer is data, validated ------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    (True, (Verdict.PASS, None)), (False, (Verdict.FAIL, None)), (np.bool_(False), (Verdict.FAIL, None)),
    ({"verdict": "pass"}, (Verdict.PASS, None)), ({"verdict": "fail", "localized": "dW2"}, (Verdict.FAIL, "dW2")),
    ({"verdict": "fail", "localized": None}, (Verdict.FAIL, None)),
])
def test_answers_in_the_protocol(raw, expected):
    assert parse_answer(raw, GRADIENTS) == expected


@pytest.mark.parametrize("raw", [
    None, 1, 0.0, "pass", [True], {"verdict": "FAIL"}, {"localized": "dW2"}, {"verdict": "fail", "localized": "dW9"},
    {"verdict": "fail", "localized": ["dW2"]}, {"verdict": "pass", "localized": "dW2"},
    {"verdict": "fail", "extra": 1},
])
def test_anything_else_is_an_error_not_a_verdict(raw):
    with pytest.raises(CheckerAnswerError):
        parse_answer(raw, GRADIENTS)


def test_the_parent_keeps_only_valid_data():
    good = ConfigRun(config="c", seed=0, verdict=Verdict.FAIL, localized="dW2")
    assert accept(good) is good
    forged = ConfigRun(config="c", seed=0, verdict="fail", localized="dW2")  # not a Verdict
    assert accept(forged).error and accept(forged).verdict is None
    assert accept("a string").error == "the checker's result is not valid data"


# --- the gate and the harness ---------------------------------------------------------------

def test_builtin_peers_pass_the_gate():
    for name in ("course", "notes-1e-3"):
        gate = runner.sanity_gate(0, CONFIGS[0], resolve(name))
        assert gate.passed and gate.reference.verdict is Verdict.PASS and gate.forced_fail.detected


@pytest.mark.parametrize("name,why", [
    ("always_pass", "a deliberately broken gradient (dZL doubled) is not caught"),
    ("always_fail", "the unmutated reference does not pass"),
    ("raises", "RuntimeError: my checker broke"),
    ("answers_junk", "the checker answered 'looks fine'"),
])
def test_the_gate_reports_a_checker_that_cannot_tell_right_from_wrong(trivial, name, why):
    with pytest.raises(runner.SanityGateError) as info:
        runner.run_campaign(CATALOG.select(["transposed-dw"]), jobs=1, checker=trivial(name))
    assert f"for checker {trivial(name).name}" in str(info.value) and why in str(info.value)


@pytest.fixture
def no_gate(monkeypatch):
    """The gate as mutagrad's own checker passes it, whatever the checker: to count what the harness does
    with a checker the gate would (rightly) stop."""
    gate = runner.sanity_gate(0, CONFIGS[0])
    monkeypatch.setattr(runner, "sanity_gate", lambda *args, **kwargs: gate)


@pytest.mark.slow
def test_a_checker_that_always_passes_detects_nothing(trivial, no_gate):
    result = runner.run_campaign(CATALOG.select(), jobs=2, checker=trivial("always_pass"))
    s = result.summary
    assert s.detectable > 40 and s.detected == 0 and s.survived == s.detectable
    assert s.false_alarms == 0 and s.errors == 0


@pytest.mark.slow
def test_a_checker_that_always_fails_is_flagged_on_every_reference_run(trivial, no_gate):
    result = runner.run_campaign(CATALOG.select(), jobs=2, checker=trivial("always_fail"))
    s = result.summary
    assert s.reference_runs == len(CONFIGS) * REFERENCE_SEEDS and s.reference_false_alarms == s.reference_runs
    assert s.undetectable > 0 and s.undetectable_flagged == s.undetectable
    assert s.localized == 0  # a verdict without a named gradient is never counted as localized


@pytest.mark.slow
def test_a_checker_that_raises_gets_errors_not_detections(trivial, no_gate):
    result = runner.run_campaign(CATALOG.select(categories=["shapes", "consistent"]), jobs=2,
                                 checker=trivial("raises"))
    assert result.summary.detected == 0 and result.summary.errors == len(result.mutants)
    assert all(m.outcome is Outcome.ERROR and "my checker broke" in m.problem for m in result.mutants)
    assert all(r.error and not r.detected for r in result.reference)


def test_a_checker_runs_in_the_mutants_child_not_in_the_parent(tmp_path, no_gate):
    path = tmp_path / "pid.py"
    path.write_text("import os\ndef check(forward, backward, parameters, X, Y):\n"
                    "    return {'verdict': 'fail', 'localized': 'dW%d' % (os.getpid() % 2 + 1)}\n")
    calls = []
    monkey = Checker(f"{path}:check", path=str(path), function="check")
    original = Checker.load

    def counting(self):
        calls.append(self.name)
        return original(self)
    Checker.load = counting
    try:
        runner.run_campaign(CATALOG.select(["transposed-dw"]), jobs=1, checker=monkey)
    finally:
        Checker.load = original
    assert calls == []  # every call happened in a forked child


def test_the_checker_sees_pinned_dropout_masks(tmp_path):
    path = tmp_path / "masks.py"
    path.write_text("def check(forward, backward, parameters, X, Y):\n"
                    "    first, _ = forward(X, Y, parameters, keep_prob=0.5)\n"
                    "    second, _ = forward(X, Y, parameters, keep_prob=0.5)\n"
                    "    return bool(first == second)\n")
    run = runner.run_reference(CONFIGS[0], 0, resolve(f"{path}:check"))
    assert run.error is None and run.verdict is Verdict.PASS  # the same masks on every forward call


@pytest.mark.slow
def test_torch_gradcheck_passes_the_gate_and_catches_a_transposed_dw():
    pytest.importorskip("torch")
    checker = resolve("torch-gradcheck-fast")
    assert runner.sanity_gate(0, CONFIGS[0], checker).passed
    assert runner.run_mutant(CATALOG.get("transposed-dw"), 0, checker=checker).outcome is Outcome.DETECTED


@pytest.mark.slow
def test_a_comparison_resumes_from_its_journal_to_the_same_report(tmp_path):
    entries = CATALOG.select(["transposed-dw", "forgotten-dropout-mask"])
    checkers = resolve_all(["course", "mutagrad"])
    journal = tmp_path / "journal.jsonl"
    first = runner.run_comparison(entries, checkers, jobs=2, journal=journal)
    keys = [line for line in journal.read_text().splitlines()[1:]]
    assert len(keys) == 2 * (len(entries) + len(CONFIGS) * REFERENCE_SEEDS)
    assert any('"key": "course: mutant transposed-dw"' in k for k in keys)
    again = runner.run_comparison(entries, checkers, jobs=2, journal=journal, resume=True)
    assert again.to_dict() == first.to_dict() and [r.checker for r in again.runs] == ["course", "mutagrad"]
    with pytest.raises(runner.MutagradError, match="checkers"):  # another set of checkers: another run
        runner.run_comparison(entries, resolve_all(["notes-1e-3", "mutagrad"]), jobs=2, journal=journal,
                              resume=True)


def test_a_module_spec_is_found_without_importing_its_package(tmp_path, monkeypatch):
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n")
    (package / "checks.py").write_text("def check(forward, backward, parameters, X, Y):\n    return True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    checker = resolve("userpkg.checks:check")
    assert checker.module == "userpkg.checks" and not (tmp_path / "imported").exists()
    with pytest.raises(CheckerError, match="no Python module userpkg.nothing"):
        resolve("userpkg.nothing:check")
