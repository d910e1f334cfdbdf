"""Classroom exercises: new, answer, hint, grade and class sets, as an instructor and a student use them."""
import csv
import io
import itertools
import json
import tokenize
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import invoke, run_main

from mutagrad.classroom import grading
from mutagrad.campaign.catalog import Entry, builtin_catalog, load_catalog
from mutagrad.classroom.class_set import folder_name, make_class, read_roster
from mutagrad.errors import MutagradError, UserCodeError
from mutagrad.classroom.exercise import (
    EXERCISE_FILE,
    Chooser,
    answer,
    blind_check,
    derived_difficulty,
    giveaways,
    hint,
    load,
    make,
    model_of,
    network_source,
    new,
)
from mutagrad.campaign.mutate import Hunk, build_module, mutant_module
from mutagrad.check.protocol import moved_point, own_parameters, probes_for
from mutagrad.check.evaluator import Evaluator
from mutagrad.records.check import Verdict
from mutagrad.campaign.runner import model_for

CATALOG = load_catalog()
GRADIENT_BUGS = [e for e in CATALOG.entries if e.detectable]
BENDABLE = "missing-lambda-over-m-term"  # backward drops lambd/m W; the bent fix drops the penalty from the cost
PENALTY = "return loss + lambd / (2 * m) * l2"


def one_entry_catalog(tmp_path, mutant_id, drop=()):
    """A catalog file holding one built-in entry (without the fields `drop`), so `exercise new` must pick it."""
    for f in builtin_catalog().iterdir():
        if f.name.endswith(".yaml"):
            found = [{k: v for k, v in e.items() if k not in drop}
                     for e in yaml.safe_load(f.read_text()) if e["id"] == mutant_id]
            if found:
                path = tmp_path / "one.yaml"
                path.write_text(yaml.safe_dump(found))
                return path
    raise LookupError(mutant_id)


def reverse_patch(source: str, entry: Entry) -> str:
    """The student's fix: each hunk's replacement put back to the original text."""
    for hunk in reversed(entry.patch):
        assert source.count(hunk.replace) == 1
        source = source.replace(hunk.replace, hunk.find)
    return source


def outputs(model, seed=0):
    """Cost and gradients (or the error raised) at every probe of the checker."""
    X, Y = model.make_data(seed)
    start = own_parameters(model.init_parameters(seed))
    seen = []
    for _, moved, lambd, keep_prob in probes_for(model, None, None):
        ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=seed)
        point = moved_point(start, seed) if moved else start
        try:
            seen.append((ev.cost(own_parameters(point)), ev.backward(own_parameters(point))))
        except (UserCodeError, MutagradError) as exc:  # the mutant's own crash: the exercise must crash alike
            seen.append(type(exc).__name__)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("entry", GRADIENT_BUGS, ids=lambda e: e.id)
def test_every_exercise_computes_exactly_what_the_campaign_checks(entry):
    # `mutagrad run` (tests/campaign/test_runner.py) proves the checker catches these mutants; the exercise
    # must be the same code: comments, docstring and configuration lines change nothing else.
    assert giveaways(entry) == []
    for config in entry.configs():
        exercise = model_of(build_module(network_source(config, entry.patch), "<exercise>"), "model.py")
        mutant = model_for(mutant_module(entry), config, "mutant")
        mine, theirs = outputs(exercise), outputs(mutant)
        assert len(mine) == len(theirs) == 5  # initial, moved, lambd, dropout, lambd+dropout
        for a, b in zip(mine, theirs):
            if isinstance(a, str) or isinstance(b, str):
                assert a == b
            else:
                assert a[0] == b[0] and a[1].keys() == b[1].keys()
                assert all(np.array_equal(a[1][k], b[1][k]) for k in a[1])


def test_an_exercise_is_checked_blind_before_it_is_written():
    entry = CATALOG.get("forgotten-dropout-mask")
    config = entry.configs()[0]
    result = Chooser(CATALOG).check(entry, config)
    assert result.verdict is Verdict.FAIL and result.localized == "dW2" and result.exposed_by == "dropout"
    assert blind_check(network_source(config)).verdict is not Verdict.FAIL


