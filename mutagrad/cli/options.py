"""Options and helpers shared by the command groups."""
from __future__ import annotations

import contextlib
import os
import signal
import threading

import click

SEED_HELP = "Seed for data, parameters, moved points and dropout masks."
SEED = click.IntRange(min=0)
TIMEOUT = click.FloatRange(min=0, min_open=True)
MEMORY_MB = click.IntRange(min=256)  # numpy alone maps about 200 MB
MEMORY_HELP = "Memory limit (address space) of the child process that runs the code, in MB."
SANDBOX = click.Choice(["auto", "bwrap", "none"])
SANDBOX_HELP = ("Where the code under check runs: bwrap (bubblewrap: no network, no view of your files), "
                "none (a plain child process with limits), auto (bwrap when it works here).")
CATALOG_HELP = "A YAML file or a folder of them, instead of the built-in catalog."
SHOW_WIDTH = 88  # `mutagrad show` wraps prose at this width


def probability(ctx, param, value):
    if value is not None and not (0 < value <= 1):
        raise click.BadParameter(f"must be in (0, 1], got {value}")
    return value


def nonnegative(ctx, param, value):
    if value is not None and value < 0:
        raise click.BadParameter(f"must be >= 0, got {value}")
    return value


def write_atomic(path, text: str) -> None:
    """Write a file through a temporary one and a rename: readers see the old text or the new."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def sigterm_interrupts():
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


