"""`mutagrad check FILE`: exit codes, JSON and the one-line errors (click's CliRunner)."""
import json

import pytest
from helpers import invoke, run_main

from helpers import EXAMPLES, ROOT  # noqa: E402


def test_correct_model_passes_with_exit_0():
    result = invoke("check", str(EXAMPLES / "course_model.py"))
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output


def test_buggy_model_fails_with_exit_1_and_names_the_component():
    result = invoke("check", str(EXAMPLES / "buggy_model.py"))
    assert result.exit_code == 1
    assert "localized: dW2" in result.output
    assert "hint: dW2 is the first wrong gradient" in result.output


def test_json_output_has_verdict_localized_and_components_in_backprop_order():
    result = invoke("check", str(EXAMPLES / "buggy_model.py"), "--json")
    data = json.loads(result.output)
    assert data["verdict"] == "fail"
    assert data["localized"] == "dW2"
    assert [c["name"] for c in data["components"]] == ["dW3", "db3", "dW2", "db2", "dW1", "db1"]
    assert {"name", "rel_error", "status"} <= set(data["components"][0])
    assert data["components"][2]["status"] == "fail"


def test_reference_module_is_itself_a_model_file():
    result = invoke("check", str(ROOT / "mutagrad" / "mlp.py"), "--json")
    assert result.exit_code == 0
    assert [p["name"] for p in json.loads(result.output)["probes"]] == ["initial", "moved", "lambd", "dropout", "lambd+dropout", "batch"]


def test_layers_option_overrides_layer_dims(tmp_path):
    source = (EXAMPLES / "course_model.py").read_text().replace("LAYER_DIMS = [4, 5, 3, 1]", "")
    f = tmp_path / "nodims.py"
    f.write_text(source)
    assert invoke("check", str(f), "--layers", "4,5,3,1").exit_code == 0


def test_pinned_options_are_used():
    data = json.loads(invoke("check", str(ROOT / "mutagrad" / "mlp.py"), "--json", "--lambd", "0.2",
                          "--keep-prob", "0.9", "--seed", "3").output)
    assert [p["name"] for p in data["probes"]] == ["initial", "moved", "batch"]
    assert all(p["lambd"] == 0.2 and p["keep_prob"] == 0.9 for p in data["probes"])
    assert data["seed"] == 3


BAD_INPUT = [
    (["check", "no/such/file.py"], "no/such/file.py: no such file"),
    (["check", "EXAMPLE", "--keep-prob", "1.5"], "must be in (0, 1]"),
    (["check", "EXAMPLE", "--lambd", "-1"], "must be >= 0"),
    (["check", "EXAMPLE", "--layers", "4,x"], "--layers '4,x': expected whole numbers"),
    (["check", "EXAMPLE", "--layers", "4,5"], "forward looked up 'W2'"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    files = {"EXAMPLE": str(EXAMPLES / "course_model.py"), "MLP": str(ROOT / "mutagrad" / "mlp.py")}
    args = [files.get(a, a) for a in args]
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


MODEL_FILE_ERRORS = [
    ("import numpy as np\nLAYER_DIMS = [2, 1]\ndef backward(X, Y, cache): pass\n", "defines no forward function"),
    ("LAYER_DIMS = [2, 1]\ndef forward(X, Y, p): pass\n", "defines no backward function"),
    ("def forward(X, Y, p): pass\ndef backward(X, Y, c): pass\n", "defines no LAYER_DIMS"),
    ("LAYER_DIMS = [2, 1]\ndef forward(X): pass\ndef backward(X, Y, c): pass\n", "must take (X, Y, parameters"),
    ("LAYER_DIMS = [2, 1]\ndef forward(X, Y, p)\n", ":2: syntax error"),
    ("LAYER_DIMS = [2, 1]\nraise RuntimeError('boom')\n", ":2: loading the file raised RuntimeError: boom"),
    ("import numpy as np\nLAYER_DIMS = [2, 1]\ndef forward(X, Y, p): return np.ones(3), None\n"
     "def backward(X, Y, c): return {}\n", "expected a scalar"),
    ("import numpy as np\nLAYER_DIMS = [2, 1]\ndef forward(X, Y, p): return np.nan, None\n"
     "def backward(X, Y, c): return {}\n", "forward returned a cost of nan"),
    ("import numpy as np\nLAYER_DIMS = [2, 1]\ndef forward(X, Y, p): return 1.0, None\n"
     "def backward(X, Y, c): return [1]\n", "backward must return a dict"),
]


@pytest.mark.parametrize("source,message", MODEL_FILE_ERRORS)
def test_broken_model_files_are_one_line_errors(capsys, tmp_path, source, message):
    f = tmp_path / "model.py"
    f.write_text(source)
    code, _, err = run_main(capsys, "check", str(f))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


# --- what the model file prints ------------------------------------------------------------------

def test_json_is_exactly_one_object_and_the_files_prints_go_into_it():
    result = invoke("check", str(ROOT / "tests" / "models" / "chatty_model.py"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)  # the whole of stdout: nothing the model printed is mixed in
    assert data["verdict"] == "pass"
    assert data["output"].startswith("loading the chatty model\nforward called")
    assert len(data["output"]) < 5000 and data["output"].rstrip().endswith("more bytes)")  # truncated
    assert data["sandbox"] in ("bwrap", "none")


def test_text_mode_shows_the_files_output_after_the_table():
    result = invoke("check", str(ROOT / "tests" / "models" / "chatty_model.py"))
    assert result.exit_code == 0
    table, _, rest = result.output.partition("output of the model file:")
    assert "PASS" in table and "forward called" not in table
    assert rest.lstrip().startswith("loading the chatty model")


def test_check_forks_its_worker_before_numpy_is_imported():
    # `mutagrad check` overlaps the server's start with the worker's imports: the parent reaches the
    # fork with neither numpy nor the checker imported (a module-level import would undo it).
    import subprocess
    import sys
    code = ("import sys; import mutagrad.cli; from mutagrad.cli import check; import mutagrad.check.sandboxed; "
            "sys.modules['mutagrad.cli'].cli.get_command(None, 'check'); "
            "print(sorted(m for m in ('numpy', 'mutagrad.check.protocol', 'mutagrad.execution.remote') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
