"""The Python API: mutagrad.check, mutagrad.check_file and the records' notebook display."""
import json
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner

import mutagrad
from mutagrad.cli import cli
from mutagrad.mlp import backward, forward, init_parameters, make_data

from helpers import EXAMPLES, TESTS  # noqa: E402


def backward_dW2_doubled(X, Y, cache, lambd=0.0, keep_prob=1.0):
    """The reference backward with one planted bug: dW2 scaled by 2."""
    grads = backward(X, Y, cache, lambd=lambd, keep_prob=keep_prob)
    grads["dW2"] = 2 * grads["dW2"]
    return grads


@pytest.fixture
def data():
    X, Y = make_data(seed=0)
    return X, Y, init_parameters(seed=0)


def test_check_passes_the_reference_network(data):
    X, Y, parameters = data
    result = mutagrad.check(forward, backward, parameters, X, Y)
    assert result.verdict is mutagrad.Verdict.PASS
    assert result.localized is None
    assert [c.name for c in result.components] == ["dW3", "db3", "dW2", "db2", "dW1", "db1"]


def test_check_localizes_a_planted_bug(data):
    X, Y, parameters = data
    result = mutagrad.check(forward, backward_dW2_doubled, parameters, X, Y)
    assert result.verdict is mutagrad.Verdict.FAIL
    assert result.localized == "dW2"
    assert result.failing == ("dW2",)
    assert "dW2" in result.hint


def test_check_leaves_the_callers_arrays_and_global_rng_alone(data):
    X, Y, parameters = data
    before = {k: v.copy() for k, v in parameters.items()}
    np.random.seed(7)
    expected_draw = np.random.rand()
    np.random.seed(7)
    mutagrad.check(forward, backward, parameters, X, Y)
    assert np.random.rand() == expected_draw
    for k, v in before.items():
        np.testing.assert_array_equal(parameters[k], v)


def test_check_pins_lambd_and_keep_prob(data):
    X, Y, parameters = data
    result = mutagrad.check(forward, backward, parameters, X, Y, lambd=0.3, keep_prob=0.9)
    assert [p.name for p in result.probes] == ["initial", "moved", "batch"]
    assert {(p.lambd, p.keep_prob) for p in result.probes} == {(0.3, 0.9)}


def test_the_seed_reaches_the_record(data):
    X, Y, parameters = data
    assert mutagrad.check(forward, backward, parameters, X, Y, seed=5).seed == 5


@pytest.mark.parametrize("option, value", [
    ("lambd", -1.0), ("keep_prob", 0.0), ("keep_prob", 1.5), ("seed", -1), ("seed", 1.5),
    ("method", "bogus"), ("mode", "bogus"), ("lambd", float("nan")), ("lambd", float("inf")), ("seed", 2 ** 32),
])
def test_a_bad_option_is_a_mutagrad_error_naming_it(data, option, value):
    X, Y, parameters = data
    with pytest.raises(mutagrad.MutagradError, match=f"^{option}="):
        mutagrad.check(forward, backward, parameters, X, Y, **{option: value})


@pytest.mark.parametrize("method", ["central", "complex-step"])
def test_the_method_reaches_the_checker(data, method):
    X, Y, parameters = data
    result = mutagrad.check(forward, backward_dW2_doubled, parameters, X, Y, method=method, mode="auto")
    assert result.method == method
    assert result.localized == "dW2"


@pytest.mark.parametrize("missing", ["parameters", "X", "Y"])
def test_missing_data_is_a_mutagrad_error_naming_it(data, missing):
    X, Y, parameters = data
    args = {"parameters": parameters, "X": X, "Y": Y, missing: None}
    with pytest.raises(mutagrad.MutagradError, match=f"{missing} is None"):
        mutagrad.check(forward, backward, **args)


def test_a_forward_that_is_not_a_function_is_a_mutagrad_error(data):
    X, Y, parameters = data
    with pytest.raises(mutagrad.MutagradError, match="forward is not a function"):
        mutagrad.check("forward", backward, parameters, X, Y)


def test_check_file_to_dict_is_the_cli_json():
    path = str(EXAMPLES / "buggy_model.py")
    result = mutagrad.check_file(path, seed=3)
    cli_run = CliRunner().invoke(cli, ["check", path, "--json", "--seed", "3"])
    assert cli_run.exit_code == 1
    from_cli = json.loads(cli_run.output)
    assert from_cli.pop("sandbox") in ("bwrap", "none") and from_cli.pop("output") is None  # where the file ran
    in_process = json.loads(json.dumps(result.to_dict()))
    assert (in_process.pop("sandbox"), in_process.pop("output")) == (None, None)
    assert from_cli == in_process
    assert result.localized == "dW2"


def test_check_file_takes_layers_as_a_list_or_text(tmp_path):
    source = (EXAMPLES / "course_model.py").read_text().replace("LAYER_DIMS = [4, 5, 3, 1]", "")
    model = tmp_path / "no_dims.py"
    model.write_text(source)
    assert mutagrad.check_file(model, layers=[4, 5, 3, 1]).verdict is mutagrad.Verdict.PASS
    assert mutagrad.check_file(model, layers="4,5,3,1").config["layer_dims"] == [4, 5, 3, 1]
    with pytest.raises(mutagrad.MutagradError, match="LAYER_DIMS"):
        mutagrad.check_file(model)


def test_check_file_of_a_missing_file_is_a_mutagrad_error(tmp_path):
    with pytest.raises(mutagrad.MutagradError, match="no such file"):
        mutagrad.check_file(tmp_path / "nope.py")


