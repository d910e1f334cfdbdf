"""A model file checked without running it here: its code runs in a sandboxed server process.

The verdict is computed in a forked trusted worker that never imports or runs the file: it
starts a server (execution/remote.py) that loads the file's copy, and checks the remote
functions with the same protocol as everyone. Only data comes back from the server.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MutagradError, ProtocolError
from ..execution import process, sandbox as sandboxes
from ..execution.isolate import DEFAULT_MEMORY_MB, Status, run_isolated
from ..execution.process import wall_backstop

if TYPE_CHECKING:
    from ..execution.remote import Server
    from .evaluator import Model

# This module imports no numpy and none of the checker: the worker starts the server first,
# then imports them while the server boots (see _check_in_worker).
DEFAULT_CHECK_TIMEOUT = 120.0  # seconds; the largest benchmark network (784-256-128-10) checks in ~3 s
WORKER_SLACK = 15.0  # seconds beyond the server's backstop before the trusted worker itself is stopped


class IsolationError(MutagradError):
    """The model file's process gave no result: `status` is Status.TIMEOUT or Status.CRASHED."""

    def __init__(self, message: str, status: Status = Status.CRASHED):
        super().__init__(message)
        self.status = status


def load_remote_model(server: Server, path, layers=None, label: str | None = None,
                      constants=()) -> tuple[Model, dict]:
    """(Model of remote functions, the file's plain constants) for a model file loaded in `server`."""
    from .model_file import read_source
    label = label or str(path)
    source, _ = read_source(path, label)  # compiled here, never run here: syntax errors name the line
    return load_source_model(server, source, Path(path).name, label, layers, constants, str(Path(path).resolve()))


def load_source_model(server: Server, source: str, filename: str, label: str, layers=None, constants=(),
                      origin: str | None = None) -> tuple[Model, dict]:
    """load_remote_model for a model file's text (e.g. a mutant of it), loaded in `server` as `filename`."""
    from ..execution.remote import RemoteError, RemoteExit
    from .model_file import BACKWARD_NAMES, FORWARD_NAMES, _layer_dims, _with_layers, default_init_parameters, \
        default_make_data
    from .evaluator import Model, validate_signatures
    roles = {"forward": FORWARD_NAMES, "backward": BACKWARD_NAMES, "make_data": ("make_data",),
             "init_parameters": ("init_parameters",)}
    try:
        functions, values = server.load(source, filename, roles, ("LAYER_DIMS", *constants))
    except RemoteExit as exc:
        raise MutagradError(f"{label}: the file called sys.exit({exc.code}) while loading") from None
    except RemoteError as exc:
        if exc.lookup:
            raise ProtocolError(f"{label}: looking up {exc.lookup} raised {type(exc).__name__}: {exc}") from None
        raise MutagradError(f"{exc.remote_where or filename}: loading the file raised "
                            f"{type(exc).__name__}: {exc}") from None

    def find(role, required=True):
        if role in functions and functions[role] is None:
            raise ProtocolError(f"{label}: {roles[role][0]} is not a function")
        if role not in functions and required:
            raise ProtocolError(f"{label}: defines no {role} function (expected one of: {', '.join(roles[role])})")
        return functions.get(role)

    forward, backward = find("forward"), find("backward")
    dims = _layer_dims(_Constants(values), label, layers)
    model = Model(forward=forward, backward=backward, layer_dims=dims,
                  make_data=_with_layers(find("make_data", False), layers) or default_make_data(dims),
                  init_parameters=_with_layers(find("init_parameters", False), layers) or default_init_parameters(dims),
                  name=label, source=origin or filename)
    validate_signatures(model)
    return model, values


class _Constants:
    """The file's constants as attributes, for model_file._layer_dims."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def check_file_sandboxed(path, *, layers=None, timeout: float | None = DEFAULT_CHECK_TIMEOUT,
                         memory_mb: int | None = DEFAULT_MEMORY_MB, sandbox: str = "auto", **options):
    """model_file.check_file_isolated: the check in a trusted worker, the file in a server."""
    label = str(path)
    sandboxes.resolve(sandbox)  # a bad choice or a missing bwrap is bad input, said here
    backstop = wall_backstop(timeout)
    done = run_isolated(_check_in_worker, os.path.abspath(path), label, layers, options, timeout, memory_mb,
                        sandbox, timeout=None if backstop is None else backstop + WORKER_SLACK,
                        memory_mb=memory_mb)
    if done.ok:
        return done.value
    if done.status is Status.RAISED:
        if isinstance(done.exception, MutagradError):
            raise done.exception
        raise MutagradError(f"{label}: the check stopped: {done.error}")
    if done.status is Status.TIMEOUT:
        if timeout is not None and "wall-clock" not in (done.error or ""):
            raise IsolationError(f"{label}: no result within {timeout:g} s of CPU time (--timeout): an infinite loop?",
                                 Status.TIMEOUT)
        raise IsolationError(f"{label}: no result: {done.error} (--timeout): is it waiting for something?",
                             Status.TIMEOUT)
    raise IsolationError(f"{label}: the check crashed: {done.error}", Status.CRASHED)


def _check_in_worker(path: str, label: str, layers, options: dict, timeout, memory_mb, sandbox: str):
    """In the trusted worker: serve the file, check it, attach what it printed."""
    sandboxes.non_dumpable()
    started = process.start(sandboxes.resolve(sandbox), timeout, memory_mb)  # it boots while we import
    from ..execution.remote import Server
    from .protocol import check_model
    with Server(cpu_seconds=timeout, memory_mb=memory_mb, label=label, started=started) as server:
        model, _ = load_remote_model(server, path, layers=layers, label=label)
        result = check_model(model, config={"file": label, "layer_dims": list(model.layer_dims)}, **options)
        return dataclasses.replace(result, output=server.output(), sandbox=server.kind.value)
