"""Gradescope's results.json: one test per check, scored, with the grader's reasons as output."""
import json

import pytest
from helpers import invoke

from mutagrad.classroom.class_set import make_class
from mutagrad.classroom.exercise import load, network_source
from mutagrad.classroom.gradescope import GRADIENT_TEST, MATCH_TEST, results, split_reasons
from mutagrad.classroom.grading import Grade, grade

from test_exercise import BENDABLE, PENALTY, one_entry_catalog

TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility"}


@pytest.fixture
def exercise(tmp_path):
    (tmp_path / "roster.txt").write_text("Anna Lee\n")
    make_class(tmp_path / "roster.txt", tmp_path / "class", seed=0, catalog=one_entry_catalog(tmp_path, BENDABLE))
    return tmp_path / "class"


def graded_json(class_dir, tmp_path, *key):
    out = tmp_path / "results" / "results.json"
    result = invoke("exercise", "grade", class_dir / "anna-lee", *key, "--results-json", out, "--max-score", 10)
    return result, json.loads(out.read_text())


def by_name(content):
    assert all(set(t) >= TEST_KEYS for t in content["tests"])
    return {t["name"]: t for t in content["tests"]}


def test_an_unfixed_model_fails_both_tests(exercise, tmp_path):
    result, content = graded_json(exercise, tmp_path, "--key", exercise)
    tests = by_name(content)
    assert result.exit_code == 1 and content["score"] == 0
    assert tests[GRADIENT_TEST]["status"] == "failed"
    assert "the gradient check still fails" in tests[GRADIENT_TEST]["output"]
    assert tests[MATCH_TEST]["max_score"] == 5 and tests[MATCH_TEST]["visibility"] == "visible"
    assert "graded with the instructor's key" in content["output"]


def test_a_bent_cost_passes_the_check_and_fails_the_match(exercise, tmp_path):
    model = exercise / "anna-lee" / "model.py"
    model.write_text(model.read_text().replace(PENALTY, "return loss"))
    result, content = graded_json(exercise, tmp_path, "--key", exercise / "instructor.key")
    tests = by_name(content)
    assert result.exit_code == 1 and content["score"] == 5
    assert tests[GRADIENT_TEST]["score"] == 5 and tests[GRADIENT_TEST]["status"] == "passed"
    assert tests[MATCH_TEST]["score"] == 0 and "the cost differs" in tests[MATCH_TEST]["output"]


def test_a_fix_gets_full_marks_and_a_self_check_says_so(exercise, tmp_path):
    (exercise / "anna-lee" / "model.py").write_text(network_source(load(exercise / "anna-lee").config))
    result, content = graded_json(exercise, tmp_path)
    assert result.exit_code == 0 and content["score"] == 10
    assert all(t["status"] == "passed" for t in content["tests"])
    assert "a self-check" in content["output"] and "not a grade for marks" in content["output"]


def test_a_model_that_does_not_load_still_writes_results_with_the_reason(exercise, tmp_path):
    (exercise / "anna-lee" / "model.py").write_text("def forward(:\n")
    result, content = graded_json(exercise, tmp_path, "--key", exercise)
    assert result.exit_code == 1 and content["score"] == 0
    assert all("not graded" in t["output"] and "syntax error" in t["output"] for t in content["tests"])


def test_each_reason_the_grader_gives_lands_in_its_test(exercise):
    folder = exercise / "anna-lee"
    ex = load(folder)
    fixed = network_source(ex.config)
    for source, gradient_fails, match_fails in [
        (fixed.replace('HIDDEN_ACTIVATION = "', 'HIDDEN_ACTIVATION = "x'), True, True),
        (fixed.replace("    return grads\n", '    del grads["db1"]\n    return grads\n'), True, True),
        (fixed.replace("    caches = []\n", "    import os; os._exit(3)\n"), True, True),
    ]:
        (folder / "model.py").write_text(source)
        gradient, match = split_reasons(grade(folder))
        assert (bool(gradient), bool(match)) == (gradient_fails, match_fails), (gradient, match)
    assert split_reasons(Grade(True, ("fine",))) == ([], [])
    content = results(Grade(False, ("the gradient check still fails: dW1",)), max_score=2, marked=True)
    assert [t["status"] for t in content["tests"]] == ["failed", "passed"] and content["score"] == 1