def test_repr_names_verdict_and_localized_component():
    text = repr(mutagrad.check_file(EXAMPLES / "buggy_model.py"))
    assert "fail" in text and "dW2" in text


def test_str_is_the_table_mutagrad_check_prints(monkeypatch):
    from mutagrad.report.check_text import plain_text

    monkeypatch.setenv("COLUMNS", "80")
    result = mutagrad.check_file(EXAMPLES / "buggy_model.py")
    text = str(result)
    assert text == plain_text(result, width=80).rstrip("\n")
    assert "component" in text and "dW2 <-" in text
    assert "FAIL  localized: dW2" in text and max(len(line) for line in text.splitlines()) <= 80


class Rows(HTMLParser):
    """The cells' text of each table-body row, and the status classes in it."""

    def __init__(self):
        super().__init__()
        self.rows, self.classes, self.in_body = [], [], False

    def handle_starttag(self, tag, attrs):
        status = {c for c in (dict(attrs).get("class") or "").split() if c.startswith("mutagrad-")}
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
            self.classes.append(set())
        elif self.in_body and tag == "td":
            self.rows[-1].append("")
        elif self.in_body and status:
            self.classes[-1] |= status

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def test_notebook_html_is_a_table_with_coloured_statuses_and_the_localized_row_marked():
    result = mutagrad.check_file(EXAMPLES / "buggy_model.py")
    html = Rows()
    html.feed(result._repr_html_())
    names = [row[0].split()[0] for row in html.rows]
    assert names == [c.name for c in result.components]
    assert html.classes == [{f"mutagrad-{c.status.value}"} for c in result.components]
    marked = [row[0] for row in html.rows if "first wrong" in row[0]]
    assert [m.split()[0] for m in marked] == [result.localized]


def test_notebook_html_escapes_the_text_it_shows():
    comp = mutagrad.ComponentResult(name="dW1", status=mutagrad.Verdict.FAIL, rel_error=0.5,
                                    message="<script>alert(1)</script> & more")
    result = mutagrad.CheckResult(verdict=mutagrad.Verdict.FAIL, localized="dW1", components=(comp,),
                                  probes=(), hint="a < b")
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "a &lt; b" in html


PLANTED_CATALOG = """
- id: doubled-db-output
  title: db of the output layer doubled
  category: planted
  description: The output layer's db is twice the true gradient.
  hint: Compare db with the mean of dZ over the examples.
  components: ['db{L}']
  patch:
    function: backward
    find: 'np.sum(dZL, axis=1, keepdims=True) / m'
    replace: '2 * np.sum(dZL, axis=1, keepdims=True) / m'
"""


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = tmp_path_factory.mktemp("catalog")
    (folder / "planted.yaml").write_text(PLANTED_CATALOG)
    return mutagrad.run_catalog(folder, jobs=1)


@pytest.mark.slow
def test_run_catalog_checks_the_planted_bug_blind_and_localizes_it(campaign):
    assert isinstance(campaign, mutagrad.RunResult)
    assert [m.id for m in campaign.mutants] == ["doubled-db-output"]
    assert campaign.gate.passed
    assert campaign.mutants[0].detected and campaign.mutants[0].localized_correctly
    assert "detected=1/1" in repr(campaign)


@pytest.mark.slow
def test_run_html_has_a_heatmap_row_per_mutant_and_for_the_reference(campaign):
    html = Rows()
    html.feed(campaign._repr_html_())
    heat = {row[0]: (row, classes) for row, classes in zip(html.rows, html.classes)
            if row[0] in {m.id for m in campaign.mutants} or row[0].startswith("reference")}
    mutant = campaign.mutants[0]
    row, classes = heat[mutant.id]
    assert classes == {f"mutagrad-{mutant.outcome.value}"}
    assert sum(cell == "\N{BLACK CIRCLE}" for cell in row) == 1  # one localized component
    reference = next(v for k, v in heat.items() if k.startswith("reference"))
    assert f"({len(campaign.reference)} runs)" in reference[0][0]


@pytest.mark.slow
def test_run_result_to_dict_is_the_cli_report_json(campaign, tmp_path):
    cli_run = CliRunner().invoke(cli, ["run", "--all", "--catalog", campaign.catalog, "--jobs", "1",
                                       "--out", str(tmp_path), "--quiet"])
    assert cli_run.exit_code == campaign.exit_code
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == json.loads(json.dumps(campaign.to_dict()))


@pytest.mark.parametrize("options, named", [
    ({"category": "no-such-category"}, "no-such-category"), ({"ids": ["no-such-id"]}, "no-such-id"),
    ({"jobs": 0}, "jobs="), ({"timeout": -1}, "timeout="), ({"memory_mb": 0.5}, "memory_mb="),
    ({"timeout": float("inf")}, "timeout="), ({"timeout": float("nan")}, "timeout="),
    ({"seed": 2 ** 32 - 2}, "seed="),
])
def test_run_catalog_rejects_a_bad_selection_before_running(options, named):
    with pytest.raises(mutagrad.MutagradError, match=named):
        mutagrad.run_catalog(**options)


@pytest.mark.slow
def test_run_catalog_timeout_records_a_hanging_mutant():
    hostile = TESTS / "hostile" / "hostile.yaml"
    result = mutagrad.run_catalog(hostile, ids=["hostile-infinite-loop"], jobs=1, timeout=1.0)
    assert [m.outcome.value for m in result.mutants] == ["timeout"]
    assert result.exit_code == 1
