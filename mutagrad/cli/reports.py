"""The files of a finished `mutagrad run` besides report.md and report.json: report.html, mutation-report.json."""
from __future__ import annotations

import re
from pathlib import Path

from .options import write_atomic


def slug(name: str) -> str:
    """A checker's name as part of a file name: `my_checks.py:check` -> `my_checks.py-check`."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).name if "/" in name else name).strip("-") or "checker"


def render_markdown_any(result) -> str:
    """report.md of one checker's run, or of several side by side followed by each one's report."""
    from ..records.comparison import Comparison
    from ..report.comparison import comparison_markdown
    from ..report.markdown import render_markdown

    if not isinstance(result, Comparison):
        return render_markdown(result)
    parts = [f"# mutagrad run: {len(result.runs)} checkers on the same mutants\n", comparison_markdown(result)]
    for run in result.runs:
        text = render_markdown(run).replace("\n## ", "\n### ").replace("# mutagrad run:", "## checker "
                                                                          f"{run.checker}:", 1)
        parts.append(text)
    return "\n".join(parts)


def render_any(result, console, table: bool = True) -> None:
    """The terminal output: one checker's table and summary, or the side-by-side table and each summary."""
    from rich.text import Text

    from ..records.comparison import Comparison
    from ..report.comparison import comparison_table
    from ..report.terminal import render_run, summary_text

    if not isinstance(result, Comparison):
        render_run(result, console, table=table)
        return
    if table:
        render_run(result.runs[0], console, table=True)
    console.print(comparison_table(result))
    for run in result.runs:
        console.print(Text(f"checker {run.checker}: ", style="bold"), summary_text(run))


def write_checker_reports(result, out: Path, entries, details) -> list[Path]:
    """report.html (the first checker in detail) and one mutation-report JSON per checker."""
    from ..campaign.file_target import common_target
    from ..campaign.locations import patch_locations
    from ..campaign.mutate import reference_source
    from ..records.comparison import Comparison
    from ..report.html import write_html
    from ..report.mutation_report import SOURCE_FILE, mutation_report, render_mutation_report

    runs = result.runs if isinstance(result, Comparison) else (result,)
    target = common_target(entries)  # the mutants are on this model file's source (None: mlp.py)
    source, locations = reference_source() if target is None else target.source, patch_locations(entries)
    file = SOURCE_FILE if target is None else target.name
    written = []
    for i, run in enumerate(runs):
        path = out / ("mutation-report.json" if i == 0 else f"mutation-report.{slug(run.checker)}.json")
        write_atomic(path, render_mutation_report(run, source, locations, file))
        written.append(path)
    html = write_html(runs[0], out, details, comparison=result if isinstance(result, Comparison) else None,
                      mutation_report=mutation_report(runs[0], source, locations, file))
    return [html, *written]
