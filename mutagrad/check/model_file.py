"""Loading a user's model file: the `mutagrad check FILE` protocol.

A model file defines forward(X, Y, parameters[, lambd][, keep_prob]) -> (cost, cache) and
backward(X, Y, cache[, lambd][, keep_prob]) -> grads (or the course's forward_propagation_n /
backward_propagation_n), LAYER_DIMS = [n_x, n_1, ..., n_y], and optionally make_data(seed)
and init_parameters(seed).

A model file is code: `mutagrad check` loads and checks it only in a child process
(check_file_isolated), with a time and memory limit and a temporary working folder.
"""
from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import MutagradError, ProtocolError
from ..execution.isolate import DEFAULT_MEMORY_MB, Status, run_isolated
from .protocol import Model, _accepts, check_model, validate_signatures, where_in_user_code

FORWARD_NAMES = ("forward", "forward_propagation_n")
BACKWARD_NAMES = ("backward", "backward_propagation_n")
DEFAULT_M = 10  # examples in the default data set
DEFAULT_BIAS_SCALE = 0.1  # default biases: small, random, non-zero
DEFAULT_CHECK_TIMEOUT = 120.0  # seconds; the largest benchmark network (784-256-128-10) checks in ~3 s
_counter = itertools.count()


def load_module(path, label: str | None = None):
    """Execute a Python file as a fresh module; its errors become one-line MutagradErrors.

    label: how messages name the file (default: `path` as given).
    """
    path = Path(path)
    label = label or str(path)
    if not path.exists():
        raise MutagradError(f"{label}: no such file")
    if not path.is_file():
        raise MutagradError(f"{label}: not a file")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MutagradError(f"{label}: cannot read it: {exc}") from exc
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MutagradError(f"{label}{line}: syntax error: {exc.msg}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes; nesting too deep to compile
        raise MutagradError(f"{label}: cannot compile it: {type(exc).__name__}: {exc}") from exc
    name = f"mutagrad_model_{next(_counter)}"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        raise MutagradError(f"{label}: the file called sys.exit({exc.code}) while loading") from exc
    except MemoryError:
        raise  # in check_file_isolated's child: the process crashed (over its memory limit)
    except Exception as exc:
        where = where_in_user_code(exc, str(path)) or path.name
        raise MutagradError(f"{where}: loading the file raised {type(exc).__name__}: {exc}") from exc
    return module


def parse_layers(layers, option: str = "--layers ") -> tuple[int, ...]:
    """'4,5,3,1' or [4, 5, 3, 1] -> (4, 5, 3, 1); errors name the option ('--layers ' or 'layers=')."""
    try:
        parts = layers.split(",") if isinstance(layers, str) else layers
        dims = tuple(int(x) for x in parts)
    except (TypeError, ValueError):
        raise MutagradError(f"{option}{layers!r}: expected whole numbers, e.g. 4,5,3,1") from None
    if len(dims) < 2 or min(dims) < 1:
        raise MutagradError(f"{option}{layers!r}: need at least two positive sizes")
    return dims


def default_make_data(layer_dims, m=DEFAULT_M):
    """Standard-normal X (n_x, m) and Bernoulli(0.5) labels Y (n_y, m)."""
    def make_data(seed):
        rng = np.random.default_rng([seed, 2])
        X = rng.standard_normal((layer_dims[0], m))
        Y = (rng.random((layer_dims[-1], m)) < 0.5).astype(float)
        return X, Y
    return make_data


def default_init_parameters(layer_dims):
    """He-scaled weights and small random (non-zero) biases."""
    def init_parameters(seed):
        rng = np.random.default_rng([seed, 3])
        parameters = {}
        for l in range(1, len(layer_dims)):
            parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * np.sqrt(2 / layer_dims[l - 1])
            parameters[f"b{l}"] = rng.standard_normal((layer_dims[l], 1)) * DEFAULT_BIAS_SCALE
        return parameters
    return init_parameters


def _attribute(module, name: str, path):
    """module.name or None; a module-level __getattr__ that raises is the file's error."""
    try:
        return getattr(module, name, None)
    except Exception as exc:
        raise ProtocolError(f"{path}: looking up {name} raised {type(exc).__name__}: {exc}") from exc


def _find(module, names, path, role):
    for name in names:
        fn = _attribute(module, name, path)
        if fn is not None:
            if not callable(fn):
                raise ProtocolError(f"{path}: {name} is not a function")
            return fn
    raise ProtocolError(f"{path}: defines no {role} function (expected one of: {', '.join(names)})")


def _layer_dims(module, path, layers):
    if layers is not None:
        return tuple(layers)
    dims = _attribute(module, "LAYER_DIMS", path)
    if dims is None:
        raise ProtocolError(f"{path}: defines no LAYER_DIMS; add LAYER_DIMS = [n_x, n_1, ..., n_y] "
                            f"or pass --layers")
    try:
        dims = tuple(int(d) for d in dims)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(f"{path}: LAYER_DIMS must be a list of whole numbers, got {dims!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise ProtocolError(f"{path}: LAYER_DIMS needs at least two positive sizes, got {list(dims)}")
    return dims


def _with_layers(fn, layers):
    """The file's make_data or init_parameters, given --layers as layer_dims= when it takes them."""
    if fn is None or layers is None or not _accepts(fn, "layer_dims"):
        return fn
    return functools.partial(fn, layer_dims=list(layers))


def load_model(path, layers=None, label: str | None = None) -> Model:
    """Build a Model from a model file (forward, backward, LAYER_DIMS, optional data/init).

    label: how messages name the file (default: `path` as given).
    """
    label = label or str(path)
    module = load_module(path, label)
    forward = _find(module, FORWARD_NAMES, label, "forward")
    backward = _find(module, BACKWARD_NAMES, label, "backward")
    dims = _layer_dims(module, label, layers)
    make_data = _with_layers(_attribute(module, "make_data", label), layers) or default_make_data(dims)
    init = _with_layers(_attribute(module, "init_parameters", label), layers) or default_init_parameters(dims)
    model = Model(forward=forward, backward=backward, layer_dims=dims, make_data=make_data,
                  init_parameters=init, name=label, source=str(Path(path).resolve()))
    validate_signatures(model)
    return model


class IsolationError(MutagradError):
    """The model file's process gave no result: `status` is Status.TIMEOUT or Status.CRASHED."""

    def __init__(self, message: str, status: Status = Status.CRASHED):
        super().__init__(message)
        self.status = status


def check_file_isolated(path, *, layers=None, timeout: float | None = DEFAULT_CHECK_TIMEOUT,
                        memory_mb: int | None = DEFAULT_MEMORY_MB, **options):
    """Load and check a model file in a child process; only the CheckResult comes back.

    The child's working folder is a fresh temporary one. Raises the child's MutagradError as
    is (a missing function, a NaN cost, ...), and IsolationError when it hangs or crashes.

    Args:
        path: the model file; messages name it as given.
        layers: layer sizes instead of the file's LAYER_DIMS.
        timeout: wall-clock seconds for loading and checking (None: no limit).
        memory_mb: the child's address-space limit (None: no limit).
        **options: protocol.check_model's options (seed, lambd, keep_prob, method, mode).

    Returns:
        The CheckResult, as check_model returns it.
    """
    label = str(path)
    with tempfile.TemporaryDirectory(prefix="mutagrad-check-") as folder:
        done = run_isolated(_load_and_check, os.path.abspath(path), label, layers, options,
                            timeout=timeout, memory_mb=memory_mb, cwd=folder)
    if done.ok:
        return done.value
    if done.status is Status.RAISED:
        if isinstance(done.exception, MutagradError):
            raise done.exception
        raise MutagradError(f"{label}: the check stopped: {done.error}")
    if done.status is Status.TIMEOUT:
        raise IsolationError(f"{label}: no result within {timeout:g} s (--timeout): an infinite loop?",
                             Status.TIMEOUT)
    raise IsolationError(f"{label}: the check crashed: {done.error}", Status.CRASHED)


def _load_and_check(path: str, label: str, layers, options: dict):
    """In the child: load the file and check it."""
    model = load_model(path, layers=layers, label=label)
    return check_model(model, config={"file": label, "layer_dims": list(model.layer_dims)}, **options)
