"""Checkers side by side, and the terminal table's marks: the same CheckerScore records in every format."""
from rich.console import Console

from mutagrad.records.campaign import ConfigRun, Expect, GateResult, MutantResult, RunResult
from mutagrad.records.check import Verdict
from mutagrad.records.comparison import Comparison, score
from mutagrad.report.comparison import cells, comparison_html, comparison_markdown, comparison_table
from mutagrad.report.terminal import run_table, summary_text


def mutant(id, category, verdict, localized=None, expect=Expect.DETECTED, seconds=0.5):
    runs = (ConfigRun("relu-sigmoid", 0, verdict, localized=localized, expected=("dW3",), seconds=seconds),)
    return MutantResult(id=id, title=id, category=category, expect=expect, components=("dW{L}",), runs=runs)


def run(checker, *mutants, alarms=0):
    gate = GateResult(ConfigRun("relu-sigmoid", 0, Verdict.PASS), ConfigRun("relu-sigmoid", 0, Verdict.FAIL))
    reference = tuple(ConfigRun("relu-sigmoid", k, Verdict.FAIL if k < alarms else Verdict.PASS, seconds=0.5)
                      for k in range(3))
    return RunResult(seed=0, catalog="c", configs=(), gate=gate, mutants=mutants, reference=reference,
                     checker=checker)


COURSE = run("course", mutant("a", "shapes", Verdict.FAIL), mutant("b", "dropout", Verdict.PASS), alarms=1)
MINE = run("mine", mutant("a", "shapes", Verdict.FAIL, "dW3"), mutant("b", "dropout", Verdict.FAIL, "dW2"))


def test_scores_count_detections_named_gradients_and_false_alarms():
    course, mine = score(COURSE), score(MINE)
    assert (course.detected, course.named, course.localization_rate, course.false_alarms) == (1, 0, None, 1)
    assert (mine.detected, mine.named, mine.localized, mine.localization_rate) == (2, 2, 1, 0.5)
    assert mine.seconds_per_check == 0.5 and course.reference_runs == 3
    dropout = score(MINE, "dropout")
    assert (dropout.detectable, dropout.detected, dropout.reference_runs) == (1, 1, 0)


def test_every_format_shows_the_same_rows():
    comparison = Comparison((COURSE, MINE))
    assert cells(score(COURSE))[1:3] == ("1/2 (50.0%)", "n/a (none)")
    console = Console(width=200, record=True)
    console.print(comparison_table(comparison))
    terminal = console.export_text()
    markdown, html = comparison_markdown(comparison), comparison_html(comparison)
    for s in comparison.scores() + comparison.scores("dropout"):
        row = cells(s)
        assert " | ".join(row) in markdown and "</td><td>".join(row) in html
        assert all(c in terminal for c in row)
    assert comparison.exit_code == 1 and comparison.to_dict()["comparison"]["overall"][1]["localized"] == 1


def test_the_terminal_marks_a_wrong_component_and_a_checker_that_names_none():
    console = Console(width=200, record=True)
    console.print(run_table(MINE), summary_text(COURSE))
    text = console.export_text()
    assert "dW2 (wrong)" in text and "dW3 (wrong)" not in text
    assert "localized n/a (names no gradient)" in text


def test_report_md_says_n_a_for_a_checker_that_names_no_gradient():
    from mutagrad.report.markdown import render_markdown

    assert "| n/a (the checker names no gradient) |" in render_markdown(COURSE)
    assert "| 1/2 (50.0%) |" in render_markdown(MINE)


def test_report_html_draws_the_heatmap_of_a_checker_that_measures_each_gradient():
    from mutagrad.records.campaign import ComponentScore
    from mutagrad.report.html import render_html

    scored = ConfigRun("relu-sigmoid", 0, Verdict.FAIL, localized="dW3", expected=("dW3",),
                       components=(ComponentScore("dW3", Verdict.FAIL, 0.3, -1.0, "initial"),))
    measured = run("mutagrad", MutantResult(id="a", title="a", category="shapes", expect=Expect.DETECTED,
                                            components=("dW{L}",), runs=(scored,)))
    assert 'id="heatmap"' not in render_html(COURSE)
    html = render_html(COURSE, comparison=Comparison((COURSE, measured)))
    assert 'Relative error per gradient (mutagrad)</h2><img id="heatmap"' in html