def test_model_py_has_no_comment_and_does_not_name_mutagrad_or_the_answer_key():
    for entry in CATALOG.entries:
        source = network_source(entry.configs()[0], entry.patch)
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        assert not [t.string for t in tokens if t.type == tokenize.COMMENT], entry.id
        assert "mutagrad" not in source.lower() and "answer key" not in source.lower()
    summed = network_source(CATALOG.entries[0].configs()[0], CATALOG.get("cost-summed-consistently").patch)
    assert "m = 1\n" in summed and "a sum over the examples" not in summed  # the patch's own comment is gone


def test_model_py_is_the_reference_with_the_configuration_lines_set():
    config = CATALOG.get("tanh-derivative-of-z").configs()[0]
    source = network_source(config)
    assert 'LAYER_DIMS = [4, 5, 3, 3]\nHIDDEN_ACTIVATION = "tanh"\nOUTPUT_ACTIVATION = "softmax"\n' in source
    assert source.startswith('"""A small L-layer network with hand-written backprop.')


def test_a_patch_that_names_the_bug_is_not_used():
    named = Entry(id="named", title="t", category="c", description="d", hint="h", components=("dW{L}",),
                  patch=(Hunk("backward", "dZL = AL - Y", "dZL_wrong = Y - AL; dZL = dZL_wrong"),))
    assert giveaways(named) == ["adds 'dZL_wrong'"]
    assert Chooser(CATALOG).check(named, named.configs()[0]) is None


def test_the_exercise_folder_never_holds_the_answer_in_readable_form(tmp_path):
    for seed in range(2):
        ex = new(tmp_path / str(seed), seed=seed)
        entry = CATALOG.get(ex.mutant_id)
        clean = network_source(ex.config).lower()  # its docstrings name grads["dW1"] whatever the bug
        for f in (tmp_path / str(seed)).iterdir():
            text = f.read_text().lower()
            for secret in (entry.id, entry.title, entry.hint, entry.category):
                assert secret.lower() not in text, (f.name, secret)
            if f.name != "README.md":  # the README is the same for every bug (tested below)
                for component in ex.components:
                    assert text.count(component.lower()) == (clean.count(component.lower()) if f.name == "model.py"
                                                             else 0), (f.name, component)


def test_the_student_readme_does_not_depend_on_the_bug(tmp_path):
    config = CATALOG.get("transposed-dw").configs()[0]
    make(tmp_path / "a", CATALOG.get("transposed-dw"), config, "easy")
    make(tmp_path / "b", CATALOG.get("dzl-sign-flipped"), config, "easy")
    readme = (tmp_path / "a" / "README.md").read_text()
    assert readme == (tmp_path / "b" / "README.md").read_text()
    assert "mutagrad check model.py" in readme and "mutagrad exercise grade ." in readme


def test_the_same_seed_makes_the_same_exercise(tmp_path):
    a, b = new(tmp_path / "a", seed=7), new(tmp_path / "b", seed=7)
    assert a == b
    assert (tmp_path / "a" / "model.py").read_text() == (tmp_path / "b" / "model.py").read_text()
    assert new(tmp_path / "c", seed=8).mutant_id != a.mutant_id


def test_category_and_difficulty_choose_the_bug(tmp_path):
    ex = new(tmp_path / "a", seed=1, category="dropout", difficulty="medium")
    assert ex.category == "dropout" and CATALOG.get(ex.mutant_id).difficulty.value == "medium"
    with pytest.raises(MutagradError, match="unknown category 'nope'"):
        new(tmp_path / "b", category="nope")


def test_difficulty_without_a_catalog_field_follows_depth_and_probe():
    assert derived_difficulty("dW3", 3, "initial") == "easy"
    assert derived_difficulty("dW3", 3, "lambd") == "medium"
    assert derived_difficulty("db2", 3, "initial") == "medium"
    assert derived_difficulty("dW1", 3, "moved") == "hard"


