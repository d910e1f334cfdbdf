"""`mutagrad run`, `list` and `show`: reports, exit codes and one-line errors."""
import json
import textwrap

import pytest

from helpers import invoke, run_main


def user_catalog(tmp_path, expect="detected", patch=("dZL = AL - Y", "dZL = Y - AL")):
    extra = "  components: ['dW{L}']\n" if expect == "detected" else "  expect: undetectable\n  reason: r\n"
    f = tmp_path / "mine.yaml"
    f.write_text(textwrap.dedent(f"""\
        - id: my-bug
          title: My bug
          category: mine
          description: d
          hint: h
          patch:
            function: backward
            find: '{patch[0]}'
            replace: '{patch[1]}'
        """) + extra)
    return f


@pytest.mark.slow
def test_run_ids_writes_both_reports_and_exits_0(tmp_path):
    out = tmp_path / "reports"
    result = invoke("run", "transposed-dw", "off-by-one-db-output-layer", "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "transposed-dw" in result.output
    data = json.loads((out / "report.json").read_text())
    assert set(data["summary"]) >= {"mutants", "detectable", "detected", "detection_rate", "localized",
                                    "localization_rate", "false_alarms", "reference_runs"}
    assert [m["id"] for m in data["mutants"]] == ["off-by-one-db-output-layer", "transposed-dw"]  # catalog order
    assert set(data["mutants"][0]) >= {"id", "category", "expect", "detected", "localized", "localized_correctly",
                                       "components", "max_rel_error"}
    assert data["mutants"][0]["localized"] == "db3" and data["mutants"][0]["components"] == ["db{L}"]
    md = (out / "report.md").read_text()
    assert "detection rate" in md and "`transposed-dw`" in md and "## Reference runs" in md


@pytest.mark.slow
def test_run_category_runs_only_that_category(tmp_path):
    result = invoke("run", "--category", "shapes", "--out", str(tmp_path), "-q")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert {m["category"] for m in data["mutants"]} == {"shapes"}


@pytest.mark.slow
def test_a_surviving_gradient_bug_exits_1(tmp_path):
    # claimed a gradient bug, but forward and backward stay consistent: the checker rightly passes it
    catalog = user_catalog(tmp_path, patch=("m = X.shape[1]", "m = X.shape[1]  # same"))
    result = invoke("run", "--all", "--catalog", str(catalog), "--out", str(tmp_path / "r"), "-j", "1")
    assert result.exit_code == 1, result.output
    assert "survived: my-bug" in result.output


@pytest.mark.slow
def test_a_flagged_non_bug_is_a_false_alarm_and_exits_1(tmp_path):
    catalog = user_catalog(tmp_path, expect="undetectable")
    result = invoke("run", "--all", "--catalog", str(catalog), "--out", str(tmp_path / "r"), "-j", "1")
    assert result.exit_code == 1
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["summary"]["false_alarms"] == 1 and data["undetectable"] == [
        {"id": "my-bug", "flagged": True, "reason": "r"}]


def test_run_needs_ids_category_or_all(capsys):
    code, _, err = run_main(capsys, "run")
    assert code == 2 and "--all" in err and len(err.strip().splitlines()) == 1


def test_unknown_id_is_one_line_naming_it(capsys):
    code, _, err = run_main(capsys, "run", "no-such-bug")
    assert code == 2
    assert err.strip() == ("mutagrad: error: unknown mutant id 'no-such-bug' in the built-in catalog "
                           "(`mutagrad list` shows the ids)")


def test_unknown_category_is_one_line_naming_it(capsys):
    code, _, err = run_main(capsys, "run", "--category", "nonsense")
    assert code == 2 and "unknown category 'nonsense'" in err and len(err.strip().splitlines()) == 1


def test_bad_catalog_is_one_line_with_file_and_line(tmp_path, capsys):
    f = user_catalog(tmp_path)
    f.write_text(f.read_text().replace("  hint: h\n", "  hint: h\n  hnt: x\n"))
    code, _, err = run_main(capsys, "list", "--catalog", str(f))
    assert code == 2 and err.startswith(f"mutagrad: error: {f}:6: entry 'my-bug': field 'hnt': unknown key")


def test_list_shows_id_category_and_title():
    result = invoke("list")
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.startswith("transposed-dw "))
    assert line.split()[1] == "shapes" and "Transposed dW in the hidden layers" in line
    assert len(result.output.splitlines()) >= 40


def test_list_filters_by_category():
    lines = invoke("list", "--category", "dropout").output.splitlines()
    assert lines and all(l.split()[1] == "dropout" for l in lines)


def test_show_prints_title_description_diff_and_hint():
    result = invoke("show", "forgotten-dropout-mask")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("forgotten-dropout-mask: Backward forgets the dropout mask")
    assert "--- a/mutagrad/mlp.py" in out
    assert "-            dA = dA * D / keep_prob" in out and "+            dA = dA / keep_prob" in out
    assert "live when: keep_prob < 1" in out
    assert out.rstrip().split("\n\n")[-1].startswith("hint: ")


def test_show_wraps_prose_to_the_terminal_without_breaking_words(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = invoke("show", "transposed-dw").output
    prose = [line for line in out.splitlines() if line and line[0] not in "+-@ " and "mlp.py" not in line]
    assert prose and max(len(line) for line in prose[1:]) < 60  # the title line is the entry's own
    words = set(" ".join(prose).split())
    assert "convention," in words and "row-major" in words  # whole words, none broken at the margin


def test_show_unknown_id_exits_2(capsys):
    code, _, err = run_main(capsys, "show", "nope")
    assert code == 2 and "unknown mutant id 'nope'" in err


@pytest.mark.parametrize("group", [[], ["exercise"]])
def test_help_lists_whole_command_descriptions(monkeypatch, group):
    monkeypatch.setenv("COLUMNS", "80")
    out = invoke(*group, "--help").output
    commands = out.split("Commands:")[1]
    assert "..." not in commands
    assert "report what was caught." in " ".join(commands.split()) or "README.md for the student." in " ".join(
        commands.split())
