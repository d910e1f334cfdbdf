"""The trusted side of a server process (server.py): functions that look local, run remotely.

`Server` starts the process (process.py: in its sandbox, with its limits), loads one source
into it and gives back `RemoteFunction`s: callables whose signature is the remote function's,
so the checker's protocol runs unchanged here, in a process that never runs the code. Each
call ships its arguments as data (wire.py), with the legacy global RNG state and any `rng`
Generator's state as they are here, so dropout masks stay pinned across the boundary; X and Y
are sent once, parameters as the entries that changed, and a forward's cache stays there.

What the code raises comes back as a `RemoteError` subclass of the same type name, with its
file:line; a hang, a crash, running out of memory or a malformed reply ends the process and
raises `ServerLost` (a BaseException: the checker must not take it for the code's own error).
"""
from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import os
import select
import shutil
import signal
import time

import numpy as np

from . import sandbox, wire
from .process import Process, ServerLost, start, wall_backstop  # noqa: F401 (ServerLost, wall_backstop: for callers)

MAX_REPLY = 512 * 2**20  # bytes of arrays in one reply: gradients of the largest networks are a few MB
OUTPUT_LIMIT = 4096  # bytes of the code's printed output kept in the record
DATA_KEEP = 4  # data sets (X, Y) the server keeps, as server.KEEP
PATCH_FRACTION = 0.25  # send changed entries only while they are at most this share of an array
CPU_MARGIN = 0.5  # a process killed this close to its CPU limit used it up
EXIT_WAIT = 2.0  # seconds to wait for the exit status of a process whose pipe closed


BUILTIN_ERRORS = {e.__name__: e for e in (KeyError, IndexError, ValueError, TypeError, AttributeError,
                                           ZeroDivisionError, FloatingPointError, OverflowError)}


class RemoteError(Exception):
    """An exception the code under check raised; subclasses carry its type's name."""
    remote_where: str | None = None
    lookup: str | None = None  # the name whose lookup (a module-level __getattr__) raised


class CacheToken:
    """A forward's cache, kept by the server."""
    __slots__ = ("token",)

    def __init__(self, token: int):
        self.token = token


