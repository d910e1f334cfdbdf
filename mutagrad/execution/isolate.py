"""Forked worker processes, one per call: the trusted side of a check, a campaign task or a grade.

Each call runs in its own child, forked from the caller (numpy stays imported, so a child costs
a couple of milliseconds), with a wall-clock timeout, an address-space limit (hard = soft), its
working directory set to a fresh temporary folder and stdin closed. The children run mutagrad's
own code; code mutagrad did not write runs in a server process (remote.py) that a child starts,
which sends back data only. The child sends its return value back pickled through a pipe
(it never ran untrusted code); whatever happens in it, the caller gets one `Isolated` record:

  ok       fn returned; `value` is what it returned
  raised   fn raised an exception; `error` is "Type: message (file:line)", `exception` the object
  timeout  no result within `timeout` seconds; the child was killed
  crashed  the child ended without a result: os._exit, a signal, sys.exit, or a MemoryError
           (an allocation over the memory limit)

A remote.ServerLost raised in the child (its server used up its CPU time, crashed or ran out
of memory) becomes `timeout` or `crashed` with the server's message.

A child ignores Ctrl-C: the caller stops, and kills every child it started before it returns.
"""
from __future__ import annotations

import contextlib
import faulthandler
import functools
import io
import math
import os
import pickle
import resource
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import safe_pickle
from .process import ServerLost
from .sandbox import hard_limit, libc as sandbox_libc

DEFAULT_MEMORY_MB = 2048  # per child; a 10 GB allocation becomes a MemoryError, not the OOM killer
CPU_GRACE = 5  # RLIMIT_CPU = timeout x cores + this: a backstop if the parent dies before it can kill a child
REAP_POLL = 0.001  # seconds between checks that a child which sent no result has exited
READ_CHUNK = 1 << 16
NO_RESULT_EXIT = 70  # a child that could not even send its result exits with this code


class Status(str, Enum):
    OK = "ok"
    RAISED = "raised"
    TIMEOUT = "timeout"
    CRASHED = "crashed"


@dataclass(frozen=True)
class Isolated:
    """What became of one call run in a child process."""
    status: Status
    value: Any = None  # fn's return value (OK only)
    error: str | None = None  # one line (every other status)
    exception: BaseException | None = None  # the exception fn raised (RAISED), when it could be pickled

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


def run_isolated(fn: Callable, *args, timeout: float | None, memory_mb: int | None = DEFAULT_MEMORY_MB,
                 cwd: str | os.PathLike | None = None, **kwargs) -> Isolated:
    """Call fn(*args, **kwargs) in a forked child and return what became of it.

    Args:
        fn: any callable; it and its arguments reach the child by fork, not by pickling.
        timeout: wall-clock seconds before the child is killed (None: no limit).
        memory_mb: the child's address-space limit (RLIMIT_AS) in MB (None: no limit).
        cwd: the child's working directory; None: a fresh temporary folder, removed afterwards.

    Returns:
        An Isolated record: status ok / raised / timeout / crashed, the value or a one-line error.
    """
    calls = [(functools.partial(fn, **kwargs) if kwargs else fn, args)]
    with contextlib.closing(run_each(calls, jobs=1, timeout=timeout, memory_mb=memory_mb, cwd=cwd)) as results:
        return next(results)[1]


def run_each(calls: Iterable[tuple[Callable, tuple]], *, jobs: int = 1, timeout: float | None,
             memory_mb: int | None = DEFAULT_MEMORY_MB, cwd=None) -> Iterator[tuple[int, Isolated]]:
    """Run each (fn, args) of `calls` in its own child, `jobs` at a time; yield (index, Isolated) as each ends.

    Closing the generator (or an exception in the caller, e.g. Ctrl-C) kills the running children.
    """
    pending = list(enumerate(calls))[::-1]  # pop() takes them in order
    running: dict[int, _Child] = {}  # reading the pipe; by its read end
    dying: list[_Child] = []  # pipe closed without a whole result: waiting for the exit status
    exited: list[_Child] = []  # result delivered; reaped once gone, without holding a job slot
    selector = selectors.DefaultSelector()

    def stop_reading(child: _Child) -> None:
        # Tolerant of a Ctrl-C that landed between the steps of starting or stopping a child.
        running.pop(child.fd, None)
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(child.fd)
        with contextlib.suppress(OSError):
            os.close(child.fd)

    try:
        while pending or running or dying:
            while pending and len(running) + len(dying) < max(1, jobs):
                index, (fn, args) = pending.pop()
                child = _start(index, fn, args, timeout, memory_mb, cwd)
                running[child.fd] = child
                selector.register(child.fd, selectors.EVENT_READ)
            deadlines = [c.deadline for c in [*running.values(), *dying] if c.deadline is not None]
            wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            if dying:
                wait = REAP_POLL if wait is None else min(wait, REAP_POLL)
            for key, _ in (selector.select(wait) if running else _sleep(wait)):
                child = running[key.fd]
                data = os.read(child.fd, READ_CHUNK)
                if data:
                    child.chunks.append(data)
                    continue
                stop_reading(child)
                outcome = _received(child)
                (dying if outcome is None else exited).append(child)
                if outcome is not None:
                    yield child.index, outcome
            for child in [*dying, *exited]:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
                if pid:
                    child.cleanup()
                    if child in dying:
                        dying.remove(child)
                        yield child.index, _ended(status)
                    else:
                        exited.remove(child)
            now = time.monotonic()
            for child in [c for c in [*running.values(), *dying] if c.deadline is not None and now >= c.deadline]:
                if child in dying:
                    dying.remove(child)
                else:
                    stop_reading(child)
                _kill(child)
                yield child.index, Isolated(Status.TIMEOUT, error=f"no result within {timeout:g} s (the time limit)")
    finally:
        for child in list(running.values()):
            stop_reading(child)
            _kill(child)
        for child in [*dying, *exited]:
            _kill(child)
        selector.close()


