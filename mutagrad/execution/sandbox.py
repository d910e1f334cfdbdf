"""How the server process that runs code under check is started: under bubblewrap, or plainly.

bwrap  bubblewrap: no network, its own PID namespace (nothing it starts outlives it), no
       capabilities, a read-only view of only the system and Python folders, and one writable
       private folder (its /tmp and working folder); the user's files are not in its view.
none   a plain child process in its own session, killed as a group at the end.

Either way the process gets hard resource limits (hard = soft, so the code cannot lift them):
CPU time, address space, file size, no core files; and it dies with its parent.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from enum import Enum
from pathlib import Path

from ..errors import MutagradError

CHOICES = ("auto", "bwrap", "none")
INSIDE = "/tmp"  # the private folder's path inside the sandbox
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime")
ENV_KEPT = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # the last two: correctness on some CPUs
THREADS = "1"  # BLAS threads: CPU time then measures the code's own work, and 8 users share 2 cores
FILE_MB = 256  # largest file the code may write (its printed output included)
PROBE_TIMEOUT = 20  # seconds for `bwrap ... true`, once per process
PR_SET_PDEATHSIG = 1


class Kind(str, Enum):
    BWRAP = "bwrap"
    NONE = "none"


def resolve(choice: str) -> Kind:
    """The sandbox to use for --sandbox `choice`; MutagradError if bwrap is asked for and cannot run."""
    if choice not in CHOICES:
        raise MutagradError(f"--sandbox {choice!r}: choose one of: {', '.join(CHOICES)}")
    if choice == "none":
        return Kind.NONE
    problem = bwrap_problem()
    if problem is None:
        return Kind.BWRAP
    if choice == "bwrap":
        raise MutagradError(f"--sandbox bwrap: bubblewrap cannot run here: {problem}")
    return Kind.NONE


def note(kind: Kind) -> str | None:
    """The line that says no sandbox was used, or None."""
    if kind is Kind.BWRAP:
        return None
    why = bwrap_problem()
    return (f"no sandbox was used ({why}): the code ran as a plain child process with CPU, memory and "
            f"file-size limits; install bubblewrap (bwrap) to cut it off from the network and your files")


@functools.cache
def bwrap_problem() -> str | None:
    """None when bubblewrap can create its namespaces here; otherwise why not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bwrap is not installed"
    try:
        with tempfile.TemporaryDirectory(prefix="mutagrad-probe-") as folder:
            done = subprocess.run([exe, *_bwrap_args(Path(folder)), "--", "true"], stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap did not start: {exc}"
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return f"bwrap failed: {lines[-1] if lines else f'exit code {done.returncode}'}"
    return None


def command(kind: Kind, folder: Path, argv: list[str], read_only=()) -> list[str]:
    """argv, run in `kind`'s sandbox with `folder` as its only writable (and working) folder.

    read_only: more folders the code may read (e.g. the mutagrad package), at the same paths.
    """
    if kind is Kind.NONE:
        return argv
    return [shutil.which("bwrap"), *_bwrap_args(folder, read_only), "--chdir", INSIDE, "--", *argv]


def working_folder(kind: Kind, folder: Path) -> Path:
    """The private folder's path as the code under check sees it."""
    return Path(INSIDE) if kind is Kind.BWRAP else folder


def environment() -> dict:
    """The few variables the code under check gets (no tokens, no paths to the user's files)."""
    env = {k: os.environ[k] for k in ENV_KEPT if k in os.environ}
    env.update(HOME=INSIDE, OPENBLAS_NUM_THREADS=THREADS, OMP_NUM_THREADS=THREADS, MKL_NUM_THREADS=THREADS)
    return env


def _bwrap_args(folder: Path, read_only=()) -> list[str]:
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(folder), INSIDE]
    for path in (*_python_folders(), *read_only):  # after the private folder: a venv under /tmp stays visible
        args += ["--ro-bind", path, path]
    for key, value in environment().items():
        args += ["--setenv", key, value]
    return args


@functools.cache
def _python_folders() -> tuple[str, ...]:
    """The interpreter, its standard library, numpy and mutagrad/execution: read-only, nothing beside them."""
    numpy = importlib.util.find_spec("numpy")  # found, not imported: a worker starts the server before numpy
    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(numpy.origin).resolve().parents[1]), str(Path(__file__).resolve().parent)}
    paths = sorted(os.path.realpath(p) for p in paths if os.path.isdir(p))
    kept = [p for p in paths if not any(p != q and p.startswith(q + os.sep) for q in paths)]
    return tuple(p for p in kept if not p.startswith("/usr/"))


def limiter(cpu_seconds: int | None, memory_mb: int | None):
    """A preexec function: limits with hard = soft, killed with its parent."""
    c = libc()  # loaded before the fork: the child only calls into it

    def limit() -> None:
        if c is not None:
            c.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        hard_limit(resource.RLIMIT_CORE, 0)
        hard_limit(resource.RLIMIT_FSIZE, FILE_MB * 2**20)
        if memory_mb is not None:
            hard_limit(resource.RLIMIT_AS, memory_mb * 2**20)
        if cpu_seconds is not None:
            hard_limit(resource.RLIMIT_CPU, cpu_seconds)
    return limit


def hard_limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


@functools.cache
def libc():
    """The C library, for prctl (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def non_dumpable() -> None:
    """Make this (trusted) process non-dumpable: a process of the same user cannot ptrace it."""
    c = libc()
    if c is not None:
        c.prctl(4, 0)  # PR_SET_DUMPABLE, 0
