"""`mutagrad check FILE`: the blind gradient check of a user's model file."""
from __future__ import annotations

import json
import sys

import click

from ..errors import MutagradError
from .options import LAMBD, MEMORY_HELP, MEMORY_MB, SANDBOX, SANDBOX_HELP, SEED, SEED_HELP, TIMEOUT, probability

EXIT_FAIL = 1  # a gradient fails
EXIT_BAD_INPUT = 2  # cli.main's code for mutagrad's errors
EXIT_INCONCLUSIVE = 3  # something could not be judged and nothing fails: never a pass for a script


def json_error(message: str) -> str:
    """The one JSON object `--json` prints for bad input (cli.main also prints the one line)."""
    return json.dumps({"verdict": "error", "error": message, "exit_code": EXIT_BAD_INPUT})


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layers", help="Layer sizes n_x,n_1,...,n_y (instead of the file's LAYER_DIMS).")
@click.option("--lambd", type=LAMBD, help="Pin lambd (otherwise 0 and a lambd > 0 probe).")
@click.option("--keep-prob", type=float, callback=probability, help="Pin keep_prob (otherwise 1 and a keep_prob < 1 probe).")
@click.option("--seed", type=SEED, default=0, show_default=True, help=SEED_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--method", type=click.Choice(["central", "complex-step"]), default="central", show_default=True,
              help="Numeric derivatives: noise-aware centred differences, or complex steps (exact to "
                   "round-off; needs a forward that accepts complex parameters).")
@click.option("--mode", type=click.Choice(["auto", "exhaustive", "directional"]), default="auto", show_default=True,
              help="Perturb every entry, or a few random directions per component (then bisect a failing "
                   "one); auto: exhaustive up to 10,000 parameters.")
@click.option("--timeout", type=TIMEOUT, default=120.0, show_default=True,
              help="CPU seconds for loading and running FILE's code; past them the check stops (exit code 2). "
                   "A wall-clock backstop (3x + 30 s) stops code that sleeps.")
@click.option("--memory-mb", type=MEMORY_MB, default=2048, show_default=True, help=MEMORY_HELP)
@click.option("--sandbox", type=SANDBOX, default="auto", show_default=True, help=SANDBOX_HELP)
@click.option("--accept-inconclusive", is_flag=True,
              help="Exit 0 instead of 3 when something could not be judged and nothing fails.")
def check(file, layers, lambd, keep_prob, seed, as_json, method, mode, timeout, memory_mb, sandbox, accept_inconclusive):
    """Check the gradients of FILE, a model file (forward, backward, LAYER_DIMS).

    FILE is code: it runs only in a separate process, under bubblewrap when available, with CPU
    and memory limits; the verdict is computed in a process that never runs it. What FILE
    prints is kept in the result, never mixed into the output. Exit code 0: pass; 1: a gradient
    fails; 2: bad input, or FILE hangs or crashes its process; 3: inconclusive (something could
    not be judged, nothing fails; 0 with --accept-inconclusive).
    """
    # Only what the check needs: the worker starts FILE's server before it imports the checker.
    from ..check.sandboxed import check_file_sandboxed
    from ..records.check import Verdict

    try:
        dims = None
        if layers:
            from ..check.model_file import parse_layers
            dims = parse_layers(layers)
        result = check_file_sandboxed(file, layers=dims, timeout=timeout, memory_mb=memory_mb, sandbox=sandbox,
                                      seed=seed, lambd=lambd, keep_prob=keep_prob, method=method, mode=mode)
    except MutagradError as exc:
        if as_json:
            click.echo(json_error(str(exc)))
        raise
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from ..report.check_text import render_check
        render_check(result, title=f"mutagrad check {file}")
    if result.verdict is Verdict.FAIL:
        sys.exit(EXIT_FAIL)
    sys.exit(EXIT_INCONCLUSIVE if result.verdict is Verdict.INCONCLUSIVE and not accept_inconclusive else 0)