def test_a_user_catalog_entry_without_difficulty_gets_a_derived_one(tmp_path):
    catalog = one_entry_catalog(tmp_path, "forgotten-dropout-mask", drop=("difficulty",))
    ex = new(tmp_path / "ex", catalog=catalog)
    assert ex.difficulty == "hard"  # dW{L-1}, and it shows only with keep_prob < 1


def test_new_refuses_to_overwrite_an_exercise(tmp_path):
    new(tmp_path, seed=0)
    with pytest.raises(MutagradError, match="already holds an exercise"):
        new(tmp_path, seed=1)


def test_answer_and_hint(tmp_path):
    entry = CATALOG.get("transposed-dw")
    ex = make(tmp_path, entry, entry.configs()[0], "easy")
    assert answer(tmp_path, ex.components[0])[0] is True
    right, message = answer(tmp_path, "db1")
    assert not right and message.startswith("wrong: db1 is not the first wrong gradient")
    assert hint(tmp_path) == entry.hint
    for bad in ("W2", "dW{L}", "dW9"):
        with pytest.raises(MutagradError, match="name a gradient as the check prints it"):
            answer(tmp_path, bad)


def test_a_damaged_or_missing_exercise_file_is_bad_input(tmp_path, capsys):
    code, _, err = run_main(capsys, "exercise", "hint", tmp_path)
    assert code == 2 and "not an exercise folder" in err and len(err.strip().splitlines()) == 1
    new(tmp_path, seed=0)
    box = json.loads((tmp_path / EXERCISE_FILE).read_text())
    box["payload"] = box["payload"][:-8] + "AAAAAAA="
    (tmp_path / EXERCISE_FILE).write_text(json.dumps(box))
    code, _, err = run_main(capsys, "exercise", "answer", tmp_path, "dW1")
    assert code == 2 and "damaged" in err


@pytest.mark.slow
def test_a_whole_exercise_new_check_answer_fix_and_bend(tmp_path):
    entry = CATALOG.get(BENDABLE)
    folder = tmp_path / "ex"
    made = invoke("exercise", "new", "--out", folder, "--catalog", one_entry_catalog(tmp_path, BENDABLE))
    assert made.exit_code == 0, made.output
    assert entry.id not in made.output
    model = folder / "model.py"
    buggy = model.read_text()

    checked = invoke("check", model)  # the student finds the bug
    assert checked.exit_code == 1 and "localized: dW3" in checked.output
    assert invoke("exercise", "answer", folder, "dW3").exit_code == 0
    assert invoke("exercise", "answer", folder, "dW2").exit_code == 1
    assert entry.hint.split()[0] in invoke("exercise", "hint", folder).output

    graded = invoke("exercise", "grade", folder)  # not fixed yet
    assert graded.exit_code == 1 and "the gradient check still fails" in graded.output

    model.write_text(reverse_patch(buggy, entry))  # the real fix
    graded = invoke("exercise", "grade", folder)
    assert graded.exit_code == 0 and graded.output.startswith("correct: model.py passes the gradient check")

    assert buggy.count(PENALTY) == 1
    model.write_text(buggy.replace(PENALTY, "return loss"))  # bent: the cost drops the penalty to fit backward
    assert invoke("check", model).exit_code == 0  # consistent, so the check alone is fooled
    graded = invoke("exercise", "grade", folder)
    assert graded.exit_code == 1
    assert "wrong: the cost differs from the original network's at the lambd point (lambd = 0.7)" in graded.output


def test_the_reference_itself_grades_as_correct_in_every_configuration(tmp_path):
    for i, entry in enumerate(CATALOG.get(i) for i in ("transposed-dw", "tanh-derivative-of-z", "mse-gradient-doubled")):
        config = entry.configs()[0]
        make(tmp_path / str(i), entry, config, "easy")
        (tmp_path / str(i) / "model.py").write_text(network_source(config))
        assert grading.grade(tmp_path / str(i)).passed


