"""reports/report.html: one self-contained page with the summary, the plots and every mutant's diff."""
import base64
import io
import json
import math
import re

import pytest
from click.testing import CliRunner
from PIL import Image

from mutagrad.campaign.catalog import load_catalog
from mutagrad.cli import cli
from mutagrad.report.html import heatmap_rows, render_html, write_html
from mutagrad.campaign.runner import run_campaign
from mutagrad.records.campaign import ComponentScore, ConfigRun, Expect, GateResult, MutantResult, Outcome, RunResult
from mutagrad.records.check import Verdict

pytestmark = pytest.mark.slow  # every test here reads a campaign run for this module
IDS = ("transposed-dw", "forgotten-dropout-mask", "db-without-keepdims", "dropout-removed-consistently")


@pytest.fixture(scope="module")
def campaign():
    catalog = load_catalog()
    return run_campaign(catalog.select(IDS), seed=0, jobs=1), catalog.details()


def images(html: str) -> dict[str, Image.Image]:
    """Every inlined <img> by id, decoded."""
    found = re.findall(r'<img id="(\w+)"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return {name: Image.open(io.BytesIO(base64.b64decode(data))) for name, data in found}


def test_the_page_is_self_contained(campaign):
    html = render_html(*campaign)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"(src|href)=\"(?!data:)", html)  # nothing to fetch: every image is a data: URI
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html


def test_the_summary_and_the_plots(campaign):
    html = render_html(*campaign)
    assert "detection rate</th><td>3/3 (100%)" in html and "false alarms</th><td>0 (" in html
    shown = images(html)
    assert set(shown) == {"heatmap", "categories"}
    for image in shown.values():
        assert image.format == "PNG" and image.width > 300 and image.height > 150
        assert len(image.convert("RGB").getcolors(1 << 16) or ()) > 20  # drawn, not blank


def test_the_heatmap_marks_where_each_bug_was_localized(campaign):
    result, _ = campaign
    labels, columns, values, marked, missing = heatmap_rows(result)
    assert labels[:-1] == [m.id for m in result.mutants] and labels[-1].startswith("reference (")
    assert columns[:4] == ["dW{L}", "db{L}", "dW{L-1}", "db{L-1}"]
    for i, m in enumerate(result.mutants):
        cells = {columns[j] for row, j in marked if row == i}
        assert cells == ({"dW{L-1}"} if m.id in ("transposed-dw", "forgotten-dropout-mask") else
                         {"db{L-1}"} if m.id == "db-without-keepdims" else set())
    row = labels.index("db-without-keepdims")
    assert (row, columns.index("db{L-1}")) in missing  # a wrongly shaped gradient: no relative error
    assert all(math.isnan(v) or 1e-12 <= v <= 1 for r in values for v in r)


def test_every_mutant_has_its_diff_and_diagnosis_in_a_collapsible_block(campaign):
    html = render_html(*campaign)
    for mutant_id in IDS:
        block = re.search(rf'<details id="mutant-{mutant_id}">(.*?)</details>', html, re.DOTALL)
        assert block, mutant_id
        assert '<span class="del">-' in block.group(1)  # every one of these patches removes a line
    dropout = re.search(r'<details id="mutant-forgotten-dropout-mask">(.*?)</details>', html, re.DOTALL).group(1)
    assert "dA = dA / keep_prob" in dropout and "dropout</td>" in dropout  # the diff, and the probe that exposed it
    assert "not a gradient bug" in html


def test_the_sensitivity_plot_is_included_when_it_exists(campaign, tmp_path):
    result, catalog = campaign
    assert 'id="sensitivity"' not in write_html(result, tmp_path, catalog).read_text()
    summary = {"deltas": [1e-1, 1e-2, 1e-3],
               "methods": {"noise-aware": {"false_alarms": 0, "kinds": {k: {"rates": [1.0, 1.0, 0.5]}
                                                                        for k in ("scale", "term", "shift")}}}}
    (tmp_path / "sensitivity.json").write_text(json.dumps(summary))
    drawn = images(write_html(result, tmp_path, catalog).read_text())  # from the JSON alone
    assert drawn["sensitivity"].width > 300
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, format="PNG")
    (tmp_path / "sensitivity.png").write_bytes(png.getvalue())
    assert images(write_html(result, tmp_path, catalog).read_text())["sensitivity"].size == (40, 30)


