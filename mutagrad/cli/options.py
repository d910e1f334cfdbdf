"""Options and helpers shared by the command groups."""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import tempfile
import threading

import click


SEED_HELP = "Seed for data, parameters, moved points and dropout masks."
SEED_MAX = 2 ** 32 - 1  # numpy's legacy seeding (np.random.seed) takes 0 .. 2**32 - 1
SEED = click.IntRange(min=0, max=SEED_MAX)
TIMEOUT_MAX = 86_400.0  # seconds: a day; longer is a typo, and 1e300 or inf overflow the process timers
MEMORY_MB = click.IntRange(min=256)  # numpy alone maps about 200 MB
MEMORY_HELP = "Memory limit (address space) of the child process that runs the code, in MB."
SANDBOX = click.Choice(["auto", "bwrap", "none"])
SANDBOX_HELP = ("Where the code under check runs: bwrap (bubblewrap: no network, no view of your files), "
                "none (a plain child process with limits), auto (bwrap when it works here).")
CATALOG_HELP = ("A YAML file or a folder of them, instead of the built-in catalog (or the operator mutants of "
                "your model file: `generate operators --file`).")
SHOW_WIDTH = 88  # `mutagrad show` wraps prose at this width, or at the terminal's if narrower


def show_width() -> int:
    """The width prose is wrapped at: the terminal's, at most SHOW_WIDTH (a readable line)."""
    return min(SHOW_WIDTH, shutil.get_terminal_size((SHOW_WIDTH, 24)).columns - 1)


class FullHelpGroup(click.Group):
    """A command group whose --help lists each command's whole first sentence, wrapped, never cut with '...'."""

    def format_commands(self, ctx, formatter):
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and command.short_help is None and command.help:
                command.short_help = " ".join(command.help.split("\n\n")[0].split())
        super().format_commands(ctx, formatter)


class FiniteFloat(click.ParamType):
    """A float that is not nan or inf, in [low, high] (low excluded when low_open)."""
    name = "float"

    def __init__(self, low: float = -math.inf, high: float = math.inf, low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(value):
            self.fail(f"must be a finite number, got {value}", param, ctx)
        if (value <= self.low if self.low_open else value < self.low):
            self.fail(f"must be {'>' if self.low_open else '>='} {self.low:g}, got {value:g}", param, ctx)
        if value > self.high:
            self.fail(f"must be <= {self.high:g}, got {value:g}", param, ctx)
        return value


TIMEOUT = FiniteFloat(low=0, high=TIMEOUT_MAX, low_open=True)
LAMBD = FiniteFloat(low=0)  # nan or inf would be blamed on the model file


def seed_range(count_option: str):
    """A callback for --seed when the command also uses the next seeds, up to seed + COUNT - 1."""
    def check(ctx, param, value):
        count = ctx.params.get(count_option)
        if value is not None and count is not None and value + count - 1 > SEED_MAX:
            raise click.BadParameter(f"{value} + --{count_option.replace('_', '-')} {count} - 1 "
                                     f"exceeds {SEED_MAX}, the largest seed", ctx=ctx, param=param)
        return value
    return check


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # a name of its own
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


