"""Human-readable output of `mutagrad check` (a rich table)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..records.check import CheckResult, Verdict
from .console import make_console
from .fmt import num as _fmt

STYLE = {Verdict.PASS: "green", Verdict.WARN: "yellow", Verdict.FAIL: "bold red", Verdict.INCONCLUSIVE: "bold yellow"}


def check_table(result: CheckResult, title: str = "") -> Table:
    table = Table(title=title or None, title_justify="left")
    kinks = any(c.kinks for c in result.components)
    columns = ["component", "status", "rel. error", "margin", "order"] + (["kinks"] if kinks else []) + ["probe"]
    for col in columns:
        table.add_column(col, no_wrap=True)
    table.add_column("diagnosis / note", ratio=1)
    for c in result.components:
        mark = " <-" if c.name == result.localized else ""  # the first wrong one, named below the table
        note = c.diagnosis or c.message
        cells = [c.name + mark, f"[{STYLE[c.status]}]{c.status.value}[/]", _fmt(c.rel_error),
                 _fmt(c.margin, ".3g"), _fmt(c.taylor_order, ".2f")] + ([str(c.kinks)] if kinks else [])
        table.add_row(*cells, c.probe or "", note)  # where it fails or warns; a pass names no probe
    return table


def render_check(result: CheckResult, title: str = "", console: Console | None = None) -> None:
    """Print the per-component table, the verdict, the localization and the hint."""
    console = console or make_console()
    if result.components:
        console.print(check_table(result, title))
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    for n in result.notes:
        console.print(f"note: {n}")
    if result.kinks:
        console.print(f"kinks: {result.kinks} entries over all probes crossed a non-differentiable point "
                      f"within +-eps and were judged one-sided")
    if result.error:
        console.print(f"[red]error:[/] {result.error}")
    head = f"[{STYLE[result.verdict]}]{result.verdict.value.upper()}[/]"
    where = f"  localized: {result.localized}" if result.localized else ""
    console.print(f"{head}{where}  ({result.evaluations} cost evaluations, "
                  f"probes: {', '.join(p.name for p in result.probes)})")
    console.print(f"hint: {result.hint}")
    if any(c.taylor_order is not None for c in result.components):
        console.print("order: Taylor-remainder order along a random direction, ~2 when the gradient is right, "
                      "~1 when wrong")
    if result.output:
        console.print("output of the model file:", style="bold")
        console.print(result.output, markup=False, highlight=False)
    if result.sandbox == "none":
        console.print("note: no sandbox was used: the model file ran as a plain child process with resource limits")


def plain_text(result: CheckResult, title: str = "", width: int = 120) -> str:
    """The same output as a string without colour (for str(result) and assertion messages)."""
    console = Console(width=width, record=True, highlight=False, color_system=None, file=_Null())
    render_check(result, title, console)
    return console.export_text()


class _Null:
    def write(self, _):
        return 0

    def flush(self):
        pass
