"""`mutagrad run --catalog` on operator mutants of a user's model file: planted in that file, checked blind."""
import json
import shutil

import pytest
import yaml
from helpers import EXAMPLES, TESTS, run_main

from mutagrad.campaign import runner
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.checkers import resolve
from mutagrad.campaign.file_target import FILE_CONFIG, digest
from mutagrad.campaign.mutate import mutant_source
from mutagrad.campaign.operators import OPERATORS
from mutagrad.campaign.operators.pipeline import write
from mutagrad.campaign.operators.sandboxed import generate_file
from mutagrad.errors import CatalogError
from mutagrad.records.campaign import Outcome

DROPOUT_MODEL = TESTS / "models" / "dropout_course.py"  # lambd and dropout: every probe of the protocol
NUMBER = tuple(op for op in OPERATORS if op.name == "number")


def generate(model, out, functions=("backward_propagation_n",), operators=NUMBER):
    """Operator mutants of `model` written to `out`, as `mutagrad generate operators --file` writes them."""
    write(generate_file(model, functions, operators, jobs=1), out)
    return out


@pytest.fixture(scope="module")
def dropout_ops(tmp_path_factory):
    """A copy of the dropout model and its number mutants (forward and backward) beside it."""
    root = tmp_path_factory.mktemp("file-target")
    shutil.copy(DROPOUT_MODEL, root / "model.py")
    return generate(root / "model.py", root / "ops", ("forward_propagation_n", "backward_propagation_n"))


def copy_of(ops, tmp_path):
    """The model and its catalog copied together (the catalog names the model by a relative path)."""
    shutil.copytree(ops.parent, tmp_path / "copy")
    return tmp_path / "copy" / "ops"


def test_generated_files_name_their_target_by_path_and_digest(dropout_ops):
    data = yaml.safe_load((dropout_ops / "number.yaml").read_text())
    assert data["target"] == {"file": "../model.py", "sha256": digest((dropout_ops.parent / "model.py").read_bytes()),
                              "layer_dims": [3, 4, 2, 1]}
    catalog = load_catalog(dropout_ops)
    assert catalog.target.path == str((dropout_ops.parent / "model.py").resolve())
    assert {e.configs() for e in catalog.entries} == {(catalog.target.config,)}
    assert catalog.target.config.name == FILE_CONFIG and catalog.target.config.layer_dims == (3, 4, 2, 1)


def test_file_mutants_are_detected_and_localized(dropout_ops):
    """A mutant live only with λ > 0 and one in backward, each planted in the file and checked blind."""
    catalog = load_catalog(dropout_ops).entries
    lambd = next(e for e in catalog if e.requires.lambd)
    other = next(e for e in catalog if e.patch[0].function == "backward_propagation_n" and e.components != lambd.components)
    for entry in (lambd, other):
        mutant = runner.run_mutant(entry)
        assert mutant.outcome is Outcome.DETECTED and mutant.localized_correctly, (mutant.id, mutant.runs)
        assert [r.config for r in mutant.runs] == [FILE_CONFIG]


def test_the_gate_passes_the_unpatched_file_and_fails_its_doubled_gradients(dropout_ops):
    target = load_catalog(dropout_ops).target
    gate = runner.sanity_gate(1, target.config, target=target)
    assert gate.passed and gate.reference.verdict.value == "pass" and gate.reference.seed == 1
    assert gate.forced_fail.localized == "dW3"  # every gradient doubled: the first in backprop order fails
    assert "backward doubled" in gate.broken  # what report.md says the gate broke


def test_the_gate_fails_a_checker_blind_to_the_files_doubled_gradients(dropout_ops, tmp_path):
    """The forced fail needs no patch of the file: a checker that passes everything is caught by it."""
    blind = tmp_path / "blind.py"
    blind.write_text("def check(forward, backward, parameters, X, Y):\n    return True\n")
    target = load_catalog(dropout_ops).target
    with pytest.raises(runner.SanityGateError, match="every gradient of its backward doubled"):
        runner.sanity_gate(0, target.config, resolve(f"{blind}:check"), target=target)


