"""Each cheat a student might try, as a real model.py: graded with the instructor's key, never `correct`."""
import base64
import json
import os
import zlib
from pathlib import Path

import pytest
from helpers import invoke

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.configs import CONFIGS, suits
from mutagrad.classroom.class_set import make_class
from mutagrad.classroom.exercise import EXERCISE_FILE, _checksum, load, network_source
from mutagrad.classroom.gradebook import grade_class
from mutagrad.errors import MutagradError

from test_exercise import BENDABLE, PENALTY, one_entry_catalog

CHEATS = Path(__file__).parent / "cheats"
# A bug that is live only with relu hidden units: another configuration hides it.
CONFIG_BOUND = "relu-derivative-missing"


def one_bug_class(tmp_path, mutant_id, students=("Anna Lee",)):
    """A class whose every student has the bug `mutant_id`; the instructor's folder."""
    roster = tmp_path / "roster.txt"
    roster.write_text("\n".join(students) + "\n")
    make_class(roster, tmp_path / "class", seed=1, catalog=one_entry_catalog(tmp_path, mutant_id))
    return tmp_path / "class"


def grade_marked(class_dir, folder="anna-lee"):
    """The instructor's grade, by the answer key and by the sealed exercise file: both CLI results."""
    return [invoke("exercise", "grade", class_dir / folder, "--key", key)
            for key in (class_dir, class_dir / "instructor.key")]


def assert_never_correct(results):
    for result in results:  # wrong (exit 1), or bad input (a MutagradError: exit 2 through main)
        assert result.exit_code == 1, result.output
        assert not result.output.startswith("correct"), result.output


def with_cheat(class_dir, name, bend=False, folder="anna-lee"):
    """The student's unfixed model.py with the cheat `name` appended (and the cost bent to fit backward)."""
    model = class_dir / folder / "model.py"
    source = model.read_text()
    if bend:
        assert source.count(PENALTY) == 1
        source = source.replace(PENALTY, "return loss")
    model.write_text(source + "\n\n" + (CHEATS / f"{name}.py").read_text())
    return model


@pytest.fixture
def bendable(tmp_path):
    return one_bug_class(tmp_path, BENDABLE)


def test_the_cheats_are_real_model_files_that_keep_the_bug(bendable):
    for name in ("monkeypatch_grader", "forge_fd", "pickle_reduce", "swap_reference"):
        model = with_cheat(bendable, name)
        assert invoke("check", model).exit_code == 1  # outside the grader the cheat does nothing: still wrong
        model.write_text(model.read_text().split("\n\n# At import:")[0])


def test_monkeypatching_the_grader_in_sys_modules(bendable):
    with_cheat(bendable, "monkeypatch_grader")
    assert_never_correct(grade_marked(bendable))


def test_forging_the_result_through_an_inherited_pipe(bendable):
    with_cheat(bendable, "forge_fd")
    assert_never_correct(grade_marked(bendable))


def test_a_pickle_that_runs_code_in_the_parent(bendable, monkeypatch):
    monkeypatch.setenv("MUTAGRAD_CHEAT_RAN_IN_PARENT", "0")  # put back as it was after the test
    with_cheat(bendable, "pickle_reduce")
    results = grade_marked(bendable)
    assert os.environ["MUTAGRAD_CHEAT_RAN_IN_PARENT"] == "0"
    assert_never_correct(results)


def test_swapping_the_reference_and_bending_the_cost(bendable):
    with_cheat(bendable, "swap_reference", bend=True)
    assert_never_correct(grade_marked(bendable))


def test_bending_the_cost_alone_is_caught_by_the_comparison(bendable):
    model = bendable / "anna-lee" / "model.py"
    model.write_text(model.read_text().replace(PENALTY, "return loss"))
    assert invoke("check", model).exit_code == 0  # the check alone is fooled
    assert_never_correct(grade_marked(bendable))


def forge_exercise_file(folder, config):
    """The no-code cheat: decode .exercise.json, set another configuration, recompute the unkeyed checksum."""
    path = folder / EXERCISE_FILE
    box = json.loads(path.read_text())
    data = json.loads(zlib.decompress(base64.b64decode(box["payload"])))
    data["config"] = config.to_dict()
    box["payload"] = base64.b64encode(zlib.compress(json.dumps(data, sort_keys=True).encode())).decode()
    box["checksum"] = _checksum(box["payload"])
    path.write_text(json.dumps(box))


def test_no_code_at_all_a_configuration_where_the_bug_is_not_live(tmp_path):
    entry = load_catalog().get(CONFIG_BOUND)
    class_dir = one_bug_class(tmp_path, CONFIG_BOUND)
    folder = class_dir / "anna-lee"
    dead = next(c for c in CONFIGS if not suits(c, entry.requires))
    forge_exercise_file(folder, dead)
    (folder / "model.py").write_text(network_source(dead, entry.patch))  # only the configuration lines differ

    assert load(folder).config == dead  # the forged file loads: the self-check is fooled, and says what it is
    own = invoke("exercise", "grade", folder)
    assert own.exit_code == 0 and "a self-check" in own.output and "not a grade for marks" in own.output

    by_key, by_seal = grade_marked(class_dir)
    assert by_key.exit_code == 1 and by_key.output.startswith("wrong: the configuration lines changed")
    assert isinstance(by_seal.exception, MutagradError) and "seal does not match" in str(by_seal.exception)
    rows, _ = grade_class(class_dir, jobs=1)
    assert rows[0].result.value == "wrong" and rows[0].reason.startswith("the configuration lines changed")


def test_a_sealed_exercise_file_of_another_student_is_refused(tmp_path):
    class_dir = one_bug_class(tmp_path, CONFIG_BOUND, students=("Anna Lee", "Bo Chen"))
    own = invoke("exercise", "grade", class_dir / "anna-lee", "--key", class_dir / "instructor.key",
                 "--student", "anna  LEE")  # as a course site may spell it
    assert own.exit_code == 1 and own.output.startswith("wrong: the gradient check still fails")
    (class_dir / "anna-lee" / EXERCISE_FILE).write_text((class_dir / "bo-chen" / EXERCISE_FILE).read_text())
    result = invoke("exercise", "grade", class_dir / "anna-lee", "--key", class_dir / "instructor.key",
                    "--student", "Anna Lee")
    assert isinstance(result.exception, MutagradError)
    assert "sealed for 'Bo Chen', not for 'Anna Lee'" in str(result.exception)


def test_hiding_lambd_from_the_checker(bendable):
    model = with_cheat(bendable, "drop_hyperparameters")
    assert invoke("check", model).exit_code == 0  # the lambd probe is skipped: the check alone is fooled
    for result in grade_marked(bendable):
        assert result.exit_code == 1 and "must still take lambd" in result.output


@pytest.mark.parametrize("cheat", ["monkeypatch_grader", "forge_fd", "pickle_reduce"])
def test_process_cheats_in_a_class_graded_at_once(bendable, cheat, monkeypatch):
    monkeypatch.setenv("MUTAGRAD_CHEAT_RAN_IN_PARENT", "0")
    with_cheat(bendable, cheat)
    rows, _ = grade_class(bendable, jobs=1)
    assert os.environ["MUTAGRAD_CHEAT_RAN_IN_PARENT"] == "0"
    assert rows[0].result.value in ("wrong", "error"), rows[0]
