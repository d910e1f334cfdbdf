"""One run per output folder: `mutagrad run` holds an exclusive lock on OUT/.lock while it writes."""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from ..errors import MutagradError

LOCK_NAME = ".lock"


class FolderBusy(MutagradError):
    """Another run holds the output folder."""


@contextlib.contextmanager
def locked_folder(folder, option: str = "--out"):
    """Create `folder` if needed and hold its lock; FolderBusy at once if another process holds it.

    The lock is the kernel's (flock): it ends with the process, so a killed run leaves no stale lock.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise MutagradError(f"{option} {folder}: cannot use it as the output folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise FolderBusy(f"{option} {folder}: another mutagrad run{who} is writing to this folder; "
                             f"wait for it to end, or choose another {option}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield folder
    finally:
        os.close(fd)  # releases the lock
