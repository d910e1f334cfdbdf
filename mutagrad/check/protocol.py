"""The checking protocol used for everyone: which points and settings are probed, and the verdict.

The checker is blind: it sees a forward (cost) function and a backward (gradient) function,
never which bug, if any, was planted. It probes

  initial  the given parameters (zero biases at initialization can hide bugs, so also)
  moved    a point away from them: biases non-zero, weights moved by half their scale
  lambd    the moved point with lambd > 0, if the functions take `lambd`
  dropout  the moved point with keep_prob < 1, if they take `keep_prob`, with the dropout
           masks pinned: the RNG is reseeded before every forward call, so every J(theta)
           and the backward pass see the same masks

and localizes a failure to the first failing component in backprop order.
"""
from __future__ import annotations

import functools
import inspect
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import complex_step, directional, fastpath, precision
from .diagnose import Context
from ..errors import ProtocolError, UserCodeError
from .gradcheck import check_point, component_order
from ..records.check import CheckResult, ProbeResult, Verdict, worst

LAMBD_PROBE = 0.7  # lambd used to exercise the regularization path
KEEP_PROB_PROBE = 0.8  # keep_prob used to exercise the dropout path
MOVE_SCALE = 0.5  # the moved point: theta + MOVE_SCALE * max(rms, MOVE_FLOOR) * N(0, 1)
MOVE_FLOOR = 0.2
PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # mutagrad/, not only check/

PROBE_MEANING = {
    "initial": "at the given parameters",
    "moved": "only away from initialization (non-zero biases, moved weights)",
    "lambd": "only with lambd > 0: look at the regularization terms",
    "dropout": "only with keep_prob < 1: look at the dropout masks and their scale",
}


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

    @property
    def accepts_lambd(self) -> bool:
        return _accepts(self.forward, "lambd") and _accepts(self.backward, "lambd")

    @property
    def accepts_keep_prob(self) -> bool:
        return _accepts(self.forward, "keep_prob") and _accepts(self.backward, "keep_prob")

    @property
    def accepts_rng(self) -> bool:
        return _accepts(self.forward, "rng")


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


def own_parameters(parameters: dict) -> dict:
    """Private contiguous float64 copies, so perturbing in place never touches the caller's arrays."""
    return {k: np.array(v, dtype=float, order="C", copy=True) for k, v in parameters.items()}


def moved_point(parameters: dict, seed: int) -> dict:
    """A point away from initialization: non-zero biases, weights moved by half their scale."""
    rng = np.random.default_rng([seed, 1])
    moved = {}
    for k, P in parameters.items():
        scale = max(float(np.sqrt(np.mean(np.square(P)))) if P.size else 0.0, MOVE_FLOOR)
        moved[k] = P + MOVE_SCALE * scale * rng.standard_normal(P.shape)
    return moved


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
            raise UserCodeError(f"forward raised {type(exc).__name__}: {exc}",
                                where_in_user_code(exc, self.model.source)) from exc
        if not isinstance(out, tuple) or len(out) != 2:
            raise ProtocolError(f"{self.model.name}: forward must return (cost, cache), "
                                f"it returned {type(out).__name__}")
        return out

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
        np.random.seed(self.mask_seed)
        try:
            grads = self.model.backward(self.X, self.Y, cache, **kwargs)
        except MemoryError:
            raise
        except Exception as exc:
            raise UserCodeError(f"backward raised {type(exc).__name__}: {exc}",
                                where_in_user_code(exc, self.model.source)) from exc
        if not isinstance(grads, dict):
            raise ProtocolError(f"{self.model.name}: backward must return a dict of gradients, "
                                f"it returned {type(grads).__name__}")
        for key in ("d" + p for p in parameters):
            g = grads.get(key)
            array = isinstance(g, np.ndarray) or (np.isscalar(g) and not isinstance(g, (str, bytes)))
            if g is not None and not array:
                raise ProtocolError(f"{self.model.name}: backward must return numpy arrays, "
                                    f"but {key} is a {type(g).__name__}")
        return grads


METHODS = ("central", "complex-step")


