"""A whole class graded in one command: every kind of submission becomes one gradebook row."""
import csv
import json
from pathlib import Path

import pytest
from helpers import invoke

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.configs import CONFIGS
from mutagrad.classroom import gradebook
from mutagrad.classroom.answer_key import read_key
from mutagrad.classroom.class_set import make_class
from mutagrad.classroom.gradebook import COLUMNS, GRADEBOOK, JOURNAL, Result, grade_class, strays

from test_exercise import reverse_patch

CHEATS = Path(__file__).parent / "cheats"
CATALOG = load_catalog()
FIRST = ["Anna", "Bo", "Chidi", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ines", "José", "Kai", "Lena", "Mo",
         "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Vic", "Wen", "Xavi", "Yara", "Zoë",
         "Ada", "Ben", "Cleo", "Dev", "Emi", "Finn"]
# What each student hands in, in roster order: (kind, the result the gradebook must show).
PLAN = ([("fixed", Result.CORRECT)] * 8 + [("unfixed", Result.WRONG)] * 8
        + [("other-config", Result.WRONG)] * 3 + [("drop-hyperparameters", Result.WRONG)] * 3
        + [("syntax-error", Result.ERROR), ("empty", Result.ERROR), ("no-backward", Result.ERROR),
           ("exits", Result.WRONG), ("binary", Result.ERROR)]
        + [("missing", Result.MISSING)] * 5)