def test_mutagrad_run_writes_report_html(tmp_path):
    result = CliRunner().invoke(cli, ["run", "transposed-dw", "--out", str(tmp_path), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text()
    assert "report.html" in result.output and 'id="mutant-transposed-dw"' in html and "heatmap" in html


# --- the standard viewer, and a report that hides nothing ------------------------------------

def _viewer_page(campaign):
    from mutagrad.campaign.locations import patch_locations
    from mutagrad.campaign.mutate import reference_source
    from mutagrad.report.mutation_report import mutation_report

    result, details = campaign
    report = mutation_report(result, reference_source(), patch_locations(load_catalog().select(IDS)))
    return render_html(result, details, mutation_report=report), report


def test_the_viewer_is_inlined_and_nothing_is_fetched(campaign):
    from mutagrad.report.html_viewer import bundle

    html, report = _viewer_page(campaign)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 3 and scripts[1] == bundle()  # route to the file, the vendored bundle, the data
    assert '"mutant/mlp.py"' in scripts[0].replace("#", "")
    data = scripts[2].split(".report = ", 1)[1].rstrip(";")
    assert json.loads(data) == report
    outside = html.replace(scripts[1], "")
    assert not re.search(r"(src|href)=\"(?!data:|#)", outside) and "<link" not in outside and "@import" not in outside
    assert "<mutation-test-report-app" in html


def _score(name, status, rel):
    return ComponentScore(name, status, rel, 1.0 if status is Verdict.PASS else -1.0, "initial")


def _hidden_problems() -> RunResult:
    passing = ConfigRun("relu-sigmoid", 0, Verdict.PASS, components=(_score("dW3", Verdict.PASS, 1e-9),
                                                                      _score("dW2", Verdict.PASS, 1e-9)))
    gate = GateResult(reference=passing, forced_fail=ConfigRun("relu-sigmoid", 0, Verdict.FAIL, localized="dW3"))
    wrong = ConfigRun("relu-sigmoid", 0, Verdict.FAIL, localized="dW2", expected=("dW3",),
                      components=(_score("dW3", Verdict.FAIL, 1e-9), _score("dW2", Verdict.FAIL, 0.4)))

    def m(id, runs=(), halted=None, error=None):
        return MutantResult(id=id, title=id, category="c", expect=Expect.DETECTED, components=("dW{L}",), runs=runs,
                            halted=halted, error=error)
    return RunResult(seed=0, catalog="c", configs=(), gate=gate, reference=(passing,), mutants=(
        m("hangs", halted=Outcome.TIMEOUT, error="no result within the time limit"),
        m("dies", halted=Outcome.CRASHED, error="the process was killed by SIGKILL"),
        m("raises", runs=(ConfigRun("relu-sigmoid", 0, None, error="checker raised ValueError: x"),)),
        m("blames-the-wrong-layer", runs=(wrong,))))


def test_the_summary_shows_timeouts_crashes_errors_and_wrong_components():
    html = render_html(_hidden_problems())
    summary = html[:html.index("</table>")]
    assert "timeouts</th><td>1; hangs: no result within the time limit" in summary
    assert "crashed</th><td>1; dies: the process was killed by SIGKILL" in summary
    assert "errors</th><td>1; raises: checker raised ValueError: x" in summary
    assert "wrong component</th><td>1; blames-the-wrong-layer: dW2, expected dW3" in summary
    block = re.search(r'<details id="mutant-blames-the-wrong-layer">(.*?)</details>', html, re.DOTALL).group(1)
    assert "wrong component</b>: expected dW3" in block


def test_the_heatmap_marks_the_expected_component_and_every_failing_cell():
    from mutagrad.report.html import heatmap_marks

    result = _hidden_problems()
    labels, columns, _, localized, _ = heatmap_rows(result)
    expected, failed = heatmap_marks(result, columns)
    row = labels.index("blames-the-wrong-layer")
    assert localized == {(row, columns.index("dW{L-1}"))}  # where the checker put it
    assert expected == {(row, columns.index("dW{L}"))}  # where the catalog says it is
    # dW3 fails with a relative error (1e-9) a passing cell could have: it is marked failed all the same
    assert failed == {(row, columns.index("dW{L}")), (row, columns.index("dW{L-1}"))}
    assert images(render_html(result))["heatmap"].width > 300
