"""Loading a user's model file: the `mutagrad check FILE` protocol.

A model file defines forward(X, Y, parameters[, lambd][, keep_prob]) -> (cost, cache) and
backward(X, Y, cache[, lambd][, keep_prob]) -> grads (or the course's forward_propagation_n /
backward_propagation_n), LAYER_DIMS = [n_x, n_1, ..., n_y], and optionally make_data(seed)
and init_parameters(seed).

A model file is code: `mutagrad check` runs it only in a sandboxed server process
(check_file_isolated, check/sandboxed.py) and computes the verdict elsewhere.
"""
from __future__ import annotations

import functools
import importlib.util
import itertools
from pathlib import Path

import numpy as np

from ..errors import MutagradError, ProtocolError
from ..execution.isolate import DEFAULT_MEMORY_MB
from .evaluator import Model, _accepts, validate_signatures, where_in_user_code
from .sandboxed import DEFAULT_CHECK_TIMEOUT, IsolationError, check_file_sandboxed  # noqa: F401 (IsolationError: API)

FORWARD_NAMES = ("forward", "forward_propagation_n")
BACKWARD_NAMES = ("backward", "backward_propagation_n")
DEFAULT_M = 10  # examples in the default data set
DEFAULT_BIAS_SCALE = 0.1  # default biases: small, random, non-zero
MAX_MODEL_BYTES = 10 * 2 ** 20  # a model file is code of a few KB; compiling 50 MB exhausts the memory limit
_counter = itertools.count()


def read_source(path, label: str | None = None) -> tuple[str, object]:
    """(source, code object) of a Python file, compiled but not run; errors are one-line MutagradErrors."""
    path = Path(path)
    label = label or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MutagradError(f"{label}: no such file") from None
    except OSError as exc:  # a symlink loop, a folder without permission, ...
        raise MutagradError(f"{label}: cannot read it: {exc.strerror}") from None
    if not path.is_file():
        raise MutagradError(f"{label}: not a file")
    if size > MAX_MODEL_BYTES:
        raise MutagradError(f"{label}: {size:,} bytes is too large for a model file "
                            f"(at most {MAX_MODEL_BYTES // 2 ** 20} MB of code)")
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
        why = str(exc) or ("out of memory (--memory-mb)" if isinstance(exc, MemoryError) else "")
        raise MutagradError(f"{label}: cannot compile it: {type(exc).__name__}: {why}") from exc
    return source, code


def load_module(path, label: str | None = None):
    """Execute a Python file as a fresh module in this process; its errors become one-line MutagradErrors.

    label: how messages name the file (default: `path` as given).
    """
    path = Path(path)
    label = label or str(path)
    _, code = read_source(path, label)
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


def check_file_isolated(path, *, layers=None, timeout: float | None = DEFAULT_CHECK_TIMEOUT,
                        memory_mb: int | None = DEFAULT_MEMORY_MB, sandbox: str = "auto", **options):
    """Check a model file whose code runs only in a sandboxed server process; see check/sandboxed.py.

    Args:
        path: the model file; messages name it as given.
        layers: layer sizes instead of the file's LAYER_DIMS.
        timeout: CPU seconds for the model file's process (None: no limit); a wall-clock
            backstop (execution.process.wall_backstop) stops a process that sleeps.
        memory_mb: that process's address-space limit (None: no limit).
        sandbox: "auto" (bubblewrap when it works here), "bwrap" or "none".
        **options: protocol.check_model's options (seed, lambd, keep_prob, method, mode).

    Returns:
        The CheckResult, with the file's printed output and the sandbox used.
    """
    return check_file_sandboxed(path, layers=layers, timeout=timeout, memory_mb=memory_mb, sandbox=sandbox,
                                **options)