class Server:
    """One server process, in its sandbox, with its private folder; close() ends it and everything it started."""

    def __init__(self, *, sandbox_choice: str = "auto", cpu_seconds: float | None = None,
                 memory_mb: int | None = None, label: str = "the model file", started: Process | None = None):
        """started: a process.start() with the same limits, begun earlier (it boots while the caller imports)."""
        self.label, self.cpu_seconds, self.memory_mb = label, cpu_seconds, memory_mb
        backstop = wall_backstop(cpu_seconds)
        self.deadline = None if backstop is None else time.monotonic() + backstop
        self.data: dict[int, np.ndarray] = {}  # id -> the array sent (held, so its id stays unique)
        self.data_tokens: dict[int, int] = {}
        self.sent_parameters: dict[str, np.ndarray] = {}
        self.sent_legacy = None
        self.next_token, self.closed = 0, False
        started = started or start(sandbox.resolve(sandbox_choice), cpu_seconds, memory_mb)
        self.kind, self.process, self.folder = started.kind, started.popen, started.folder
        self.req_w, self.rep_r, self.output_file = started.req_w, started.rep_r, started.output_file
        self.started = started.started

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def load(self, source: str, filename: str, roles: dict, constants=()) -> tuple[dict, dict]:
        """Run `source` there as file `filename`; ({role: RemoteFunction or None if not callable}, constants)."""
        reply, _ = self._request({"op": "load", "source": source, "filename": filename, "roles": roles,
                                  "constants": list(constants)})
        functions = {}
        found = reply.get("functions")
        if not isinstance(found, dict):
            self._malformed("no function table")
        for role, info in found.items():
            if role not in roles or not isinstance(info, dict):
                self._malformed("an unknown function")
            functions[role] = RemoteFunction(self, role, str(info.get("name")), info.get("params")) \
                if info.get("callable") is True else None
        constants = reply.get("constants")
        return functions, constants if isinstance(constants, dict) else {}

    def call(self, role: str, args: tuple, kwargs: dict):
        arrays: list = []
        header = {"op": "call", "fn": role, "keep_cache": role == "forward", "forget": []}
        hook = functools.partial(self._hook, arrays=arrays)
        encoded = []
        for i, arg in enumerate(args):
            if i < 2 and role in ("forward", "backward") and isinstance(arg, np.ndarray):
                encoded.append(self._data(arg, arrays, header["forget"]))
            elif i == 2 and role == "forward" and _is_parameters(arg):
                encoded.append({"$p": self._parameters(arg, arrays)})
            else:
                encoded.append(wire.encode(arg, arrays, hook))
        header["args"] = encoded
        header["kwargs"] = wire.encode(dict(kwargs), arrays, hook)
        header["legacy"] = self._legacy(arrays)
        try:
            reply, out = self._request(header, arrays)
        except RemoteExit as exc:
            self.close()
            raise ServerLost("crashed", str(exc)) from None
        try:
            return wire.decode(reply.get("value"), out, self._tag)
        except (wire.WireError, TypeError, ValueError) as exc:
            self._malformed(str(exc))

    def entries(self, role: str, X, Y, parameters: dict, kwargs: dict, name: str, steps,
                at=None) -> tuple | None:
        """(costs, steps taken, cost dtype), each (entries, steps), with parameters[name]'s entries moved
        one at a time by each step (only the flat entries `at`, if given) and the RNG states as
        they are here before each call. `at` an array: (directions, steps), parameters[name] moved
        along each direction (steps taken None: the caller computes them). None when the server
        asks for the calls one at a time (an exception, an odd cost)."""
        if not _is_parameters(parameters) or name not in parameters:
            return None
        arrays: list = []
        hook = functools.partial(self._hook, arrays=arrays)
        forget: list = []
        header = {"op": "call", "fn": role, "forget": forget,
                  "args": [self._data(X, arrays, forget), self._data(Y, arrays, forget),
                           {"$p": self._parameters(parameters, arrays)}],
                  "kwargs": wire.encode(dict(kwargs), arrays, hook), "legacy": self._legacy(arrays),
                  "entries": {"name": name, "steps": [float(h) for h in steps],
                              "at": None if at is None or isinstance(at, np.ndarray) else [int(i) for i in at]}}
        directions = None
        if isinstance(at, np.ndarray):  # directions: the component at theta + h d for each d and step h
            directions = np.asarray(at, dtype=float)
            directions = directions if directions.ndim == np.ndim(parameters[name]) + 1 else directions[None]
            header["entries"]["direction"] = wire.encode(directions, arrays)
        try:
            reply, out = self._request(header, arrays)
        except RemoteExit as exc:
            self.close()
            raise ServerLost("crashed", str(exc)) from None
        if reply.get("fallback") is True:
            return None
        try:
            costs, taken = (wire.decode(reply.get(k), out) for k in ("costs", "taken"))
            dtype = np.dtype(str(reply.get("dtype")))
        except (wire.WireError, TypeError, ValueError) as exc:
            self._malformed(str(exc))
        shape = (len(directions) if directions is not None else int(np.size(parameters[name])) if at is None
                 else len(at), len(steps))
        if not all(isinstance(a, np.ndarray) and a.shape == shape and a.dtype == np.float64 for a in (costs, taken)) \
                or dtype.kind not in "fiuc":
            self._malformed("entry costs of the wrong shape or type")
        if directions is not None:
            taken = None  # along directions the caller knows the steps taken (lines.steps_taken), not the server
        return costs, taken, dtype

    def output(self) -> str | None:
        """What the code printed (its first OUTPUT_LIMIT bytes), or None if nothing."""
        with contextlib.suppress(OSError, ValueError):
            size = os.fstat(self.output_file.fileno()).st_size
            self.output_file.seek(0)
            text = self.output_file.read(OUTPUT_LIMIT).decode("utf-8", errors="replace")
            if size > OUTPUT_LIMIT:
                text += f"\n... ({size - OUTPUT_LIMIT} more bytes)"
            return text or None
        return None

    def close(self) -> None:
        """Kill the process and everything it started (its group, or its PID namespace); remove its folder."""
        if self.closed:
            return
        self.closed = True
        for fd in (self.req_w, self.rep_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the protocol -------------------------------------------------------------------------

    def _request(self, header: dict, arrays=()) -> tuple[dict, list]:
        if self.closed:
            raise ServerLost("crashed", f"{self.label}: its process has already ended")
        try:
            self._send(wire.pack(header, arrays))
            reply, out = wire.receive(self.rep_r, self.deadline, limit=MAX_REPLY)
        except wire.Deadline:
            self.close()
            raise ServerLost("timeout", f"no reply within the wall-clock backstop of {wall_backstop(self.cpu_seconds):g} s")
        except (wire.Closed, BrokenPipeError):
            raise self._lost() from None
        except wire.WireError as exc:
            self._malformed(str(exc))
        if reply.get("ok") is True:
            return reply, out
        error = reply.get("error")
        if not isinstance(error, dict):
            self._malformed("an error without a description")
        raise self._error(error)

    def _send(self, frame: bytes) -> None:
        view = memoryview(frame)
        while view:
            wait = None if self.deadline is None else self.deadline - time.monotonic()
            if wait is not None and (wait <= 0 or not select.select([], [self.req_w], [], wait)[1]):
                raise wire.Deadline("the process stopped reading")
            try:
                view = view[os.write(self.req_w, view):]
            except BlockingIOError:
                continue

    def _error(self, error: dict) -> BaseException:
        kind = str(error.get("type", "Exception"))[:100]
        message = str(error.get("message", ""))[:1000]
        where = error.get("where") if isinstance(error.get("where"), str) else None
        suffix = f" ({where[:200]})" if where else ""
        if error.get("memory") is True:
            self.close()
            limit = f"its {self.memory_mb} MB memory limit (--memory-mb)" if self.memory_mb else "the memory available"
            detail = f": MemoryError: {message}" if message else ""
            return ServerLost("crashed", f"out of memory: the code needed more than {limit}{detail}{suffix}")
        if error.get("exit") is True:
            code = error.get("code")
            exc = RemoteExit(f"the code called sys.exit({code!r}){suffix}")
            exc.code = code
            return exc
        name = kind if kind.isidentifier() else "Exception"
        base = BUILTIN_ERRORS.get(name)  # so `except KeyError` and isinstance checks see what it was
        args = (message,)
        if base is KeyError:  # str(KeyError('W3')) is "'W3'": the key back, read as a literal, never run
            with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
                key = ast.literal_eval(message)
                args = (key,) if isinstance(key, str) else args
        exc = type(name, (RemoteError, base) if base else (RemoteError,), {})(*args)
        exc.remote_where = where
        exc.lookup = error.get("lookup") if isinstance(error.get("lookup"), str) else None
        return exc

    def why_lost(self) -> ServerLost:
        """Why the process ended (its pipe closed), as a ServerLost; the process is closed."""
        return self._lost()

    def _lost(self) -> ServerLost:
        """The pipe closed: why the process ended, from its exit status and the CPU time it used."""
        status, used = self._wait(EXIT_WAIT)
        self.close()
        # Under bwrap the exit status carries no CPU time: a single-threaded process used at most its
        # lifetime, so one killed after living past its CPU limit may have used it up.
        used = max(used, time.monotonic() - self.started) if self.kind is sandbox.Kind.BWRAP else used
        limit = self.cpu_seconds
        sig = _signal_of(status, self.kind)
        if limit is not None and (sig in (signal.SIGXCPU, signal.SIGKILL) and used >= int(np.ceil(limit)) - CPU_MARGIN
                                  or sig == signal.SIGXCPU):
            return ServerLost("timeout", f"used up its CPU-time limit of {limit:g} s")
        if sig is not None:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
            why = " (out of memory?)" if sig == signal.SIGKILL else ""
            return ServerLost("crashed", f"the process was killed by {name}{why}")
        return ServerLost("crashed", f"the process exited with code {status} without a result (os._exit?)")

    def _malformed(self, why: str):
        self.close()
        raise ServerLost("crashed", f"the process running the code sent a malformed reply ({why}); "
                                    f"none of it was used")

    def _wait(self, seconds: float) -> tuple[int | None, float]:
        """(exit status, CPU seconds used) of the process, waiting at most `seconds`."""
        end = time.monotonic() + seconds
        while True:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                self.process.returncode = status  # reaped here: Popen must not wait for it again
                return status, usage.ru_utime + usage.ru_stime
            if time.monotonic() >= end:
                return None, 0.0
            time.sleep(0.005)

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.returncode is None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.process.pid, 0)
            self.process.returncode = -signal.SIGKILL

    # -- what crosses ------------------------------------------------------------------------------

    def _data(self, array: np.ndarray, arrays: list, forget: list) -> dict:
        """X or Y: sent once, then named by its token (the same object: the protocol never changes it)."""
        token = self.data_tokens.get(id(array))
        if token is not None and self.data[token] is array:
            return {"$x": {"token": token}}
        self.next_token += 1
        token = self.next_token
        self.data[token], self.data_tokens[id(array)] = array, token
        while len(self.data) > DATA_KEEP:
            old = next(iter(self.data))
            self.data_tokens.pop(id(self.data.pop(old)), None)
            forget.append(old)
        return {"$x": {"token": token, "value": wire.encode(array, arrays)}}

    def _parameters(self, parameters: dict, arrays: list) -> dict:
        """Each array: "same", its changed entries, or in full; the server keeps the last ones."""
        spec, sent = {}, {}
        for key, value in parameters.items():
            value = np.asarray(value)
            last = self.sent_parameters.get(key)
            if last is not None and last.shape == value.shape and last.dtype == value.dtype:
                at = np.flatnonzero(last != value)
                if at.size == 0:
                    spec[key], sent[key] = "same", last
                    continue
                if at.size <= PATCH_FRACTION * value.size:
                    to = value.reshape(-1)[at]
                    spec[key] = {"at": wire.encode(at, arrays), "to": wire.encode(to, arrays)}
                    sent[key] = value.copy()
                    continue
            spec[key] = {"full": wire.encode(value, arrays)}
            sent[key] = value.copy()
        self.sent_parameters = sent
        return spec

    def _legacy(self, arrays: list):
        """The legacy global RNG's state, or "same" when unchanged since the last call."""
        name, keys, pos, has_gauss, gauss = np.random.get_state()
        last = self.sent_legacy
        if last is not None and last[1:] == (pos, has_gauss, gauss) and np.array_equal(last[0], keys):
            return "same"
        self.sent_legacy = (keys, pos, has_gauss, gauss)
        return {"keys": wire.encode(keys, arrays), "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)}

    @staticmethod
    def _hook(value, arrays):
        if isinstance(value, CacheToken):
            return {"$c": value.token}
        if isinstance(value, np.random.Generator):
            state = value.bit_generator.state
            return {"$g": {"bit_generator": state.get("bit_generator"), "state": wire.encode(state, arrays)}}
        return None

    def _tag(self, tag, body):
        if tag == "$c" and isinstance(body, int) and not isinstance(body, bool):
            return CacheToken(body)
        raise wire.WireError(f"an unexpected tag {str(tag)[:20]!r}")


class RemoteExit(RemoteError):
    """The code called sys.exit."""
    code = None


def _is_parameters(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in value.items())


def _signal_of(status: int | None, kind) -> int | None:
    if status is None:
        return signal.SIGKILL  # no exit status yet: we kill it
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    if kind is sandbox.Kind.BWRAP and code > 128:  # bwrap reports its child's signal as 128 + signal
        return code - 128
    return None


class RemoteFunction:
    """A function of the server's, callable here; inspect.signature sees the remote one's parameters."""

    def __init__(self, server: Server, role: str, name: str, params):
        self.server, self.role, self.__name__ = server, role, name
        self.__qualname__ = name
        self.__signature__ = _signature(params)

    def __call__(self, *args, **kwargs):
        return self.server.call(self.role, args, kwargs)

    def entry_costs(self, X, Y, parameters: dict, kwargs: dict, name: str, steps, at=None):
        """Many costs in one request (see Server.entries); None: make the calls one at a time."""
        return self.server.entries(self.role, X, Y, parameters, kwargs, name, steps, at)

    def __repr__(self) -> str:
        return f"<remote function {self.__name__}>"


def _signature(params) -> inspect.Signature | None:
    """The remote function's signature, from [[name, kind, default]]; None if unknown or malformed."""
    if not isinstance(params, list):
        return None
    try:
        out = []
        for name, kind, default in params:
            kind = inspect._ParameterKind(int(kind))
            if not isinstance(default, list) or len(default) > 1:
                return None
            value = inspect.Parameter.empty if not default else default[0]
            if isinstance(value, dict):  # {"$o": type}: a default that could not cross
                value = wire.opaque(str(value.get("$o", "object")))
            out.append(inspect.Parameter(str(name), kind, default=value))
        return inspect.Signature(out)
    except (TypeError, ValueError):
        return None
