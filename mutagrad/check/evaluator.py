"""The model under check and the calls into it.

Model is a forward/backward pair with what it accepts (lambd, keep_prob, an `rng`); Evaluator
calls them with one pinned setting: the RNG reseeded before every forward, so dropout masks are
the same for every cost, and put in another state for backward. What the code raises is named
by its file:line (where_in_user_code), as a UserCodeError or, for a missing parameter or a
misnamed gradient, as bad input.
"""
from __future__ import annotations

import functools
import inspect
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ProtocolError, UserCodeError
from .inputs import misnamed_gradients, missing_parameter

BACKWARD_STREAM = 7  # backward runs with the RNG seeded [seed, 7]: not the state forward used
PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # mutagrad/, not only check/


@dataclass(frozen=True)
class Model:
    """A forward/backward pair in the `mutagrad check` protocol, with what it accepts."""
    forward: Callable
    backward: Callable
    layer_dims: tuple | None = None
    make_data: Callable | None = None
    init_parameters: Callable | None = None
    name: str = "model"
    source: str | None = None  # the file the functions come from, to name lines in errors

    @functools.cached_property  # inspect.signature costs as much as a small forward
    def accepts_lambd(self) -> bool:
        return _accepts(self.forward, "lambd") and _accepts(self.backward, "lambd")

    @functools.cached_property
    def accepts_keep_prob(self) -> bool:
        return _accepts(self.forward, "keep_prob") and _accepts(self.backward, "keep_prob")

    @functools.cached_property
    def accepts_rng(self) -> bool:
        return _accepts(self.forward, "rng")

    @functools.cached_property
    def backward_accepts_rng(self) -> bool:
        return _accepts(self.backward, "rng")


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def validate_signatures(model: Model) -> None:
    """Raise ProtocolError unless forward and backward take three positional arguments."""
    for role, fn, args in (("forward", model.forward, "X, Y, parameters"),
                           ("backward", model.backward, "X, Y, cache")):
        if not callable(fn):
            raise ProtocolError(f"{model.name}: {role} is not a function")
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        try:
            sig.bind(object(), object(), object())
        except TypeError:
            raise ProtocolError(f"{model.name}: {role}{sig} must take ({args}[, lambd][, keep_prob])") from None


def where_in_user_code(exc: BaseException, source: str | None) -> str | None:
    """'file:line' of the deepest frame in the code under check."""
    remote = getattr(exc, "remote_where", None)  # raised in another process (execution/remote.py)
    if isinstance(remote, str):
        return remote
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if source and Path(f.filename).resolve() == Path(source).resolve()]
    if not mine:
        mine = [f for f in frames if not f.filename.startswith(PACKAGE_DIR) and "numpy" not in f.filename]
    if not mine:
        mine = frames
    if not mine:
        return None
    f = mine[-1]
    return f"{Path(f.filename).name}:{f.lineno}"


class Evaluator:
    """Calls the model's forward and backward with one pinned hyperparameter setting."""

    def __init__(self, model: Model, X, Y, lambd, keep_prob, mask_seed: int):
        self.model, self.X, self.Y = model, X, Y
        self.kwargs = {}
        if model.accepts_lambd:
            self.kwargs["lambd"] = lambd
        if model.accepts_keep_prob:
            self.kwargs["keep_prob"] = keep_prob
        self.mask_seed = mask_seed
        self.calls = 0
        self.cost_dtype = None
        self.accepts_rng = model.accepts_rng  # once: inspect.signature costs as much as a small forward
        self.backward_rng = model.backward_accepts_rng

    def forward(self, parameters):
        self.calls += 1
        kwargs = dict(self.kwargs)
        if self.accepts_rng:
            kwargs["rng"] = np.random.default_rng(self.mask_seed)
        np.random.seed(self.mask_seed)  # course-style masks come from the legacy global RNG
        try:
            out = self.model.forward(self.X, self.Y, parameters, **kwargs)
        except MemoryError:
            raise  # out of memory is not an answer to judge: the process running the check crashed
        except Exception as exc:
            raise self._user_error(exc, parameters, "forward") from exc
        if not isinstance(out, tuple) or len(out) != 2:
            raise ProtocolError(f"{self.model.name}: forward must return (cost, cache), "
                                f"it returned {type(out).__name__}")
        return out

    def _user_error(self, exc: Exception, parameters: dict, role: str) -> Exception:
        """What the code under check raised: bad input when it looked up a missing parameter, else a UserCodeError."""
        where = where_in_user_code(exc, self.model.source)
        mistake = missing_parameter(exc, parameters, role, self.model.name, where, self.model.layer_dims)
        return mistake or UserCodeError(f"{role} raised {type(exc).__name__}: {exc}", where)

    def cost(self, parameters) -> float:
        cost = np.asarray(self.forward(parameters)[0])
        if cost.size != 1:
            raise ProtocolError(f"{self.model.name}: forward returned a cost of shape {cost.shape}, "
                                f"expected a scalar")
        if cost.dtype.kind not in "fiuc":
            raise ProtocolError(f"{self.model.name}: forward returned a cost of dtype {cost.dtype}")
        if self.cost_dtype is None:
            self.cost_dtype = cost.dtype
        return float(cost.real.reshape(()))

    def entry_costs(self, parameters, name: str, steps, at=None):
        """(costs, steps taken) of every entry of parameters[name] (or the flat entries `at`) moved by
        each step, as `cost` would give them one call at a time, when the model evaluates them in
        one call (a remote model: execution/remote.py); None otherwise."""
        fn, keywords = self.model.forward, {}
        while isinstance(fn, functools.partial) and not fn.args:
            keywords, fn = {**fn.keywords, **keywords}, fn.func
        batch = getattr(fn, "entry_costs", None)
        if batch is None or isinstance(fn, functools.partial):
            return None
        kwargs = {**keywords, **self.kwargs}
        if self.accepts_rng:
            kwargs["rng"] = np.random.default_rng(self.mask_seed)
        np.random.seed(self.mask_seed)
        done = batch(self.X, self.Y, parameters, kwargs, name, steps, at)
        if done is None:
            return None
        costs, taken, dtype = done
        self.calls += costs.size
        if self.cost_dtype is None:
            self.cost_dtype = dtype
        return costs, taken

    def backward(self, parameters) -> dict:
        _, cache = self.forward(parameters)
        kwargs = {k: v for k, v in self.kwargs.items()}
        # Another RNG state than forward's: a backward that redraws the masks gets other ones.
        np.random.seed([self.mask_seed, BACKWARD_STREAM])
        if self.backward_rng:
            kwargs["rng"] = np.random.default_rng([self.mask_seed, BACKWARD_STREAM])
        try:
            grads = self.model.backward(self.X, self.Y, cache, **kwargs)
        except MemoryError:
            raise
        except Exception as exc:
            raise self._user_error(exc, parameters, "backward") from exc
        if not isinstance(grads, dict):
            raise ProtocolError(f"{self.model.name}: backward must return a dict of gradients, "
                                f"it returned {type(grads).__name__}")
        mistake = misnamed_gradients(grads, parameters, self.model.name)
        if mistake:
            raise mistake
        for key in ("d" + p for p in parameters):
            g = grads.get(key)
            array = isinstance(g, np.ndarray) or (np.isscalar(g) and not isinstance(g, (str, bytes)))
            if g is not None and not array:
                raise ProtocolError(f"{self.model.name}: backward must return numpy arrays, "
                                    f"but {key} is a {type(g).__name__}")
        return grads