def test_grade_names_a_changed_configuration_and_a_missing_gradient(tmp_path):
    entry = CATALOG.get("transposed-dw")
    make(tmp_path, entry, entry.configs()[0], "easy")
    fixed = network_source(entry.configs()[0])
    (tmp_path / "model.py").write_text(fixed.replace('HIDDEN_ACTIVATION = "relu"', 'HIDDEN_ACTIVATION = "tanh"'))
    result = grading.grade(tmp_path)
    assert not result.passed and result.reasons[0].startswith("the configuration lines changed")
    (tmp_path / "model.py").write_text(fixed.replace("    return grads\n", '    del grads["db1"]\n    return grads\n'))
    assert "grads has no 'db1'" in " ".join(grading.grade(tmp_path).reasons)


def test_grade_runs_the_student_code_isolated(tmp_path, monkeypatch, capsys):
    entry = CATALOG.get("transposed-dw")
    make(tmp_path, entry, entry.configs()[0], "easy")
    fixed = network_source(entry.configs()[0])
    monkeypatch.setattr(grading, "GRADE_TIMEOUT", 1)
    (tmp_path / "model.py").write_text(fixed.replace("    caches = []\n", "    while True:\n        pass\n"))
    result = grading.grade(tmp_path)
    assert not result.passed and "could not be graded: used up its CPU-time limit of 1 s" in result.reasons[0]
    (tmp_path / "model.py").write_text(fixed.replace("    caches = []\n", "    import os; os._exit(3)\n"))
    assert "could not be graded" in grading.grade(tmp_path).reasons[0]
    (tmp_path / "model.py").write_text("def forward(:\n")
    code, _, err = run_main(capsys, "exercise", "grade", tmp_path)
    assert code == 2 and "syntax error" in err


def test_folder_names_are_safe():
    assert folder_name("José García") == "josé-garcía"
    assert folder_name("../../etc/passwd") == "etc-passwd"
    assert folder_name("  O'Neil, Pat ") == "o-neil-pat"
    assert folder_name("...") == ""


