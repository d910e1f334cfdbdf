"""The generation commands: `mutagrad generate operators`."""
from __future__ import annotations

import time

import click

from .options import MEMORY_HELP, MEMORY_MB, SANDBOX, SANDBOX_HELP, TIMEOUT


@click.group()
def generate():
    """Generate mutants mechanically, each classified by an oracle."""


def _names(ctx, param, value):
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise click.BadParameter("give at least one name, comma-separated")
    return names


@generate.command()
@click.option("--out", default="mutants-operators", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the catalog files (one per operator) and classification.json.")
@click.option("--file", "model_file", type=click.Path(dir_okay=False),
              help="Mutate this model file (the `mutagrad check` protocol) instead of mutagrad/mlp.py.")
@click.option("--functions", callback=_names,
              help="Comma-separated top-level functions to mutate  [default for mlp.py: activation_forward, "
                   "activation_backward, compute_cost, forward, backward; for a FILE: all but make_data, "
                   "init_parameters, update_parameters]")
@click.option("--operators", "operator_names", callback=_names,
              help="Comma-separated operators to apply  [default: all fourteen]")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes  [default: the number of CPUs]")
@click.option("--timeout", type=TIMEOUT, default=120.0, show_default=True,
              help="Seconds per mutant's classification before it counts as invalid.")
@click.option("--memory-mb", type=MEMORY_MB, default=2048, show_default=True, help=MEMORY_HELP)
@click.option("--sandbox", type=SANDBOX, default="auto", show_default=True,
              help=SANDBOX_HELP + " Used for a FILE: it and its mutants run only there.")
def operators(out, model_file, functions, operator_names, jobs, timeout, memory_mb, sandbox):
    """Operator mutants of mutagrad/mlp.py (or FILE), classified by HIPS autograd, as catalog entries.

    Every mutant is a one-hunk patch. In each configuration where its line runs, the oracle
    calls it invalid, equivalent (an `undetectable` entry) or a gradient bug (an entry with the
    first wrong component). Run them with `mutagrad run --all --catalog OUT`.
    """
    import importlib.util
    import os

    from ..errors import MutagradError

    missing = [name for name in ("libcst", "autograd") if importlib.util.find_spec(name) is None]
    if missing:
        raise MutagradError(f"generate operators needs {' and '.join(missing)}: pip install 'mutagrad[oracle]'")
    from ..campaign.operators import OPERATORS
    from ..campaign.operators.pipeline import generate_and_classify, summary, write
    from ..campaign.operators.sandboxed import generate_file
    from ..campaign.operators.target import reference_target

    known = {op.name: op for op in OPERATORS}
    unknown = [n for n in operator_names or () if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown operator {unknown[0]!r} (operators: {', '.join(known)})",
                                 param_hint="--operators")
    chosen = tuple(known[n] for n in operator_names) if operator_names else OPERATORS
    start = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    if model_file:
        from ..execution.sandbox import note, resolve
        generated = generate_file(model_file, functions, chosen, jobs=jobs, timeout=timeout, memory_mb=memory_mb,
                                  sandbox_choice=sandbox)
        if why := note(resolve(sandbox)):
            click.echo(f"note: {why}", err=True)
    else:
        generated = generate_and_classify(reference_target(), functions, chosen, jobs=jobs, timeout=timeout,
                                          memory_mb=memory_mb)
    written = write(generated, out)
    seconds = time.perf_counter() - start
    info = summary(generated)
    kinds = ("bug", "equivalent", "invalid", "unchanged", "dead")
    click.echo(f"{'operator':<20}{'mutants':>8}" + "".join(f"{k:>11}" for k in kinds))
    for name, counts in info["operators"].items():
        click.echo(f"{name:<20}{sum(counts.values()):>8}" + "".join(f"{counts[k]:>11}" for k in kinds))
    totals = info["totals"]
    click.echo(f"{'all':<20}{totals['mutants']:>8}" + "".join(f"{totals[k]:>11}" for k in kinds))
    entries = info["entries"]
    click.echo(f"{entries['detected']} gradient-bug and {entries['undetectable']} equivalent entries "
               f"(mutant x configuration) in {len(written) - 1} files in {out}/ ({seconds:.1f} s)")
    click.echo(f"check them: mutagrad run --all --catalog {out}")