def test_show_diffs_against_the_target_file(capsys, dropout_ops):
    entry = load_catalog(dropout_ops).entries[0]
    code, text, _ = run_main(capsys, "show", "--catalog", dropout_ops, entry.id)
    assert code == 0 and "--- a/model.py" in text and "+++ b/model.py" in text
    lines = text.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert removed and added and removed != added
    assert set(removed) <= set((dropout_ops.parent / "model.py").read_text().splitlines())
    assert set(added) <= set(mutant_source(entry).splitlines())


def test_changed_target_file_is_one_line_and_exit_2(capsys, dropout_ops, tmp_path):
    ops = copy_of(dropout_ops, tmp_path)
    model = ops.parent / "model.py"
    model.write_text(model.read_text() + "\n# edited\n")
    for command in (("run", "--all", "--out", tmp_path / "r"), ("list",)):
        code, _, err = run_main(capsys, *command, "--catalog", ops)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert "number.yaml:3: field 'target.sha256'" in err and "changed since its mutants were generated" in err


def test_missing_target_file_is_one_line_and_exit_2(capsys, dropout_ops, tmp_path):
    ops = copy_of(dropout_ops, tmp_path)
    (ops.parent / "model.py").unlink()
    code, _, err = run_main(capsys, "run", "--all", "--catalog", ops, "--out", tmp_path / "r")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "number.yaml:2: field 'target.file'" in err and "model.py: no such file" in err


def test_bad_target_header_names_line_and_field(dropout_ops, tmp_path):
    ops = copy_of(dropout_ops, tmp_path)
    path = ops / "number.yaml"
    path.write_text(path.read_text().replace("sha256: ", "sha256: x", 1))
    with pytest.raises(CatalogError, match=r"number\.yaml:3: field 'target.sha256': 'x"):
        load_catalog(ops)


def test_a_catalog_mixing_targets_is_refused(dropout_ops, tmp_path):
    ops = copy_of(dropout_ops, tmp_path)
    shutil.copy(TESTS.parent / "mutants" / "shapes.yaml", ops / "shapes.yaml")
    with pytest.raises(CatalogError, match=r"shapes\.yaml: its entries patch mutagrad/mlp\.py, those of .*number"
                                           r"\.yaml patch model\.py: a catalog holds one file's mutants"):
        load_catalog(ops)


@pytest.mark.slow
def test_course_model_mutants_through_the_cli(capsys, tmp_path):
    """generate, run, resume and show on examples/course_model.py, as a user would."""
    shutil.copy(EXAMPLES / "course_model.py", tmp_path / "course_model.py")
    ops = tmp_path / "ops"
    code, text, err = run_main(capsys, "generate", "operators", "--file", tmp_path / "course_model.py",
                               "--functions", "backward_propagation_n", "--operators", "number,comparison,unary-sign",
                               "--jobs", 2, "--out", ops)
    assert code == 0, text + err
    reports = tmp_path / "reports"
    code, text, err = run_main(capsys, "run", "--all", "--catalog", ops, "--out", reports, "-q", "-j", 2)
    assert code == 0, text + err
    report = json.loads((reports / "report.json").read_text())
    summary = report["summary"]
    assert summary["detectable"] >= 10 and summary["detection_rate"] == 1.0 and summary["localization_rate"] == 1.0
    assert summary["false_alarms"] == 0 and summary["reference_runs"] == 3
    assert "a deliberately broken gradient (every gradient of its backward doubled) is caught" in \
        (reports / "report.md").read_text()
    mutation = json.loads((reports / "mutation-report.json").read_text())
    assert list(mutation["files"]) == ["course_model.py"]
    code, text, err = run_main(capsys, "run", "--all", "--catalog", ops, "--out", reports, "-q", "--resume")
    assert code == 0, text + err
    assert json.loads((reports / "report.json").read_text())["mutants"] == report["mutants"]


def test_a_patch_that_does_not_apply_names_the_target_file(dropout_ops, tmp_path):
    ops = copy_of(dropout_ops, tmp_path)
    path = ops / "number.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"][0]["patch"]["find"] = "no such text"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CatalogError, match=r"field 'patch.find': find text 'no such text' does not occur in "
                                           r"\w+\(\) of model\.py"):
        load_catalog(ops)
