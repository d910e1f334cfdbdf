"""The instructor's key: answer key rows and sealed exercise files decide a grade for marks."""
import json

import pytest
from helpers import invoke, run_main

from mutagrad.classroom.answer_key import (
    KEY_COLUMNS,
    SECRET_FILE,
    class_secret,
    find_row,
    read_key,
    read_secret,
    seal,
    unseal,
)
from mutagrad.classroom.class_set import make_class
from mutagrad.classroom.exercise import EXERCISE_FILE, load, network_source
from mutagrad.errors import MutagradError


@pytest.fixture(scope="module")
def two_students(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    (root / "roster.txt").write_text("Anna Lee\nBo Chen\n")
    make_class(root / "roster.txt", root / "class", seed=4)
    return root / "class"


def test_the_answer_key_rows_are_the_exercises_handed_out(two_students):
    rows = read_key(two_students)
    assert [r.folder for r in rows] == ["anna-lee", "bo-chen"]
    for row in rows:
        handed_out = load(two_students / row.folder)
        assert (row.exercise.mutant_id, row.exercise.config, row.exercise.components, row.exercise.seed) == (
            handed_out.mutant_id, handed_out.config, handed_out.components, handed_out.seed)
    assert find_row(rows, "Bo Chen", "here").folder == find_row(rows, "bo-chen", "here").folder == "bo-chen"
    with pytest.raises(MutagradError, match="here: no student or folder 'Cy' in the answer key"):
        find_row(rows, "Cy", "here")


def test_every_sealed_exercise_unseals_with_the_class_secret_only(two_students, tmp_path):
    secret = class_secret(two_students)
    for row in read_key(two_students):
        assert unseal(two_students / row.folder, secret) == load(two_students / row.folder)
    other = class_secret(tmp_path, create=True)
    assert other != secret and class_secret(tmp_path, create=True) == other  # made once, then kept
    with pytest.raises(MutagradError, match="seal does not match"):
        unseal(two_students / "anna-lee", other)


def test_a_seal_covers_every_byte_of_the_payload():
    secret = bytes(32)
    assert seal(secret, "abc") != seal(secret, "abd") and len(seal(secret, "abc")) == 64


def test_an_unsealed_or_forged_exercise_file_is_refused(two_students, tmp_path):
    box = json.loads((two_students / "anna-lee" / EXERCISE_FILE).read_text())
    del box["seal"]
    (tmp_path / EXERCISE_FILE).write_text(json.dumps(box))
    with pytest.raises(MutagradError, match="carries no instructor's seal"):
        unseal(tmp_path, class_secret(two_students))
    with pytest.raises(MutagradError, match="no such file"):
        unseal(tmp_path / "nowhere", class_secret(two_students))


def test_a_broken_answer_key_is_one_line_naming_file_and_line(tmp_path):
    key = tmp_path / "answer_key.csv"
    key.write_text("student,folder\nAnna,anna\n")
    with pytest.raises(MutagradError, match=r"answer_key.csv:1: not an answer key: no column 'mutant_id'"):
        read_key(key)
    row = "Anna Lee,anna-lee,transposed-dw,dW1,shapes,easy,relu-sigmoid"
    key.write_text(",".join(KEY_COLUMNS) + f"\n{row}\n{row}\n")
    with pytest.raises(MutagradError, match=r"answer_key.csv:3: folder 'anna-lee' again \(line 2\)"):
        read_key(key)
    key.write_text(",".join(KEY_COLUMNS) + "\n" + row.replace("relu-sigmoid", "huge") + "\n")
    with pytest.raises(MutagradError, match=r"answer_key.csv:2: field 'config': unknown configuration 'huge'"):
        read_key(key)
    key.write_text(",".join(KEY_COLUMNS) + "\n" + row.replace("transposed-dw", "") + "\n")
    with pytest.raises(MutagradError, match=r"answer_key.csv:2: field 'mutant_id' is empty"):
        read_key(key)
    (tmp_path / SECRET_FILE).write_text("not hex\n")
    with pytest.raises(MutagradError, match="not an instructor key"):
        read_secret(tmp_path / SECRET_FILE)


@pytest.mark.slow
def test_grade_with_the_key_names_the_student_from_the_folder_or_the_option(two_students, tmp_path, capsys):
    folder = two_students / "anna-lee"
    handed_out = (folder / "model.py").read_text()
    (folder / "model.py").write_text(network_source(load(folder).config))  # a correct network
    try:
        for extra in ([], ["--student", "Anna Lee"]):
            result = invoke("exercise", "grade", folder, "--key", two_students / "answer_key.csv", *extra)
            assert result.exit_code == 0 and result.output.startswith("correct") and "self-check" not in result.output
        code, _, err = run_main(capsys, "exercise", "grade", folder, "--key", two_students, "--student", "Cy")
        assert code == 2 and "no student or folder 'Cy'" in err and len(err.strip().splitlines()) == 1
        own = invoke("exercise", "grade", folder)
        assert own.exit_code == 0 and "note: a self-check" in own.output
    finally:
        (folder / "model.py").write_text(handed_out)
