"""The terminal console every `mutagrad` command prints through."""
from __future__ import annotations

import os
import shutil
import sys

from rich.console import Console

PIPE_WIDTH = 120  # rich assumes 80 columns when output is piped; mutant ids would wrap


def make_console(stderr: bool = False) -> Console:
    """A console that is as wide as the terminal, or PIPE_WIDTH when output goes to a file or pipe."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


def text_width() -> int:
    """The width of `str(result)`: the terminal's when stdout is one, else PIPE_WIDTH."""
    if sys.stdout is not None and sys.stdout.isatty() or "COLUMNS" in os.environ:
        return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return PIPE_WIDTH
