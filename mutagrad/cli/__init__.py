"""The `mutagrad` command line: one module per command group, each command thin over the library.

  check.py     mutagrad check FILE
  campaign.py  mutagrad run, list, show, sensitivity
  exercise.py  mutagrad exercise new | answer | hint | grade | grade-class | class
  generate.py  mutagrad generate operators
  options.py   options and helpers they share

Only `main` turns mutagrad's errors into one line on stderr and exit code 2.
"""
from __future__ import annotations

import importlib
import sys

import click

from ..errors import MutagradError
from .options import FullHelpGroup

# Each command is imported only when it runs (or when --help lists them): `mutagrad check`
# then starts without loading the campaign, classroom and generator code.
COMMANDS = {
    "check": "check:check",
    "run": "campaign:run", "list": "campaign:list_entries", "show": "campaign:show",
    "sensitivity": "campaign:sensitivity",
    "exercise": "exercise:exercise",
    "generate": "generate:generate",
}


class LazyGroup(FullHelpGroup):
    """The top-level group: its commands' modules are imported on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mutagrad")
def cli():
    """mutagrad: is my gradient right, and if not, which part is wrong?"""


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
        if ctx is not None and ctx.command_path.split()[1:] == ["check"] \
                and "--json" in (sys.argv[1:] if argv is None else argv):
            from .check import json_error
            click.echo(json_error(exc.format_message()))  # --json: stdout is one JSON object
        click.echo(f"{where}: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except MutagradError as exc:
        click.echo(f"mutagrad: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)

