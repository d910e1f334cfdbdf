"""`mutagrad check` on files hiding each protocol hole, the inconclusive exit code, and input mistakes."""
import json

import pytest
from helpers import EXAMPLES, ROOT, TESTS, invoke, run_main

MODELS = TESTS / "models"


@pytest.mark.parametrize("name,localized,probe", [
    ("hole_lambd_with_dropout.py", "dW2", "lambd+dropout"),
    ("hole_redrawn_masks.py", "dW2", "dropout"),
    ("hole_fixed_batch.py", "dW3", "batch"),
])
def test_a_file_hiding_a_hole_fails_and_is_localized(name, localized, probe):
    result = invoke("check", MODELS / name, "--json")
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert (data["verdict"], data["localized"], data["exposed_by"]) == ("fail", localized, probe)
    assert next(c for c in data["components"] if c["name"] == localized)["probe"] == probe


@pytest.mark.slow
def test_inconclusive_exits_3_with_its_own_verdict_unless_accepted():
    result = invoke("check", MODELS / "hole_unpinned_rng.py", "--json")
    assert result.exit_code == 3
    assert json.loads(result.output)["verdict"] == "inconclusive"
    text = invoke("check", MODELS / "hole_unpinned_rng.py")
    assert text.exit_code == 3 and "INCONCLUSIVE" in text.output
    assert invoke("check", MODELS / "hole_unpinned_rng.py", "--accept-inconclusive").exit_code == 0


def test_the_probe_column_is_blank_for_passes():
    data = json.loads(invoke("check", MODELS / "hole_fixed_batch.py", "--json").output)
    assert all(c["probe"] == "" for c in data["components"] if c["status"] == "pass")


@pytest.mark.parametrize("option,value", [("--lambd", "0.5"), ("--keep-prob", "0.5")])
def test_an_option_the_functions_do_not_take_is_bad_input(capsys, option, value):
    code, _, err = run_main(capsys, "check", EXAMPLES / "course_model.py", option, value)
    assert code == 2 and option in err and len(err.strip().splitlines()) == 1


def course_model_with(tmp_path, find, replace):
    source = (MODELS / "dropout_course.py").read_text()
    assert find in source
    f = tmp_path / "model.py"
    f.write_text(source.replace(find, replace))
    return f


def test_layer_dims_that_disagree_with_the_code_name_the_keys(capsys, tmp_path):
    f = course_model_with(tmp_path, "LAYER_DIMS = [3, 4, 2, 1]", "LAYER_DIMS = [3, 4, 1]")
    code, _, err = run_main(capsys, "check", f)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "'W3'" in err and "W1, W2, b1, b2" in err and "Traceback" not in err


def test_misspelled_gradient_keys_name_the_keys_got_and_expected(capsys, tmp_path):
    f = course_model_with(tmp_path, 'return {"dW1": dW1', 'return {"dw1": dW1')
    code, _, err = run_main(capsys, "check", f)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "dw1" in err and "missing: dW1" in err


def test_layers_reach_the_reference_init_parameters():
    result = invoke("check", ROOT / "mutagrad" / "mlp.py", "--layers", "6,5,4,3", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert data["config"]["layer_dims"] == [6, 5, 4, 3] and data["verdict"] == "pass"


@pytest.mark.parametrize("args", [["--keep-prob", "0.5"], ["--keep-prob", "7"], ["--layers", "4,x"]])
def test_with_json_a_bad_input_is_one_json_object_plus_one_line(capsys, args):
    code, out, err = run_main(capsys, "check", EXAMPLES / "course_model.py", "--json", *args)
    assert code == 2 and len(err.strip().splitlines()) == 1
    data = json.loads(out)
    assert data["verdict"] == "error" and data["error"] in err
