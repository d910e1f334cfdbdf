"""`mutagrad run` in the terminal: a progress bar while it runs, then a table and the summary."""
from __future__ import annotations

from contextlib import contextmanager

from rich import box
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..records.campaign import MutantResult, Outcome, RunResult
from .console import make_console
from .fmt import pct as _pct

STYLE = {Outcome.DETECTED: "green", Outcome.CLEAN: "green", Outcome.SURVIVED: "bold red",
         Outcome.FALSE_ALARM: "bold red", Outcome.ERROR: "bold red", Outcome.TIMEOUT: "bold red",
         Outcome.CRASHED: "bold red"}
MISSES = (Outcome.SURVIVED, Outcome.FALSE_ALARM, Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED)


@contextmanager
def progress_bar(console: Console):
    """A transient bar, shown from the first result on (an error before it stays one line on stderr);
    yields the runner's progress(kind, item, done, total) callback."""
    bar = Progress(TextColumn("checking mutants"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=console, transient=True)
    task = bar.add_task("", total=None)
    shown = []

    def advance(kind, item, done, total):
        if not shown:
            bar.start()
            shown.append(True)
        label = getattr(item, "id", None) or f"reference {item.config} seed {item.seed}"
        bar.update(task, completed=done, total=total, description=label)

    try:
        yield advance
    finally:
        if shown:
            bar.stop()


def run_table(result: RunResult) -> Table:
    """One row per catalog entry, in catalog order, a heading row per category."""
    table = Table(title="mutagrad run", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("id", overflow="fold", min_width=20)
    for col in ("outcome", "blamed", "expected", "probe", "max rel"):
        table.add_column(col, no_wrap=True)
    category = None
    for m in result.mutants:
        if m.category != category:
            category = m.category
            table.add_row(Text(category, style="bold"))
        table.add_row(m.id, Text(m.outcome.value, style=STYLE[m.outcome]), _localized(m),
                      ", ".join(m.components) or "-", m.exposed_by or "-",
                      "-" if m.max_rel_error is None else f"{m.max_rel_error:.1e}")
    return table


def summary_text(result: RunResult) -> Text:
    """The few lines that say whether the campaign passed."""
    s = result.summary
    text = Text()
    names = any(m.localized for m in result.mutants if m.detected) or not s.detected
    localized = f"{s.localized}/{s.detected} ({_pct(s.localization_rate)})" if names else "n/a (names no gradient)"
    text.append(f"detected {s.detected}/{s.detectable} gradient bugs ({_pct(s.detection_rate)}), "
                f"localized {localized}, "
                f"false alarms {s.false_alarms} ({s.reference_runs} reference runs, "
                f"{s.undetectable} non-bug{'s' if s.undetectable != 1 else ''})\n")
    if s.errors or s.timeouts or s.crashed:  # counted apart from detections: no verdict on the gradient
        text.append(f"not judged: {s.errors} error{'s' if s.errors != 1 else ''}, {s.timeouts} "
                    f"timeout{'s' if s.timeouts != 1 else ''}, {s.crashed} crashed\n", style="red")
    for m in result.mutants:
        if m.outcome in MISSES:
            why = m.problem if m.outcome not in (Outcome.SURVIVED, Outcome.FALSE_ALARM) else None
            text.append(f"{m.outcome.value}: {m.id}" + (f" ({why})" if why else "") + "\n", style="red")
    for r in result.reference:
        if r.detected or r.error:
            text.append(f"false alarm: reference in {r.config}, seed {r.seed}: "
                        f"{r.error or r.localized or r.raised}\n", style="red")
    if result.partial:
        text.append(f"partial: {len(result.not_run)} mutants or reference runs did not run\n", style="red")
    verdict = "PASS" if result.ok else "PARTIAL" if result.partial else "FAIL"
    text.append(verdict, style="bold green" if result.ok else "bold red")
    text.append(f"  ({s.mutants} entries, {len(result.configs)} configurations, "
                f"{result.wall_seconds:.1f} s with {result.jobs} job{'s' if result.jobs != 1 else ''})")
    return text


def render_run(result: RunResult, console: Console | None = None, table: bool = True) -> None:
    """Print the table (unless table=False) and the summary."""
    console = console or make_console()
    console.print(Group(run_table(result), summary_text(result)) if table else summary_text(result))


def _localized(m: MutantResult) -> Text:
    if not m.flagged:
        return Text("-")
    if m.localized is None:
        return Text("?")  # the checker names no gradient
    right = m.detectable and m.localized_correctly
    wrong = " (wrong)" if m.detected and m.localized and not right else ""  # the expected column says which
    return Text((m.localized or "?") + wrong, style="green" if right else "bold red")
