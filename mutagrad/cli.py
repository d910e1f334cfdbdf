"""The `mutagrad` command line: thin click commands over the library modules."""
from __future__ import annotations

import json
import sys
import textwrap

import click

from .errors import MutagradError
from .report.console import make_console

SEED_HELP = "Seed for data, parameters, moved points and dropout masks."


class Exit(Exception):
    pass


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


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layers", help="Layer sizes n_x,n_1,...,n_y (instead of the file's LAYER_DIMS).")
@click.option("--lambd", type=float, callback=_nonneg, help="Pin lambd (otherwise 0 and a lambd > 0 probe).")
@click.option("--keep-prob", type=float, callback=_prob, help="Pin keep_prob (otherwise 1 and a keep_prob < 1 probe).")
@click.option("--seed", type=int, default=0, show_default=True, help=SEED_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--method", type=click.Choice(["central", "complex-step"]), default="central", show_default=True,
              help="Numeric derivatives: noise-aware centred differences, or complex steps (exact to "
                   "round-off; needs a forward that accepts complex parameters).")
@click.option("--mode", type=click.Choice(["auto", "exhaustive", "directional"]), default="auto", show_default=True,
              help="Perturb every entry, or a few random directions per component (then bisect a failing "
                   "one); auto: exhaustive up to 10,000 parameters.")
def check(file, layers, lambd, keep_prob, seed, as_json, method, mode):
    """Check the gradients of FILE, a model file (forward, backward, LAYER_DIMS)."""
    from .model_file import load_model, parse_layers
    from .protocol import check_model
    from .records import Verdict

    dims = parse_layers(layers) if layers else None
    model = load_model(file, layers=dims)
    result = check_model(model, seed=seed, lambd=lambd, keep_prob=keep_prob, method=method, mode=mode,
                         config={"file": str(file), "layer_dims": list(model.layer_dims)})
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
              help="Folder for report.md and report.json.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes  [default: the number of CPUs]")
@click.option("--seed", type=int, default=0, show_default=True, help=SEED_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary, not the table.")
def run(ids, run_all, categories, catalog, out, jobs, seed, quiet):
    """Plant catalogued bugs one at a time, check each blind, and report what was caught.

    Writes OUT/report.md and OUT/report.json. Exit code 1 when a gradient bug survives, the
    reference or a non-bug is flagged, or a mutant cannot be checked.
    """
    from pathlib import Path

    from .catalog import load_catalog
    from .report.json_report import render_json
    from .report.markdown import render_markdown
    from .report.terminal import progress_bar, render_run
    from .runner import run_campaign

    if not (ids or run_all or categories):
        raise click.UsageError("name mutant ids, a --category, or --all")
    if run_all and (ids or categories):
        raise click.UsageError("--all runs every entry: give it without ids or --category")
    cat = load_catalog(catalog)
    entries = cat.select(ids, categories)
    with progress_bar(make_console(stderr=True)) as progress:
        result = run_campaign(entries, seed=seed, jobs=jobs, catalog=cat.source, progress=progress)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(render_markdown(result), encoding="utf-8")
        (out / "report.json").write_text(render_json(result), encoding="utf-8")
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the reports: {exc}") from exc
    render_run(result, make_console(), table=not quiet)
    click.echo(f"reports: {out / 'report.md'}, {out / 'report.json'}")
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
@click.option("--seed", type=int, default=0, show_default=True, help="First seed of the reference runs.")
@click.option("--seeds", type=click.IntRange(min=1), default=4, show_default=True, help="Seeds per configuration.")
def sensitivity(out, seed, seeds):
    """Measure each checking method: the smallest planted error it detects, with no false alarm."""
    from .report.sensitivity import markdown, write
    from .sensitivity import sweep

    summary = sweep(seed=seed, seeds=seeds)
    paths = write(summary, out)
    click.echo(markdown(summary))
    click.echo("wrote " + ", ".join(str(p) for p in paths))


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