def submission(kind: str, handed_out: str, key) -> str | bytes | None:
    """The model.py a student of this kind hands in, from the one they were handed."""
    ex = key.exercise
    if kind == "fixed":
        return reverse_patch(handed_out, CATALOG.get(ex.mutant_id))
    if kind == "unfixed":
        return handed_out
    if kind == "other-config":  # the configuration lines changed to hide the bug (or not)
        other = next(c for c in CONFIGS if c.name != ex.config.name and c.depth == ex.config.depth)
        lines = [f"{n} = " for n in ("LAYER_DIMS", "HIDDEN_ACTIVATION", "OUTPUT_ACTIVATION")]
        values = [list(other.layer_dims), f'"{other.hidden}"', f'"{other.output}"']
        return "".join(next((p + str(v) + "\n" for p, v in zip(lines, values) if line.startswith(p)), line)
                       for line in handed_out.splitlines(keepends=True))
    if kind == "drop-hyperparameters":
        return handed_out + "\n\n" + (CHEATS / "drop_hyperparameters.py").read_text()
    if kind == "syntax-error":
        return handed_out.replace("def backward(", "def backward(:", 1)
    if kind == "empty":
        return ""
    if kind == "no-backward":
        return handed_out.replace("def backward(", "def backward_unused(", 1)
    if kind == "exits":
        return handed_out.replace("    caches = []\n", "    import os; os._exit(3)\n", 1)
    if kind == "binary":
        return bytes(range(256))
    return None


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of 32 made from a roster, its hand-ins in a submissions folder, graded with two jobs."""
    root = tmp_path_factory.mktemp("course")
    roster = root / "roster.txt"
    roster.write_text("\n".join(f"{first} Example{i}" for i, first in enumerate(FIRST)) + "\n", encoding="utf-8")
    class_dir = root / "class"
    make_class(roster, class_dir, seed=11)
    subs = root / "handed-in"
    subs.mkdir()
    expected = {}
    for i, (key, (kind, result)) in enumerate(zip(read_key(class_dir), PLAN)):
        text = submission(kind, (class_dir / key.folder / "model.py").read_text(), key)
        expected[key.student] = (kind, result)
        if text is None:
            continue
        path = subs / f"{key.folder}.py" if i % 2 else subs / key.folder / "model.py"  # both ways of handing in
        path.parent.mkdir(exist_ok=True)
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    seen = []
    rows, path = grade_class(class_dir, submissions=subs, jobs=2, out=root / "grades", progress=seen.append)
    return root, class_dir, subs, rows, path, expected, seen


@pytest.mark.slow
def test_a_class_of_32_gets_one_row_per_student_with_the_right_result(graded_class):
    _, _, _, rows, _, expected, seen = graded_class
    assert len(rows) == len(FIRST) == len(PLAN)
    assert sorted(r.student for r in seen) == sorted(r.student for r in rows)  # each reported as it ends
    for row in rows:
        kind, result = expected[row.student]
        assert row.result is result, (kind, row)
        assert row.reason and "\n" not in row.reason, (kind, row)
    reasons = {expected[r.student][0]: r.reason for r in rows}
    assert reasons["other-config"].startswith("the configuration lines changed")
    assert "must still take lambd" in reasons["drop-hyperparameters"]
    assert "syntax error" in reasons["syntax-error"]
    assert "could not be graded" in reasons["exits"]
    assert reasons["missing"].startswith("nothing handed in (looked for ")


@pytest.mark.slow
def test_a_class_graded_on_dask_gets_the_same_rows(graded_class):
    distributed = pytest.importorskip("distributed")
    root, class_dir, subs, rows, _, _, _ = graded_class
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        remote, path = grade_class(class_dir, submissions=subs, out=root / "dask-grades",
                                   scheduler=cluster.scheduler_address)
    assert path == root / "dask-grades" / GRADEBOOK
    assert [(r.student, r.result, r.reason) for r in remote] == [(r.student, r.result, r.reason) for r in rows]


@pytest.mark.slow  # the class of 32 is graded once, for every test that reads it
def test_the_gradebook_csv_has_the_columns_and_one_row_per_student(graded_class):
    root, _, _, rows, path, _, _ = graded_class
    assert path == root / "grades" / GRADEBOOK
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == COLUMNS == ("student", "folder", "bug", "result", "reason", "time")
    assert [t[0] for t in table[1:]] == [r.student for r in rows]
    for line, row in zip(table[1:], rows):
        assert line[1] == row.folder and "/" not in row.folder
        assert line[3] == row.result.value and line[2] and (line[5] == "") == (row.result is Result.MISSING)


@pytest.mark.slow  # the class of 32 is graded once, for every test that reads it
def test_a_second_run_resumes_from_the_journal_and_regrades_only_what_changed(graded_class):
    root, class_dir, subs, rows, path, _, _ = graded_class
    before = path.read_text()
    journal = root / "grades" / JOURNAL
    graded = len(journal.read_text().splitlines())
    again, _ = grade_class(class_dir, submissions=subs, jobs=2, out=root / "grades")
    assert len(journal.read_text().splitlines()) == graded  # nothing graded again
    assert path.read_text() == before  # the same gradebook
    unfixed = next(r for r in again if r.result is Result.WRONG and r.reason.startswith("the gradient check"))
    model = Path(unfixed.submission)
    key = next(k for k in read_key(class_dir) if k.student == unfixed.student)
    model.write_text(reverse_patch(model.read_text(), CATALOG.get(key.exercise.mutant_id)))  # fixed late
    with open(journal, "a") as f:
        f.write('{"torn": ')  # a run killed mid-line
    third, _ = grade_class(class_dir, submissions=subs, jobs=2, out=root / "grades")
    assert len(journal.read_text().splitlines()) == graded + 2  # the torn line, and the one regraded
    assert next(r for r in third if r.student == unfixed.student).result is Result.CORRECT
    assert json.loads(journal.read_text().splitlines()[-1])["student"] == unfixed.student


def test_grade_class_from_the_command_line_in_the_class_folder(tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("Anna Lee\nJosé García\n", encoding="utf-8")
    made = invoke("exercise", "class", "--roster", roster, "--out", tmp_path / "class", "--ascii-names")
    assert made.exit_code == 0, made.output
    assert (tmp_path / "class" / "jose-garcia" / "model.py").is_file()
    (tmp_path / "class" / "anna-lee" / "model.py").unlink()
    result = invoke("exercise", "grade-class", tmp_path / "class", "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "Anna Lee: missing: nothing handed in (looked for " in result.output
    assert "José García: wrong: the gradient check still fails" in result.output
    assert "2 students: 1 wrong, 1 missing; gradebook:" in result.output
    assert (tmp_path / "class" / GRADEBOOK).is_file()


@pytest.mark.slow  # the class of 32 is graded once, for every test that reads it
def test_hand_ins_named_after_no_student_are_listed(graded_class):
    root, class_dir, subs, *_ = graded_class
    (subs / "anna_lee_final.py").write_text("")
    (subs / "someone").mkdir()
    try:
        assert strays(class_dir, subs) == ["anna_lee_final.py", "someone"]
        result = invoke("exercise", "grade-class", class_dir, "--submissions", subs, "--out", root / "grades")
        assert result.exit_code == 0, result.output
        assert "not graded, named after no student of the answer key: anna_lee_final.py, someone" in result.output
    finally:
        (subs / "anna_lee_final.py").unlink()
        (subs / "someone").rmdir()


def test_a_grader_that_sends_back_something_else_is_an_error_row(tmp_path, monkeypatch):
    roster = tmp_path / "roster.txt"
    roster.write_text("Anna Lee\n")
    make_class(roster, tmp_path / "class", seed=0)
    monkeypatch.setattr(gradebook, "_grade_copy", lambda source, path, key: {"not": "a result"})
    rows, _ = grade_class(tmp_path / "class", jobs=1)
    assert rows[0].result is Result.ERROR and "no valid result" in rows[0].reason


def test_a_class_folder_without_an_answer_key_is_bad_input(tmp_path):
    with pytest.raises(Exception, match="answer_key.csv: no answer key here"):
        grade_class(tmp_path)
