"""`mutagrad run --checker SPEC`: one checker, several side by side, and the README's example checker."""
import json
import re

import pytest

from helpers import EXAMPLES, ROOT, invoke, run_main

IDS = ("transposed-dw", "forgotten-dropout-mask", "missing-lambda-over-m-term", "dropout-removed-consistently")
SECTION = "## Measure your own gradient checker"


@pytest.mark.slow
def test_one_checker_keeps_report_json_as_today_and_names_the_checker(tmp_path):
    result = invoke("run", *IDS, "--checker", "course", "--out", tmp_path, "-j", "2", "-q")
    assert result.exit_code == 1, result.output  # the course's check misses the dropout and lambd bugs
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["checker"] == "course"
    assert {"detected", "detection_rate", "localization_rate", "false_alarms", "errors"} <= set(report["summary"])
    assert report["summary"]["detected"] < report["summary"]["detectable"]
    assert (tmp_path / "mutation-report.json").is_file()


@pytest.mark.slow
def test_several_checkers_make_one_campaign_side_by_side(tmp_path):
    result = invoke("run", *IDS, "--checker", "course", "--checker", "mutagrad", "--out", tmp_path, "-j", "2")
    assert "checkers side by side" in result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()
            if re.match(r"\s*(course|mutagrad)\s+\d+/\d+", line)}
    assert set(rows) == {"course", "mutagrad"}
    report = json.loads((tmp_path / "report.json").read_text())
    assert [c["checker"] for c in report["checkers"]] == ["course", "mutagrad"]
    course, mutagrad = report["comparison"]["overall"]
    assert course["detection_rate"] < mutagrad["detection_rate"] == 1.0
    assert course["named"] == 0 and course["localization_rate"] is None  # the course names no gradient
    assert {c["category"] for c in report["comparison"]["categories"]} >= {"dropout", "regularization"}
    assert "## Checkers side by side" in (tmp_path / "report.md").read_text()
    assert 'id="checkers"' in (tmp_path / "report.html").read_text()
    assert (tmp_path / "mutation-report.json").is_file() and (tmp_path / "mutation-report.mutagrad.json").is_file()


def test_an_unknown_checker_is_one_line_and_exit_2(capsys):
    code, _, err = run_main(capsys, "run", "transposed-dw", "--checker", "gradcheck")
    assert code == 2 and err.count("\n") == 1 and "--checker gradcheck" in err


def test_the_example_checker_in_the_readme_is_the_example_file():
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.find("\n## ", 1)]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert block == (EXAMPLES / "my_checker.py").read_text()


@pytest.mark.slow
def test_a_checker_written_from_the_readme_runs_unchanged(tmp_path):
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    (tmp_path / "my_checker.py").write_text(block)
    result = invoke("run", *IDS, "--checker", f"{tmp_path / 'my_checker.py'}:check", "--out", tmp_path / "out",
                    "-j", "2", "-q")
    assert "sanity gate failed" not in result.output and result.exit_code in (0, 1), result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    outcomes = {m["id"]: m["outcome"] for m in report["mutants"]}
    assert outcomes["missing-lambda-over-m-term"] == "detected"  # it probes lambd > 0
    assert outcomes["forgotten-dropout-mask"] == "survived"  # but never keep_prob < 1
    assert report["summary"]["errors"] == 0 and report["summary"]["false_alarms"] == 0


BAD_CHECKERS = [
    ("{d}/missing.py:check", "mutagrad: error: --checker {d}/missing.py:check: cannot read {d}/missing.py: "
                             "No such file or directory"),
    ("{d}/mine.py:chek", "mutagrad: error: --checker {d}/mine.py:chek: {d}/mine.py defines no function 'chek' "
                         "(functions: check)"),
    ("{d}/broken.py:check", "mutagrad: error: --checker {d}/broken.py:check: {d}/broken.py:1: invalid syntax"),
    ("{d}/mine.py", "mutagrad: error: --checker {d}/mine.py: expected a built-in name (mutagrad, course, "
                    "notes-1e-3, torch-gradcheck, torch-gradcheck-fast), path/to/file.py:function or "
                    "package.module:function"),
]


@pytest.mark.parametrize("spec,line", BAD_CHECKERS, ids=[s.replace("{d}/", "") for s, _ in BAD_CHECKERS])
def test_a_bad_checker_is_one_clear_line_and_exit_2(tmp_path, capsys, spec, line):
    (tmp_path / "mine.py").write_text("def check(forward, backward, parameters, X, Y):\n    return True\n")
    (tmp_path / "broken.py").write_text("def check(:\n")
    code, out, err = run_main(capsys, "run", "transposed-dw", "--checker", spec.format(d=tmp_path),
                              "--out", tmp_path / "out")
    assert code == 2 and err.strip() == line.format(d=tmp_path) and "Traceback" not in out + err


def test_torch_checkers_without_torch_are_one_line(capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    code, _, err = run_main(capsys, "run", "transposed-dw", "--checker", "torch-gradcheck")
    assert code == 2 and err.strip() == ("mutagrad: error: --checker torch-gradcheck: needs torch, which is not "
                                         "installed (pip install 'torch==2.13.0', or pip install -e '.[bench]')")