def run_probe(model: Model, X, Y, parameters: dict, name: str, lambd, keep_prob, seed: int,
              method: str = "central", taylor: bool = True, mode: str = "exhaustive") -> ProbeResult:
    """Check every component at one point with one hyperparameter setting.

    mode: "exhaustive" (every entry) or "directional" (a few random directions per component).
    Either uses fastpath's evaluator when the model's own forward passes its self-check.
    """
    ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=seed)
    fast = None
    params = own_parameters(parameters)
    shown_lambd = lambd if model.accepts_lambd else None
    shown_keep = keep_prob if model.accepts_keep_prob else None
    try:
        J0 = ev.cost(params)
        if not np.isfinite(J0):
            raise ProtocolError(f"{model.name}: forward returned a cost of {J0} at the {name} point")
        grads = ev.backward(params)
        if method == "central":  # None unless the model's forward passes the self-check: the plain loop
            fast = fastpath.fast_cost(model, ev, params, J0, seed=seed,
                                      use="directions" if mode == "directional" else "entries")
        # A forward that matched a float64 evaluation to 1e-12 at random points computes in float64.
        prec = precision.FLOAT64 if fast else precision.measure(ev.cost, params, J0, ev.cost_dtype, seed=seed)
        context = Context(lambd=shown_lambd, keep_prob=shown_keep, m=np.shape(X)[-1] if np.ndim(X) else None)
        taylor_seed = seed if taylor else None
        components, fallback = None, None
        if method == "complex-step" and prec.low:
            fallback = f"complex-step needs a float64 cost; the {name} probe used central differences"
        elif method == "complex-step":
            components, why = complex_step.check_point(
                ev.forward, ev.cost, grads, params, probe=name, seed=seed, context=context,
                taylor_seed=taylor_seed, unit_roundoff=prec.unit_roundoff, name=model.name)
            if components is None:
                fallback = f"complex-step does not apply at the {name} point: {why}; used central differences"
        if components is None and mode == "directional":
            line = directional.FastLine(fast) if fast else directional.ModelLine(ev.cost, params)
            components = directional.check_point(
                line, grads, params, fast.base_cost() if fast else J0, seed=seed,
                unit_roundoff=prec.unit_roundoff, probe=name, eps=prec.eps, eps_wide=prec.eps_wide)
        if components is None:
            components = check_point(ev.cost, grads, params, unit_roundoff=prec.unit_roundoff, probe=name,
                                     eps=prec.eps, eps_wide=prec.eps_wide, context=context,
                                     taylor_seed=taylor_seed, differences=fast.differences if fast else None,
                                     cost_noise=prec.cost_noise * abs(J0))
    except UserCodeError as exc:
        return ProbeResult(name=name, lambd=shown_lambd, keep_prob=shown_keep, components=(),
                           evaluations=ev.calls, error=str(exc))
    evaluations = ev.calls + (fast.evaluations if fast else 0)  # model forwards + fast partial ones
    return ProbeResult(name=name, lambd=shown_lambd, keep_prob=shown_keep, components=tuple(components),
                       evaluations=evaluations, warnings=(prec.warning,) if prec.warning else (),
                       notes=(fallback,) if fallback else ())


def probes_for(model: Model, lambd, keep_prob) -> list[tuple[str, bool, float, float]]:
    """(name, moved?, lambd, keep_prob) of every probe this model gets."""
    base_lambd = 0.0 if lambd is None else lambd
    base_keep = 1.0 if keep_prob is None else keep_prob
    plan = [("initial", False, base_lambd, base_keep), ("moved", True, base_lambd, base_keep)]
    if model.accepts_lambd and lambd is None:
        plan.append(("lambd", True, LAMBD_PROBE, base_keep))
    if model.accepts_keep_prob and keep_prob is None:
        plan.append(("dropout", True, base_lambd, KEEP_PROB_PROBE))
    return plan


def check_layer_dims(model: Model, parameters: dict) -> None:
    dims = model.layer_dims
    if dims is None:
        return
    L = len(dims) - 1
    for l in range(1, L + 1):
        W = parameters.get(f"W{l}")
        if W is None or np.shape(W) != (dims[l], dims[l - 1]):
            got = "missing" if W is None else f"of shape {np.shape(W)}"
            raise ProtocolError(f"{model.name}: LAYER_DIMS {list(dims)} disagree with the parameters: "
                                f"W{l} is {got}, expected {(dims[l], dims[l - 1])}")
    extra = sorted(k for k in parameters if k.startswith("W") and k[1:].isdigit() and int(k[1:]) > L)
    if extra:
        raise ProtocolError(f"{model.name}: LAYER_DIMS {list(dims)} disagree with the parameters: "
                            f"{L} layers, but there is a {extra[-1]}")


