"""Loading a user's model file: the `mutagrad check FILE` protocol.

A model file defines forward(X, Y, parameters[, lambd][, keep_prob]) -> (cost, cache) and
backward(X, Y, cache[, lambd][, keep_prob]) -> grads (or the course's forward_propagation_n /
backward_propagation_n), LAYER_DIMS = [n_x, n_1, ..., n_y], and optionally make_data(seed)
and init_parameters(seed).
"""
from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np

from .errors import MutagradError, ProtocolError
from .protocol import Model, validate_signatures, where_in_user_code

FORWARD_NAMES = ("forward", "forward_propagation_n")
BACKWARD_NAMES = ("backward", "backward_propagation_n")
DEFAULT_M = 10  # examples in the default data set
DEFAULT_BIAS_SCALE = 0.1  # default biases: small, random, non-zero
_counter = itertools.count()


def load_module(path):
    """Execute a Python file as a fresh module; its errors become one-line MutagradErrors."""
    path = Path(path)
    if not path.exists():
        raise MutagradError(f"{path}: no such file")
    if not path.is_file():
        raise MutagradError(f"{path}: not a file")
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise MutagradError(f"{path}: cannot read it: {exc}") from exc
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise MutagradError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    name = f"mutagrad_model_{next(_counter)}"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        raise MutagradError(f"{path}: the file called sys.exit({exc.code}) while loading") from exc
    except Exception as exc:
        where = where_in_user_code(exc, str(path)) or path.name
        raise MutagradError(f"{where}: loading the file raised {type(exc).__name__}: {exc}") from exc
    return module


def parse_layers(text: str) -> tuple[int, ...]:
    """'4,5,3,1' -> (4, 5, 3, 1)."""
    try:
        dims = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise MutagradError(f"--layers {text!r}: expected whole numbers separated by commas, e.g. 4,5,3,1") from None
    if len(dims) < 2 or min(dims) < 1:
        raise MutagradError(f"--layers {text!r}: need at least two positive sizes")
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


def _find(module, names, path, role):
    for name in names:
        fn = getattr(module, name, None)
        if fn is not None:
            if not callable(fn):
                raise ProtocolError(f"{path}: {name} is not a function")
            return fn
    raise ProtocolError(f"{path}: defines no {role} function (expected one of: {', '.join(names)})")


def _layer_dims(module, path, layers):
    if layers is not None:
        return tuple(layers)
    dims = getattr(module, "LAYER_DIMS", None)
    if dims is None:
        raise ProtocolError(f"{path}: defines no LAYER_DIMS; add LAYER_DIMS = [n_x, n_1, ..., n_y] "
                            f"or pass --layers")
    try:
        dims = tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        raise ProtocolError(f"{path}: LAYER_DIMS must be a list of whole numbers, got {dims!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise ProtocolError(f"{path}: LAYER_DIMS needs at least two positive sizes, got {list(dims)}")
    return dims


def load_model(path, layers=None) -> Model:
    """Build a Model from a model file (forward, backward, LAYER_DIMS, optional data/init)."""
    module = load_module(path)
    forward = _find(module, FORWARD_NAMES, path, "forward")
    backward = _find(module, BACKWARD_NAMES, path, "backward")
    dims = _layer_dims(module, path, layers)
    make_data = getattr(module, "make_data", None) or default_make_data(dims)
    init = getattr(module, "init_parameters", None) or default_init_parameters(dims)
    model = Model(forward=forward, backward=backward, layer_dims=dims, make_data=make_data,
                  init_parameters=init, name=str(path), source=str(Path(path).resolve()))
    validate_signatures(model)
    return model
