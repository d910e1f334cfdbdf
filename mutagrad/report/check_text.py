"""Human-readable output of `mutagrad check` (a rich table)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..records import CheckResult, Verdict

STYLE = {Verdict.PASS: "green", Verdict.WARN: "yellow", Verdict.FAIL: "bold red"}


def _fmt(x, spec=".2e"):
    return "-" if x is None else format(x, spec)


def check_table(result: CheckResult, title: str = "") -> Table:
    table = Table(title=title or None, title_justify="left")
    for col in ("component", "status", "rel. error", "margin", "probe", "diagnosis / note"):
        table.add_column(col)
    for c in result.components:
        mark = " <- first wrong" if c.name == result.localized else ""
        note = c.diagnosis or c.message
        if c.taylor_order is not None:
            note += f" (Taylor order {c.taylor_order:.2f})"
        table.add_row(c.name + mark, f"[{STYLE[c.status]}]{c.status.value}[/]", _fmt(c.rel_error),
                      _fmt(c.margin, ".3g"), c.probe, note)
    return table


def render_check(result: CheckResult, title: str = "", console: Console | None = None) -> None:
    """Print the per-component table, the verdict, the localization and the hint."""
    console = console or Console(highlight=False)
    if result.components:
        console.print(check_table(result, title))
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if result.error:
        console.print(f"[red]error:[/] {result.error}")
    head = f"[{STYLE[result.verdict]}]{result.verdict.value.upper()}[/]"
    where = f"  localized: {result.localized}" if result.localized else ""
    console.print(f"{head}{where}  ({result.evaluations} cost evaluations, "
                  f"probes: {', '.join(p.name for p in result.probes)})")
    console.print(f"hint: {result.hint}")


def plain_text(result: CheckResult, title: str = "", width: int = 120) -> str:
    """The same output as a string without colour (for assertion messages)."""
    console = Console(width=width, record=True, highlight=False, color_system=None, file=_Null())
    render_check(result, title, console)
    return console.export_text()


class _Null:
    def write(self, _):
        return 0

    def flush(self):
        pass