def validate_options(method: str, mode: str) -> None:
    """Raise ProtocolError, naming the option, for an unknown method or mode."""
    for name, value, known in (("method", method, METHODS), ("mode", mode, directional.MODES)):
        if value not in known:
            raise ProtocolError(f"{name}={value!r}: unknown; choose one of: {', '.join(known)}")


def check_model(model: Model, *, seed: int = 0, lambd=None, keep_prob=None, X=None, Y=None,
                parameters=None, config: dict | None = None, method: str = "central",
                taylor: bool = True, mode: str = "auto") -> CheckResult:
    """Run every probe on `model` and return the aggregated, localized result.

    method: "central" (noise-aware centred differences) or "complex-step"; taylor: also
    measure each component's Taylor-remainder order (a few extra cost evaluations); mode:
    "exhaustive", "directional" or "auto" (by parameter count and whether the layered evaluator
    may serve the model: directional.choose_mode).
    """
    validate_signatures(model)
    validate_options(method, mode)
    state = np.random.get_state()
    try:
        if X is None or Y is None:
            X, Y = _call_user(model, model.make_data, "make_data", seed)
        if parameters is None:
            parameters = _call_user(model, model.init_parameters, "init_parameters", seed)
        if not isinstance(parameters, dict) or not parameters:
            raise ProtocolError(f"{model.name}: the parameters must be a non-empty dict of arrays")
        check_layer_dims(model, parameters)
        start = own_parameters(parameters)
        moved = moved_point(start, seed)
        mode = directional.choose_mode(mode, sum(int(np.size(v)) for v in start.values()),
                                       layered=fastpath.reference_config(model.forward) is not None)
        probes = tuple(
            run_probe(model, X, Y, moved if is_moved else start, name, lam, kp, seed,
                      method=method, taylor=taylor, mode=mode)
            for name, is_moved, lam, kp in probes_for(model, lambd, keep_prob))
    finally:
        np.random.set_state(state)
    return aggregate(probes, component_order(list(parameters)), seed=seed, config=config or {},
                     method=method, mode=mode)


def _call_user(model: Model, fn, role: str, seed: int):
    if fn is None:
        raise ProtocolError(f"{model.name}: no {role} given")
    try:
        return fn(seed)
    except MemoryError:
        raise
    except Exception as exc:
        raise ProtocolError(f"{model.name}: {role}({seed}) raised {type(exc).__name__}: {exc}"
                            + (f" ({w})" if (w := where_in_user_code(exc, model.source)) else "")) from exc


def aggregate(probes, param_order, *, seed=0, config=None, method="central", mode="exhaustive") -> CheckResult:
    """Worst status per component over the probes, localization and a one-line hint."""
    errors = [f"{p.name} probe: {p.error}" for p in probes if p.error]
    components = []
    for pname in param_order:
        name = "d" + pname
        seen = [c for p in probes for c in p.components if c.name == name]
        if seen:
            components.append(max(seen, key=lambda c: (c.status.rank, c.margin or 0.0)))
    localized = next((c.name for c in components if c.status is Verdict.FAIL), None)
    exposed_by = None
    if localized:
        exposed_by = next(p.name for p in probes
                          if any(c.name == localized and c.status is Verdict.FAIL for c in p.components))
    warnings = tuple(dict.fromkeys(w for p in probes for w in p.warnings))
    verdict = worst([c.status for c in components] + [p.verdict for p in probes])
    error = "; ".join(errors) or None
    hint = make_hint(verdict, localized, components, exposed_by, error, warnings)
    return CheckResult(verdict=verdict, localized=localized, components=tuple(components), probes=tuple(probes),
                       hint=hint, method=method, mode=mode, seed=seed, warnings=warnings, error=error,
                       exposed_by=exposed_by, config=config or {})


def make_hint(verdict, localized, components, exposed_by, error, warnings) -> str:
    if localized:
        c = next(c for c in components if c.name == localized)
        hint = (f"{localized} is the first wrong gradient in backprop order; it fails "
                f"{PROBE_MEANING.get(exposed_by, exposed_by)}")
        if c.diagnosis:
            hint += f". Diagnosis: {c.diagnosis}"
        return hint
    if error:
        return f"the check could not finish: {error}"
    if verdict is Verdict.WARN:
        unsure = [c.name for c in components if c.status is Verdict.WARN]
        if warnings:
            return warnings[0]
        first = next(c for c in components if c.status is Verdict.WARN)
        return (f"nothing is wrong beyond the noise, but {', '.join(unsure)} could not be judged well "
                f"({first.name}: {first.message.split('; ')[0]})")
    return "every gradient component agrees with its finite differences"
