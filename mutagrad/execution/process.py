"""The server's process: started in its sandbox with its limits, pipes and private folder.

This module imports neither numpy nor the wire format, so a trusted worker can start the
server first and import the checker while the server boots (Python and numpy take about a
tenth of a second to start; a check of a small file takes little more). remote.Server talks
to the process; ServerLost is what it raises when the process ends badly.
"""
from __future__ import annotations

import contextlib
import fcntl
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox

SERVER_DIR = str(Path(__file__).resolve().parent)
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); import server; server.main(int(sys.argv[2]), int(sys.argv[3]))"
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged pipe (/proc/sys/fs/pipe-max-size)
WALL_FACTOR = 3  # the wall-clock backstop: WALL_FACTOR x the CPU limit + WALL_SLACK ...
WALL_SLACK = 30.0  # ... seconds, so load on a shared machine never trips it first


class ServerLost(BaseException):
    """The process running the code hung, crashed or broke the protocol: `status` timeout or crashed."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def wall_backstop(cpu_seconds: float | None) -> float | None:
    return None if cpu_seconds is None else WALL_FACTOR * cpu_seconds + WALL_SLACK


@dataclass
class Process:
    """A started server process: its pipes (ours to write requests, to read replies) and its private folder."""
    kind: sandbox.Kind
    popen: subprocess.Popen
    req_w: int
    rep_r: int
    folder: Path
    output_file: object  # an unnamed temporary file: what the code prints
    started: float = field(default_factory=time.monotonic)


def start(kind: sandbox.Kind, cpu_seconds: float | None, memory_mb: int | None, boot: str = BOOT,
          path: str = SERVER_DIR, read_only=()) -> Process:
    """Start server.py in `kind`'s sandbox with hard CPU-time (whole seconds) and memory limits.

    boot, path: another program (`python -I -c boot path REQUEST_FD REPLY_FD`), e.g. one that imports
    mutagrad from `path`; read_only: the folders it needs to read besides Python's (sandbox.command).
    """
    folder = Path(tempfile.mkdtemp(prefix="mutagrad-sandbox-"))
    output_file = tempfile.TemporaryFile()  # unnamed: the code can only write to it
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    for fd in (req_w, rep_w):
        _widen(fd)
    argv = [sys.executable, "-I", "-B", "-c", boot, path, str(req_r), str(rep_w)]
    cpu = None if cpu_seconds is None else max(1, math.ceil(cpu_seconds))
    try:
        popen = subprocess.Popen(
            sandbox.command(kind, folder, argv, read_only), stdin=subprocess.DEVNULL, stdout=output_file,
            stderr=output_file, pass_fds=(req_r, rep_w), cwd=folder, env=sandbox.environment(),
            start_new_session=True, preexec_fn=sandbox.limiter(cpu, memory_mb))
    except BaseException:
        for fd in (req_w, rep_r):
            os.close(fd)
        output_file.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        os.close(req_r)
        os.close(rep_w)
    fcntl.fcntl(req_w, fcntl.F_SETFL, fcntl.fcntl(req_w, fcntl.F_GETFL) | os.O_NONBLOCK)
    return Process(kind, popen, req_w, rep_r, folder, output_file)


def _widen(fd: int) -> None:
    """Give a pipe PIPE_BYTES of buffer where Linux allows it: a frame of parameters then crosses in one write."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