@dataclass
class _Child:
    index: int
    pid: int
    fd: int
    deadline: float | None
    folder: str | None  # a temporary working folder to remove, if we made one
    chunks: list

    def cleanup(self) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _sleep(seconds):
    time.sleep(seconds or 0)
    return ()


def _start(index, fn, args, timeout, memory_mb, cwd) -> _Child:
    folder = tempfile.mkdtemp(prefix="mutagrad-") if cwd is None else None
    parent = os.getpid()
    libc = sandbox_libc()  # loaded before the fork: the child only calls into it
    read, write = os.pipe()
    sys.stdout.flush()  # a child must not inherit (and later print) the parent's buffered output
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = NO_RESULT_EXIT
        try:
            os.close(read)
            _limit(parent, libc, timeout, memory_mb)
            os.chdir(folder or cwd)
            _send(write, _call(fn, args))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = None if timeout is None else time.monotonic() + timeout
    return _Child(index, pid, read, deadline, folder, [])


def _limit(parent: int, libc, timeout, memory_mb) -> None:
    """The child's limits: Ctrl-C ignored, dies with its parent, no stdin, memory and CPU capped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    faulthandler.disable()  # a crash is reported by the parent, as one line, not as a dump on stderr
    if libc is not None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed if the parent dies
    if os.getppid() != parent:
        os._exit(NO_RESULT_EXIT)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if memory_mb is not None:  # hard = soft: code in the child cannot lift them
        hard_limit(resource.RLIMIT_AS, memory_mb * 2**20)
    if timeout is not None:  # CPU time counts every thread (BLAS): never before the wall-clock limit
        hard_limit(resource.RLIMIT_CPU, math.ceil(timeout * (os.cpu_count() or 1)) + CPU_GRACE)


def _call(fn, args) -> tuple:
    """(status, value, error, exception) of fn(*args), as the child sends it."""
    try:
        value = fn(*args)
    except ServerLost as exc:  # the server running the code under check hung or crashed
        return Status(exc.status), None, str(exc), None
    except MemoryError as exc:
        return Status.CRASHED, None, f"out of memory: MemoryError: {exc or 'over the memory limit'}{_where(exc)}", None
    except SystemExit as exc:
        return Status.CRASHED, None, f"the code called sys.exit({exc.code!r}){_where(exc)}", None
    except BaseException as exc:  # noqa: BLE001 - everything the code raised goes back to the parent
        return Status.RAISED, None, f"{type(exc).__name__}: {exc}{_where(exc)}", exc
    finally:
        try:
            sys.stdout.flush()  # what the code printed; stderr may be locked by another thread of the parent
        except Exception:
            pass
    return Status.OK, value, None, None


def _send(fd: int, outcome: tuple) -> None:
    status, value, error, exception = outcome
    if exception is not None:
        try:
            safe_pickle.loads(_dumps(exception))  # an exception the parent could not rebuild is left out
        except Exception:
            outcome = status, value, error, None
    try:
        data = _dumps(outcome)
    except Exception:
        try:
            data = _dumps((status, value, error, None))
        except Exception as exc:
            data = _dumps((Status.RAISED, None, f"the result cannot be sent back: {type(exc).__name__}: {exc}", None))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)


def _dumps(obj) -> bytes:
    """pickle.dumps by each type's own reduction: reducers a library registered in copyreg
    (tblib's for exceptions, say) would name functions the parent's safe_pickle refuses."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {}
    pickler.dump(obj)
    return buffer.getvalue()


def _received(child: _Child) -> Isolated | None:
    """The record the child sent, or None if it sent none (or died while sending it)."""
    try:
        kind, value, error, exception = safe_pickle.loads(b"".join(child.chunks))
    except safe_pickle.RefusedPickle as exc:  # nothing it named was called
        return Isolated(Status.CRASHED, error=f"the result was refused: {exc}")
    except Exception:
        return None
    return Isolated(Status(kind), value, error, exception)


def _ended(status: int) -> Isolated:
    """A child that exited without a result, from its wait status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        why = " (out of memory?)" if sig == signal.SIGKILL else ""
        return Isolated(Status.CRASHED, error=f"the process was killed by {name}{why}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return Isolated(Status.CRASHED, error=f"the process exited with code {code} without a result (os._exit?)")


def _kill(child: _Child) -> None:
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(child.pid, 0)
    except ChildProcessError:
        pass
    child.cleanup()


def _where(exc: BaseException) -> str:
    """' (file:line)' of the deepest frame outside mutagrad and the installed libraries."""
    frames = traceback.extract_tb(exc.__traceback__)
    libraries = (str(Path(__file__).resolve().parents[1]), sys.prefix, sys.base_prefix)
    own = [f for f in frames if not f.filename.startswith(libraries)] or frames
    return f" ({Path(own[-1].filename).name}:{own[-1].lineno})" if own else ""
