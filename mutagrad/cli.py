"""The `mutagrad` command line: thin click commands over the library modules."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import textwrap
import threading

import click

from .errors import MutagradError
from .report.console import make_console

SEED_HELP = "Seed for data, parameters, moved points and dropout masks."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mutagrad")
def cli():
    """mutagrad: is my gradient right, and if not, which part is wrong?"""


def _prob(ctx, param, value):
    if value is not None and not (0 < value <= 1):
        raise click.BadParameter(f"must be in (0, 1], got {value}")
    return value


def _nonneg(ctx, param, value):
    if value is not None and value < 0:
        raise click.BadParameter(f"must be >= 0, got {value}")
    return value


SEED = click.IntRange(min=0)
TIMEOUT = click.FloatRange(min=0, min_open=True)
MEMORY_MB = click.IntRange(min=256)  # numpy alone maps about 200 MB
MEMORY_HELP = "Memory limit (address space) of the child process that runs the code, in MB."


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layers", help="Layer sizes n_x,n_1,...,n_y (instead of the file's LAYER_DIMS).")
@click.option("--lambd", type=float, callback=_nonneg, help="Pin lambd (otherwise 0 and a lambd > 0 probe).")
@click.option("--keep-prob", type=float, callback=_prob, help="Pin keep_prob (otherwise 1 and a keep_prob < 1 probe).")
@click.option("--seed", type=SEED, default=0, show_default=True, help=SEED_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--method", type=click.Choice(["central", "complex-step"]), default="central", show_default=True,
              help="Numeric derivatives: noise-aware centred differences, or complex steps (exact to "
                   "round-off; needs a forward that accepts complex parameters).")
@click.option("--mode", type=click.Choice(["auto", "exhaustive", "directional"]), default="auto", show_default=True,
              help="Perturb every entry, or a few random directions per component (then bisect a failing "
                   "one); auto: exhaustive up to 10,000 parameters.")
@click.option("--timeout", type=TIMEOUT, default=120.0, show_default=True,
              help="Seconds for loading and checking FILE; past them the check stops (exit code 2).")
@click.option("--memory-mb", type=MEMORY_MB, default=2048, show_default=True, help=MEMORY_HELP)
def check(file, layers, lambd, keep_prob, seed, as_json, method, mode, timeout, memory_mb):
    """Check the gradients of FILE, a model file (forward, backward, LAYER_DIMS).

    FILE is code: it is loaded and checked only in a child process, whose working folder is a
    new temporary one, with a time and a memory limit. Exit code 0: pass (or warn); 1: a
    gradient fails; 2: bad input, or FILE hangs or crashes the process.
    """
    from .model_file import check_file_isolated, parse_layers
    from .records import Verdict

    dims = parse_layers(layers) if layers else None
    result = check_file_isolated(file, layers=dims, timeout=timeout, memory_mb=memory_mb, seed=seed, lambd=lambd,
                                 keep_prob=keep_prob, method=method, mode=mode)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from .report.check_text import render_check
        render_check(result, title=f"mutagrad check {file}")
    sys.exit(1 if result.verdict is Verdict.FAIL else 0)


CATALOG_HELP = "A YAML file or a folder of them, instead of the built-in catalog."
SHOW_WIDTH = 88  # `mutagrad show` wraps prose at this width


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every entry of the catalog.")
@click.option("--category", "categories", multiple=True, help="Run every entry of this category (repeatable).")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report.md, report.json and report.html.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes  [default: the number of CPUs]")
@click.option("--seed", type=SEED, default=0, show_default=True, help=SEED_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary, not the table.")
@click.option("--timeout", type=TIMEOUT,
              help="Seconds per mutant before it is recorded as a timeout  [default: 20 x the reference's "
                   "check time, at least 10]")
@click.option("--memory-mb", type=MEMORY_MB, default=2048, show_default=True, help=MEMORY_HELP)
@click.option("--resume", is_flag=True,
              help="Finish an interrupted run: keep the results in OUT/journal.jsonl, run only the missing ones.")
def run(ids, run_all, categories, catalog, out, jobs, seed, quiet, timeout, memory_mb, resume):
    """Plant catalogued bugs one at a time, check each blind, and report what was caught.

    Writes OUT/report.md, OUT/report.json and OUT/report.html. Each mutant runs in a child
    process; one that hangs or kills it is recorded as a timeout or crashed, and the run goes on.
    Results are journaled in OUT/journal.jsonl as they arrive; an interrupted run (Ctrl-C,
    kill) leaves partial reports, and --resume finishes it. Exit code 1 when a gradient bug
    survives, the reference or a non-bug is flagged, or a mutant errs, times out or crashes.
    """
    from pathlib import Path

    from .catalog import load_catalog
    from .journal import JOURNAL_NAME
    from .report.html import write_html
    from .report.json_report import render_json
    from .report.markdown import render_markdown
    from .report.terminal import progress_bar, render_run
    from .runner import CampaignInterrupted, run_campaign

    if not (ids or run_all or categories):
        raise click.UsageError("name mutant ids, a --category, or --all")
    if run_all and (ids or categories):
        raise click.UsageError("--all runs every entry: give it without ids or --category")
    cat = load_catalog(catalog)
    entries = cat.select(ids, categories)
    out = Path(out)

    def write_reports(result):  # report.md and report.json, each replaced whole (a kill never leaves half)
        try:
            out.mkdir(parents=True, exist_ok=True)
            _write_atomic(out / "report.md", render_markdown(result))
            _write_atomic(out / "report.json", render_json(result))
        except OSError as exc:
            raise MutagradError(f"--out {out}: cannot write the reports: {exc}") from exc

    try:
        with _sigterm_interrupts(), progress_bar(make_console(stderr=True)) as progress:
            result = run_campaign(entries, seed=seed, jobs=jobs, catalog=cat.source, progress=progress,
                                  timeout=timeout, memory_mb=memory_mb, journal=out / JOURNAL_NAME, resume=resume,
                                  checkpoint=write_reports)
    except CampaignInterrupted as stop:
        write_reports(stop.result)
        kept = len(stop.result.mutants) + len(stop.result.reference)
        click.echo(f"interrupted: {kept} of {kept + len(stop.result.not_run)} results kept in {out / JOURNAL_NAME}; "
                   f"partial reports in {out}; the same command with --resume finishes the run", err=True)
        sys.exit(130)
    write_reports(result)
    try:
        write_html(result, out, cat)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the reports: {exc}") from exc
    render_run(result, make_console(), table=not quiet)
    click.echo(f"reports: {out / 'report.md'}, {out / 'report.json'}, {out / 'report.html'}")
    sys.exit(result.exit_code)


@cli.command("list")
@click.option("--category", "categories", multiple=True, help="Only this category (repeatable).")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def list_entries(categories, catalog):
    """List the catalog: id, category and title of every entry."""
    from .catalog import load_catalog

    entries = load_catalog(catalog).select(categories=categories)
    width = max(len(e.id) for e in entries)
    cwidth = max(len(e.category) for e in entries)
    for e in entries:
        click.echo(f"{e.id:<{width}}  {e.category:<{cwidth}}  {e.title}")


@cli.command()
@click.argument("mutant_id", metavar="ID")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def show(mutant_id, catalog):
    """Show one entry: title, description, the diff against the reference, and the hint."""
    from .catalog import load_catalog
    from .mutate import entry_diff

    e = load_catalog(catalog).get(mutant_id)
    facts = [e.category, e.expect.value] + ([e.difficulty.value] if e.difficulty else [])
    click.echo(click.style(f"{e.id}: {e.title}", bold=True) + f"  ({', '.join(facts)})")
    click.echo("\n" + textwrap.fill(e.description, SHOW_WIDTH) + "\n")
    if e.components:
        click.echo(f"first wrong gradient: {', '.join(e.components)}")
    if e.reason:
        click.echo(textwrap.fill(f"not a gradient bug: {e.reason}", SHOW_WIDTH))
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
    click.echo("\n" + textwrap.fill(f"hint: {e.hint}", SHOW_WIDTH))


@cli.command()
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for sensitivity.md, sensitivity.json and sensitivity.png.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="First seed of the reference runs.")
@click.option("--seeds", type=click.IntRange(min=1), default=4, show_default=True, help="Seeds per configuration.")
def sensitivity(out, seed, seeds):
    """Measure each checking method: the smallest planted error it detects, with no false alarm."""
    from .report.sensitivity import markdown, write
    from .sensitivity import sweep

    summary = sweep(seed=seed, seeds=seeds)
    try:
        paths = write(summary, out)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the sensitivity report: {exc}") from exc
    click.echo(markdown(summary))
    click.echo("wrote " + ", ".join(str(p) for p in paths))


@cli.group()
def exercise():
    """Classroom exercises: a network with one hidden backprop bug to find and fix."""


DIFFICULTY = click.Choice(["easy", "medium", "hard"])


@exercise.command("new")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the exercise.")
@click.option("--seed", type=click.IntRange(min=0), help="Picks the bug  [default: a random seed, printed]")
@click.option("--category", help="Only bugs of this category (`mutagrad list` shows them).")
@click.option("--difficulty", type=DIFFICULTY, help="Only bugs of this difficulty.")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def exercise_new(out, seed, category, difficulty, catalog):
    """Write an exercise into OUT: model.py with one catalogued bug, and README.md for the student."""
    import secrets
    from pathlib import Path

    from .exercise import new

    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    ex = new(out, seed=seed, category=category, difficulty=difficulty, catalog=catalog)
    click.echo(f"wrote {Path(out) / 'model.py'} and {Path(out) / 'README.md'} "
               f"({ex.difficulty}; --seed {seed} makes the same one)")


@exercise.command("answer")
@click.argument("folder", type=click.Path(file_okay=False))
@click.argument("component")
def exercise_answer(folder, component):
    """Is COMPONENT (dW2, say) the first wrong gradient of the exercise in FOLDER? Exit 0 if so, 1 if not."""
    from .exercise import answer

    right, message = answer(folder, component)
    click.echo(message)
    sys.exit(0 if right else 1)


@exercise.command("hint")
@click.argument("folder", type=click.Path(file_okay=False))
def exercise_hint(folder):
    """Print the hint for the exercise in FOLDER."""
    from .exercise import hint

    click.echo(textwrap.fill(f"hint: {hint(folder)}", SHOW_WIDTH))


@exercise.command("grade")
@click.argument("folder", type=click.Path(file_okay=False))
def exercise_grade(folder):
    """Grade FOLDER/model.py: it must pass the check and match the original network. Exit 0 or 1."""
    from .grading import grade

    result = grade(folder)
    click.echo(click.style("correct" if result.passed else "wrong", fg="green" if result.passed else "red", bold=True)
               + ": " + result.reasons[0])
    for reason in result.reasons[1:]:
        click.echo(f"  and: {reason}")
    sys.exit(0 if result.passed else 1)


@exercise.command("class")
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="Student names, one a line, or a CSV with a name column.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for one exercise folder per student and answer_key.csv.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="The class seed.")
@click.option("--difficulty", type=DIFFICULTY, help="Only bugs of this difficulty.")
@click.option("--catalog", type=click.Path(), help=CATALOG_HELP)
def exercise_class(roster, out, seed, difficulty, catalog):
    """One exercise per student of ROSTER, and the instructor's answer key OUT/answer_key.csv."""
    from pathlib import Path

    from .classroom import make_class

    rows = make_class(roster, out, seed=seed, difficulty=difficulty, catalog=catalog)
    for student, folder, *_ in rows:
        click.echo(f"{student}: {Path(out) / folder}")
    click.echo(f"{len(rows)} exercises; answer key: {Path(out) / 'answer_key.csv'} "
               f"(it names every student's bug: keep it, do not hand it out)")


def _write_atomic(path, text: str) -> None:
    """Write a file through a temporary one and a rename: readers see the old text or the new."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _sigterm_interrupts():
    """While running, `kill PID` (SIGTERM) stops like Ctrl-C: partial reports, journal kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None):
    """Entry point: MutagradError becomes one line on stderr and exit code 2."""
    try:
        cli.main(args=argv, prog_name="mutagrad", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "mutagrad"
        click.echo(f"{where}: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except MutagradError as exc:
        click.echo(f"mutagrad: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":
    main()
