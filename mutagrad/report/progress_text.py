"""A one-line text progress for notebooks (`run_catalog`): a carriage return redraws it in place."""
from __future__ import annotations

import time

BAR_WIDTH = 24  # characters of the bar; the line stays short enough for a notebook cell


def text_progress(stream, total: int | None = None, clock=time.monotonic):
    """The runner's progress(kind, item, done, total) callback, drawing 'checking mutants [###   ] 3/81 eta 0:42'."""
    start = clock()
    draw(stream, 0, total, None)

    def advance(kind, item, done, total):
        elapsed = clock() - start
        eta = elapsed / done * (total - done) if done and total else None
        draw(stream, done, total, eta)
        if total and done >= total:
            stream.write("\n")
        stream.flush()

    return advance


def draw(stream, done: int, total: int | None, eta: float | None) -> None:
    """One frame of the line, over the previous one."""
    filled = BAR_WIDTH * done // total if total else 0
    left = "-:--" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
    stream.write(f"\rchecking mutants [{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done}/{total or '?'} eta {left}")
    stream.flush()
