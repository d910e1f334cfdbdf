"""Assertions for test suites, in the manner of numpy.testing: a failure reads like `mutagrad check`."""
from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from typing import Any

from rich.console import Console

from .api import check
from .errors import InconclusiveWarning
from .records.check import CheckResult, Verdict
from .report.check_text import render_check

MESSAGE_WIDTH = 120  # the table's width in the message; the hint is never wrapped

__all__ = ["assert_gradients_ok", "failure_message"]


def assert_gradients_ok(forward: Callable, backward: Callable, parameters: dict, X: Any, Y: Any,
                        accept_inconclusive: bool = False, **options: Any) -> CheckResult:
    """Raise AssertionError, with the per-component table, when a gradient fails; warn when inconclusive.

    Args:
        forward: forward(X, Y, parameters[, lambd][, keep_prob]) -> (cost, cache).
        backward: backward(X, Y, cache[, lambd][, keep_prob]) -> grads with dW1, db1, ...
        parameters: {"W1": ..., "b1": ..., ...}; never modified.
        X: inputs, shape (n_x, m).
        Y: labels, shape (n_y, m).
        accept_inconclusive: no InconclusiveWarning when something could not be judged and nothing fails.
        **options: lambd, keep_prob, seed, method, mode, as for mutagrad.check.

    Returns:
        The CheckResult, for further assertions. An inconclusive result does not fail the test but
        warns (InconclusiveWarning, with the table; `-W error::mutagrad.errors.InconclusiveWarning`
        makes it fail), unless accept_inconclusive.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, then the table
    result = check(forward, backward, parameters, X, Y, **options)
    if result.verdict is Verdict.FAIL:
        raise AssertionError(failure_message(result))
    if result.verdict is Verdict.INCONCLUSIVE and not accept_inconclusive:
        warnings.warn(InconclusiveWarning(failure_message(result)), stacklevel=2)
    return result


def failure_message(result: CheckResult) -> str:
    """The CLI's table, verdict, localization and hint as plain text."""
    out = io.StringIO()
    console = Console(file=out, width=MESSAGE_WIDTH, color_system=None, highlight=False, soft_wrap=True)
    render_check(result, console=console)
    what = (f"{result.localized} is the first wrong gradient" if result.localized
            else "inconclusive: nothing fails, but not everything could be judged"
            if result.verdict is Verdict.INCONCLUSIVE else "the check could not finish")
    lines = [f"mutagrad: {what} (seed {result.seed})"] + out.getvalue().splitlines()
    return "\n".join(line.rstrip() for line in lines)
