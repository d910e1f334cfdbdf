"""The `mutagrad` command line: thin click commands over the library modules."""
from __future__ import annotations

import json
import sys

import click

from .errors import MutagradError

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
def check(file, layers, lambd, keep_prob, seed, as_json):
    """Check the gradients of FILE, a model file (forward, backward, LAYER_DIMS)."""
    from .model_file import load_model, parse_layers
    from .protocol import check_model
    from .records import Verdict

    dims = parse_layers(layers) if layers else None
    model = load_model(file, layers=dims)
    result = check_model(model, seed=seed, lambd=lambd, keep_prob=keep_prob,
                         config={"file": str(file), "layer_dims": list(model.layer_dims)})
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from .report.check_text import render_check
        render_check(result, title=f"mutagrad check {file}")
    sys.exit(1 if result.verdict is Verdict.FAIL else 0)


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