def test_roster_as_lines_or_csv(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("Anna Lee\n\n  Bo Chen \nLee, Anna\n")
    assert read_roster(plain) == ["Anna Lee", "Bo Chen", "Lee, Anna"]
    table = tmp_path / "class.csv"
    table.write_text("id;Name;email\n1;Anna Lee;a@x\n\n2;Bo Chen;b@x\n")
    assert read_roster(table) == ["Anna Lee", "Bo Chen"]


def test_duplicate_names_are_one_clear_line_that_says_how_to_fix_the_roster(tmp_path, capsys):
    roster = tmp_path / "roster.txt"
    roster.write_text("Anna Lee\nBo Chen\nanna lee\n")
    code, _, err = run_main(capsys, "exercise", "class", "--roster", roster, "--out", tmp_path / "c")
    assert code == 2 and err.strip() == (f"mutagrad: error: {roster}:3: 'anna lee' would get the same folder "
                                         f"'anna-lee' as 'Anna Lee' on line 1: make each name in the roster "
                                         f"distinct, e.g. add an initial")
    roster.write_text("Anna-Lee\nAnna Lee\n")  # the same wording when only the folder is shared
    with pytest.raises(MutagradError, match=r":2: 'Anna Lee' would get the same folder 'anna-lee' as 'Anna-Lee' "
                                            r"on line 1: make each name"):
        read_roster(roster)
    roster.write_text("José\nJose\n")
    assert read_roster(roster) == ["José", "Jose"]
    with pytest.raises(MutagradError, match="'Jose' would get the same folder 'jose' as 'José'"):
        read_roster(roster, ascii_only=True)
    roster.write_text("李娜\n")
    with pytest.raises(MutagradError, match=r"in plain ASCII \(--ascii-names\): add a spelling"):
        read_roster(roster, ascii_only=True)
    roster.write_text("\n\n")
    with pytest.raises(MutagradError, match="no names"):
        read_roster(roster)


def test_ascii_folder_names():
    assert folder_name("José García", ascii_only=True) == "jose-garcia"
    assert folder_name("Zoë Ångström-Ødegård", ascii_only=True) == "zoe-angstrom-odegard"
    assert folder_name("../../etc/passwd", ascii_only=True) == "etc-passwd"
    assert folder_name("李娜", ascii_only=True) == ""


@pytest.mark.slow
def test_a_class_set_and_its_answer_key(tmp_path):
    names = ["Anna Lee", "Bo Chen", "Chidi Okafor", "Dana Smith", "Eli Cohen", "Fatima Zahra"]
    roster = tmp_path / "roster.txt"
    roster.write_text("\n".join(names) + "\n")
    result = invoke("exercise", "class", "--roster", roster, "--out", tmp_path / "class", "--seed", 3)
    assert result.exit_code == 0, result.output
    assert "do not hand them out" in result.output
    assert (tmp_path / "class" / "instructor.key").stat().st_mode & 0o777 == 0o600  # the instructor's alone
    with open(tmp_path / "class" / "answer_key.csv") as f:
        key = list(csv.DictReader(f))
    assert [row["student"] for row in key] == names
    assert set(key[0]) >= {"student", "mutant_id", "component"}
    categories = [row["category"] for row in key]
    assert all(a != b for a, b in itertools.pairwise(categories))  # neighbours get different kinds of bug
    for row in key:
        folder = tmp_path / "class" / row["folder"]
        assert sorted(p.name for p in folder.iterdir()) == [EXERCISE_FILE, "README.md", "model.py"]
        ex = load(folder)
        assert (ex.mutant_id, ex.student) == (row["mutant_id"], row["student"])
        assert row["component"].split(" or ") == list(ex.components)
        assert not list(folder.rglob("answer_key*")) and not list(folder.rglob("instructor.key*"))


@pytest.mark.slow
def test_a_class_set_is_deterministic_from_names_and_seed(tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("Anna Lee\nBo Chen\nChidi Okafor\n")
    a = make_class(roster, tmp_path / "a", seed=5)
    assert make_class(roster, tmp_path / "b", seed=5) == a
    assert Path(tmp_path / "a" / "answer_key.csv").read_text() == Path(tmp_path / "b" / "answer_key.csv").read_text()
    for row in a:
        assert (tmp_path / "a" / row[1] / "model.py").read_text() == (tmp_path / "b" / row[1] / "model.py").read_text()
    assert make_class(roster, tmp_path / "c", seed=6) != a


def test_a_catalog_of_a_model_files_mutants_makes_no_exercise(capsys, tmp_path):
    """Exercises plant bugs in mlp.py: a catalog whose patches apply to another file is refused, in one line."""
    import hashlib
    import shutil

    from helpers import EXAMPLES

    shutil.copy(EXAMPLES / "course_model.py", tmp_path / "course_model.py")
    sha = hashlib.sha256((tmp_path / "course_model.py").read_bytes()).hexdigest()
    (tmp_path / "ops.yaml").write_text(
        f"target: {{file: course_model.py, sha256: {sha}, layer_dims: [4, 5, 3, 1]}}\n"
        "entries:\n- id: halved-dw3\n  title: t\n  category: c\n  description: d\n  hint: h\n"
        "  components: ['dW{L}']\n  patch: {function: backward_propagation_n, find: 'dW3 = 1.0 / m',"
        " replace: 'dW3 = 0.5 / m'}\n")
    code, _, err = run_main(capsys, "exercise", "new", "--out", tmp_path / "ex", "--catalog", tmp_path / "ops.yaml")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "its mutants patch course_model.py; exercises plant bugs in mutagrad/mlp.py" in err
    assert not (tmp_path / "ex").exists()
