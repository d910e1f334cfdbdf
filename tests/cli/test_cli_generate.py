"""`mutagrad generate operators`: bad options as one line and exit 2; files deterministic and runnable."""
import json

import pytest
from helpers import EXAMPLES, TESTS, run_main

COURSE = TESTS / "models" / "dropout_course.py"


@pytest.mark.parametrize("args, message", [
    (["--operators", "nope"], "--operators"),
    (["--functions", "no_such_function"], "--functions: no_such_function not defined"),
    (["--functions", ","], "--functions"),
    (["--file", "missing_model.py"], "missing_model.py: no such file"),
    (["--file", EXAMPLES / "buggy_model.py"], "buggy_model.py: backward's dW2 differs from autograd's gradient"),
])
def test_bad_option_is_one_line_and_exit_2(capsys, tmp_path, args, message):
    code, _, err = run_main(capsys, "generate", "operators", "--out", tmp_path / "out", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_model_file_that_exits_while_loading_is_one_line_and_exit_2(capsys, tmp_path):
    """The file runs only in the sandbox: its sys.exit() there is the error's message, not our exit."""
    model = tmp_path / "model.py"
    model.write_text(COURSE.read_text().replace("LAYER_DIMS = [3, 4, 2, 1]\n", "LAYER_DIMS = [3, 4, 2, 1]\n"
                                                "import sys; sys.exit(7)\n", 1))
    code, _, err = run_main(capsys, "generate", "operators", "--file", model, "--out", tmp_path / "out",
                            "--sandbox", "none")
    assert code == 2 and "sys.exit(7)" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_a_model_file_gives_the_same_files_twice(capsys, tmp_path):
    """The same source and options give byte-identical entries (whatever --jobs)."""
    outputs = []
    for jobs, out in ((1, tmp_path / "a"), (2, tmp_path / "b")):
        code, text, _ = run_main(capsys, "generate", "operators", "--file", COURSE, "--functions",
                                 "backward_propagation_n", "--operators", "number,transpose",
                                 "--jobs", jobs, "--out", out)
        assert code == 0, text
        outputs.append({f.name: f.read_bytes() for f in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
    info = json.loads(outputs[0]["classification.json"])
    assert info["target"] == str(COURSE)
    assert info["operators"]["transpose"]["invalid"] == 5  # no square layer: every missing .T breaks a shape
    assert info["operators"]["number"]["bug"] >= 4 and set(outputs[0]) == {"number.yaml", "classification.json"}


@pytest.mark.slow
def test_mlp_mutants_run_unchanged_in_mutagrad_run(capsys, tmp_path):
    """Entries in the catalog's schema: `mutagrad run --catalog` and `show` take them as they are."""
    out = tmp_path / "ops"
    code, text, _ = run_main(capsys, "generate", "operators", "--functions", "backward",
                             "--operators", "transpose,axis", "--jobs", 2, "--out", out)
    assert code == 0, text
    assert "gradient-bug" in text and f"mutagrad run --all --catalog {out}" in text
    code, text, err = run_main(capsys, "run", "--all", "--catalog", out, "--out", tmp_path / "reports", "-q")
    assert code == 0, text + err  # every gradient bug detected and localized, no false alarm
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["summary"]["detection_rate"] == 1.0 and report["summary"]["false_alarms"] == 0
    entry_id = report["mutants"][0]["id"]
    code, text, _ = run_main(capsys, "show", "--catalog", out, entry_id)
    assert code == 0 and "Operator mutant" in text and "+++ b/mutagrad/mlp.py" in text
