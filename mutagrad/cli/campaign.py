"""The campaign commands: `mutagrad run`, `list`, `show` and `sensitivity`."""
from __future__ import annotations

import sys
import textwrap

import click

from ..campaign.configs import REFERENCE_SEEDS
from ..errors import MutagradError
from ..report.console import make_console
from .options import (CATALOG_HELP, MEMORY_HELP, MEMORY_MB, SANDBOX, SANDBOX_HELP, SEED, SEED_HELP, SEED_MAX,
                      TIMEOUT, seed_range, show_width, sigterm_interrupts, write_atomic)


class RunSeed(click.IntRange):
    """--seed of `mutagrad run`: the reference is also checked with seed + 1 .. seed + REFERENCE_SEEDS - 1."""

    def __init__(self):
        super().__init__(min=0, max=SEED_MAX - (REFERENCE_SEEDS - 1))

    def convert(self, value, param, ctx):
        seed = click.INT.convert(value, param, ctx)
        if seed > self.max:
            self.fail(f"{seed} is too large: the reference runs also use seed + 1 .. seed + {REFERENCE_SEEDS - 1}, "
                      f"and seeds end at {SEED_MAX}; use at most {self.max}", param, ctx)
        return super().convert(seed, param, ctx)


RUN_SEED = RunSeed()


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every entry of the catalog.")
@click.option("--category", "categories", multiple=True, help="Run every entry of this category (repeatable).")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report.md, report.json and report.html.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes  [default: the number of CPUs]")
@click.option("--seed", type=RUN_SEED, default=0, show_default=True, help=SEED_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary, not the table.")
@click.option("--timeout", type=TIMEOUT,
              help="CPU seconds per mutant before it is recorded as a timeout (a wall-clock backstop, 3x + 30 s, "
                   "stops one that sleeps)  [default: 20 x the reference's check time, at least 10]")
@click.option("--memory-mb", type=MEMORY_MB, default=2048, show_default=True, help=MEMORY_HELP)
@click.option("--resume", is_flag=True,
              help="Finish an interrupted run: keep the results in OUT/journal.jsonl, run only the missing ones.")
@click.option("--checker", "checker_specs", multiple=True, metavar="SPEC",
              help="The checker to measure: mutagrad (default), course, notes-1e-3, torch-gradcheck, "
                   "torch-gradcheck-fast, or your own as path/to/file.py:function or package.module:function. "
                   "Repeat it to compare checkers side by side.")
@click.option("--mode", type=click.Choice(["auto", "exhaustive", "directional"]), default="auto", show_default=True,
              help="The checker's mode for every mutant and reference run (as in `mutagrad check`).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the checks on a Dask cluster (e.g. tcp://127.0.0.1:8786); needs mutagrad[dask]. "
                   "--jobs is then the cluster's.")
@click.option("--sandbox", type=SANDBOX, default="auto", show_default=True, help=SANDBOX_HELP)
def run(ids, run_all, categories, catalog, out, jobs, seed, quiet, timeout, memory_mb, resume, checker_specs, mode,
        scheduler, sandbox):
    """Plant catalogued bugs one at a time, check each blind, and report what was caught.

    Writes OUT/report.md, OUT/report.json and OUT/report.html. Each mutant's code runs in its own
    process (under bubblewrap when available) and is checked from another; one that hangs or
    kills its process is recorded as a timeout or crashed, and the run goes on.
    Results are journaled in OUT/journal.jsonl as they arrive; an interrupted run (Ctrl-C,
    kill) leaves partial reports, and --resume finishes it. Exit code 1 when a gradient bug
    survives, the reference or a non-bug is flagged, or a mutant errs, times out or crashes.
    Also writes OUT/mutation-report.json (Stryker's mutation-testing-report-schema).
    """
    from pathlib import Path

    from ..campaign.catalog import load_catalog
    from ..campaign.configs import task_count
    from ..campaign.journal import JOURNAL_NAME
    from ..campaign.lock import locked_folder
    from ..report.json_report import render_json
    from ..report.terminal import progress_bar
    from ..campaign.checkers import resolve_all
    from ..campaign.runner import CampaignInterrupted, run_campaign, run_comparison
    from .reports import render_any, render_markdown_any, write_checker_reports

    if not (ids or run_all or categories):
        raise click.UsageError("name mutant ids, a --category, or --all")
    if run_all and (ids or categories):
        raise click.UsageError("--all runs every entry: give it without ids or --category")
    checkers = resolve_all(checker_specs)
    cat = load_catalog(catalog)
    entries = cat.select(ids, categories)
    from ..execution.sandbox import note, resolve
    if why := note(resolve(sandbox)):
        click.echo(f"note: {why}", err=True)
    out = Path(out)

    def write_reports(result):  # report.md and report.json, each replaced whole (a kill never leaves half)
        try:
            out.mkdir(parents=True, exist_ok=True)
            write_atomic(out / "report.md", render_markdown_any(result))
            write_atomic(out / "report.json", render_json(result))
        except OSError as exc:
            raise MutagradError(f"--out {out}: cannot write the reports: {exc}") from exc

    options = dict(seed=seed, jobs=jobs, catalog=cat.source, timeout=timeout, memory_mb=memory_mb,
                   journal=out / JOURNAL_NAME, resume=resume, checkpoint=write_reports, mode=mode,
                   scheduler=scheduler, sandbox=sandbox)
    # a second run into the same --out is refused before it touches anything; released when the command ends
    click.get_current_context().with_resource(locked_folder(out))
    try:
        with sigterm_interrupts(), progress_bar(make_console(stderr=True),
                                                total=task_count(entries) * len(checkers)) as progress:
            if len(checkers) == 1:
                result = run_campaign(entries, progress=progress, checker=checkers[0], **options)
            else:
                result = run_comparison(entries, checkers, progress=progress, **options)
    except CampaignInterrupted as stop:
        write_reports(stop.result)
        runs = getattr(stop.result, "runs", (stop.result,))  # one checker's RunResult, or a Comparison's
        kept = sum(len(r.mutants) + len(r.reference) for r in runs)
        click.echo(f"interrupted: {kept} of {kept + len(stop.result.not_run)} results kept in {out / JOURNAL_NAME}; "
                   f"partial reports in {out}; the same command with --resume finishes the run", err=True)
        sys.exit(130)
    write_reports(result)
    try:
        written = write_checker_reports(result, out, entries, cat.details())
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the reports: {exc}") from exc
    render_any(result, make_console(), table=not quiet)
    click.echo(f"reports: {out / 'report.md'}, {out / 'report.json'}, {', '.join(str(p) for p in written)}")
    sys.exit(result.exit_code)


@click.command("list")
@click.option("--category", "categories", multiple=True, help="Only this category (repeatable).")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def list_entries(categories, catalog):
    """List the catalog: id, category and title of every entry."""
    from ..campaign.catalog import load_catalog

    entries = load_catalog(catalog).select(categories=categories)
    width = max(len(e.id) for e in entries)
    cwidth = max(len(e.category) for e in entries)
    for e in entries:
        click.echo(f"{e.id:<{width}}  {e.category:<{cwidth}}  {e.title}")


@click.command()
@click.argument("mutant_id", metavar="ID")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def show(mutant_id, catalog):
    """Show one entry: title, description, the diff against the reference, and the hint."""
    from ..campaign.catalog import load_catalog
    from ..campaign.mutate import entry_diff

    e = load_catalog(catalog).get(mutant_id)
    width = show_width()
    facts = [e.category, e.expect.value] + ([e.difficulty.value] if e.difficulty else [])
    click.echo(click.style(f"{e.id}: {e.title}", bold=True) + f"  ({', '.join(facts)})")
    click.echo("\n" + textwrap.fill(e.description, width) + "\n")
    if e.components:
        click.echo(f"first wrong gradient: {', '.join(e.components)}")
    if e.reason:
        click.echo(textwrap.fill(f"not a gradient bug: {e.reason}", width))
    req = e.requires
    live = [f"hidden in {list(req.hidden)}" if req.hidden else "", f"output in {list(req.output)}" if req.output else "",
            "lambd > 0" if req.lambd else "", "keep_prob < 1" if req.keep_prob else "",
            f"depth >= {req.min_depth}" if req.min_depth else "", "square hidden layers" if req.square_hidden else ""]
    if any(live):
        click.echo(f"live when: {', '.join(x for x in live if x)}")
    click.echo()
    for line in entry_diff(e).splitlines():
        color = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1]) if not line.startswith(("+++", "---")) else None
        click.echo(click.style(line, fg=color) if color else line)
    click.echo("\n" + textwrap.fill(f"hint: {e.hint}", width))


@click.command()
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for sensitivity.md, sensitivity.json and sensitivity.png.")
@click.option("--seeds", type=click.IntRange(min=1), default=4, show_default=True, is_eager=True,
              help="Seeds per configuration.")  # eager: --seed's check reads it
@click.option("--seed", type=SEED, default=0, show_default=True, callback=seed_range("seeds"),
              help="First seed of the reference runs.")
def sensitivity(out, seed, seeds):
    """Measure each checking method: the smallest planted error it detects, with no false alarm."""
    from ..report.sensitivity import markdown, write
    from ..campaign.sensitivity import sweep

    summary = sweep(seed=seed, seeds=seeds)
    try:
        paths = write(summary, out)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the sensitivity report: {exc}") from exc
    click.echo(markdown(summary))
    click.echo("wrote " + ", ".join(str(p) for p in paths))
