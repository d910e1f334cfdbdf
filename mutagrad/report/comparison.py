"""Several checkers side by side (`mutagrad run --checker A --checker B`): terminal, markdown and HTML tables.

One row per checker, overall and then per category: detection, localization (of the
detections where the checker names a gradient; n/a for a checker that never does), false
alarms, what it could not judge (errors, timeouts, crashes) and the time per check. Every
format reads the same CheckerScore records.
"""
from __future__ import annotations

from html import escape

from rich import box
from rich.table import Table
from rich.text import Text

from ..records.comparison import CheckerScore, Comparison

HEADERS = ("checker", "detected", "localized", "false alarms", "err/timeout/crash", "s/check")


def _ratio(num: int, den: int, rate) -> str:
    return f"{num}/{den} ({100 * rate:.1f}%)" if den else "n/a"


def cells(s: CheckerScore) -> tuple[str, ...]:
    """The row of one score, as text."""
    localized = _ratio(s.localized, s.named, s.localization_rate) if s.named else (
        "n/a (none)" if s.detected else "n/a")
    alarms = str(s.false_alarms) + (f" ({s.reference_runs} ref.)" if s.category is None else "")
    per_check = "-" if s.seconds_per_check is None else f"{s.seconds_per_check:.3f}"
    return (s.checker, _ratio(s.detected, s.detectable, s.detection_rate), localized, alarms,
            f"{s.errors}/{s.timeouts}/{s.crashed}", per_check)


def _bad(s: CheckerScore) -> bool:
    return bool(s.false_alarms or s.errors or s.timeouts or s.crashed or s.detected < s.detectable)


def comparison_table(comparison: Comparison) -> Table:
    """Overall rows, then a heading row and the checkers' rows per category."""
    table = Table(title="checkers side by side", title_justify="left", box=box.SIMPLE_HEAD)
    for header in HEADERS:
        table.add_column(header, no_wrap=True)
    table.add_row(Text("overall", style="bold"))
    for s in comparison.scores():
        table.add_row(*[Text(c, style="red" if _bad(s) and k else "") for k, c in enumerate(cells(s))])
    for category in comparison.categories:
        table.add_row(Text(category, style="bold"))
        for s in comparison.scores(category):
            table.add_row(*cells(s))
    return table


def comparison_markdown(comparison: Comparison) -> str:
    """The side-by-side section of report.md."""
    lines = ["## Checkers side by side", "",
             "Detection: gradient bugs failed in every configuration. Localization: of the detections where "
             "the checker names a first wrong gradient, those it names right (n/a: it names none). False "
             "alarms: reference runs and non-bugs flagged. Errors, timeouts and crashes are not detections. "
             "s/check: seconds per configuration run.",
             "", "| category | " + " | ".join(HEADERS) + " |", "|" + " --- |" * (len(HEADERS) + 1)]
    for category in (None, *comparison.categories):
        for s in comparison.scores(category):
            lines.append(f"| {category or '**overall**'} | " + " | ".join(cells(s)) + " |")
    return "\n".join(lines) + "\n"


def comparison_html(comparison: Comparison) -> str:
    """The side-by-side table of report.html (id="checkers")."""
    head = "".join(f"<th>{escape(h)}</th>" for h in ("category", *HEADERS))
    rows = []
    for category in (None, *comparison.categories):
        for s in comparison.scores(category):
            style = ' style="color:#cf222e"' if category is None and _bad(s) else ""
            label = "<b>overall</b>" if category is None else escape(category)
            rows.append(f"<tr{style}><td>{label}</td>" + "".join(f"<td>{escape(c)}</td>" for c in cells(s)) + "</tr>")
    return f'<table id="checkers"><tr>{head}</tr>{"".join(rows)}</table>'
