"""The `mutagrad` command line: one module per command group, each command thin over the library.

  check.py     mutagrad check FILE
  campaign.py  mutagrad run, list, show, sensitivity
  exercise.py  mutagrad exercise new | answer | hint | grade | grade-class | class
  generate.py  mutagrad generate operators
  options.py   options and helpers they share

Only `main` turns mutagrad's errors into one line on stderr and exit code 2.
"""
from __future__ import annotations

import sys

import click

from ..errors import MutagradError
from . import campaign, check, exercise, generate
from .options import FullHelpGroup


@click.group(cls=FullHelpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mutagrad")
def cli():
    """mutagrad: is my gradient right, and if not, which part is wrong?"""


cli.add_command(check.check)
for command in (campaign.run, campaign.list_entries, campaign.show, campaign.sensitivity):
    cli.add_command(command)
cli.add_command(exercise.exercise)
cli.add_command(generate.generate)


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
        if ctx is not None and ctx.command is check.check and "--json" in (sys.argv[1:] if argv is None else argv):
            click.echo(check.json_error(exc.format_message()))  # --json: stdout is one JSON object
        click.echo(f"{where}: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except MutagradError as exc:
        click.echo(f"mutagrad: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)

