"""`mutagrad run` in the terminal: a progress bar while it runs, then a table and the summary."""
from __future__ import annotations

import io
from contextlib import contextmanager

from rich import box
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from ..records.campaign import MutantResult, Outcome, RunResult
from .console import make_console, text_width
from .fmt import pct as _pct

STYLE = {Outcome.DETECTED: "green", Outcome.CLEAN: "green", Outcome.SURVIVED: "bold red",
         Outcome.FALSE_ALARM: "bold red", Outcome.ERROR: "bold red", Outcome.TIMEOUT: "bold red",
         Outcome.CRASHED: "bold red"}
MISSES = (Outcome.SURVIVED, Outcome.FALSE_ALARM, Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED)
LABEL_WIDTH = 20  # the progress bar's label column: fixed, so the bar does not jump with the mutant's name
BAR_WIDTH = 12  # with the counts, times and label, the whole line fits in 80 columns
PAD = 2  # columns between two table columns (rich's padding of 1 on each side)


@contextmanager
def progress_bar(console: Console, total: int | None = None):
    """A transient bar with an ETA, shown at once (and erased at the end, so an error stays one line);
    yields the runner's progress(kind, item, done, total) callback."""
    bar = Progress(TextColumn("checking mutants"), BarColumn(bar_width=BAR_WIDTH), MofNCompleteColumn(),
                   TimeElapsedColumn(),
                   TextColumn("eta"), TimeRemainingColumn(),
                   TextColumn("{task.description}", table_column=Column(width=LABEL_WIDTH, no_wrap=True,
                                                                        overflow="ellipsis")),
                   console=console, transient=True)
    task = bar.add_task("", total=total)

    def advance(kind, item, done, total):
        label = getattr(item, "id", None) or f"reference {item.config} seed {item.seed}"
        bar.update(task, completed=done, total=total, description=label)

    with bar:
        yield advance


HEADERS = ("id", "outcome", "blamed", "expected", "probe", "max rel")


def run_table(result: RunResult, width: int | None = None) -> Table:
    """One row per catalog entry, in catalog order, a heading row per category.

    Ids and numbers are never cut or wrapped: when the six columns do not fit in `width`, the
    expected components and the probe go on a second line under the id.
    """
    rows = [(m, _cells(m)) for m in result.mutants]
    widest = [max([len(h)] + [len(cells[i].plain) for _, cells in rows]) for i, h in enumerate(HEADERS)]
    wide = width is None or sum(widest) + PAD * (len(HEADERS) - 1) <= width
    table = Table(title="mutagrad run", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    shown = range(len(HEADERS)) if wide else (0, 1, 2, 5)
    for i in shown:
        table.add_column(HEADERS[i], no_wrap=wide or i != 0, min_width=widest[i])
    category = None
    for m, cells in rows:
        if m.category != category:
            category = m.category
            table.add_row(Text(category, style="bold"))
        if not wide:  # the id on its line, what was expected below it (wrapped at spaces only)
            cells[0] = Text.assemble(cells[0], "\n", Text(f"  expected {cells[3].plain}, probe {cells[4].plain}",
                                                           style="dim"))
        table.add_row(*(cells[i] for i in shown))
    return table


def _cells(m: MutantResult) -> list[Text]:
    return [Text(m.id), Text(m.outcome.value, style=STYLE[m.outcome]), _localized(m),
            Text(", ".join(m.components) or "-"), Text(m.exposed_by or "-"),
            Text("-" if m.max_rel_error is None else f"{m.max_rel_error:.1e}")]


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
    console.print(Group(run_table(result, console.width), summary_text(result)) if table else summary_text(result))


def plain_text(result: RunResult, width: int | None = None) -> str:
    """The table and the summary as `mutagrad run` prints them, without colour (str(result))."""
    console = Console(width=width or text_width(), record=True, highlight=False, color_system=None,
                      file=io.StringIO())
    render_run(result, console)
    return console.export_text()


def _localized(m: MutantResult) -> Text:
    if not m.flagged:
        return Text("-")
    if m.localized is None:
        return Text("?")  # the checker names no gradient
    right = m.detectable and m.localized_correctly
    wrong = " (wrong)" if m.detected and m.localized and not right else ""  # the expected column says which
    return Text((m.localized or "?") + wrong, style="green" if right else "bold red")
