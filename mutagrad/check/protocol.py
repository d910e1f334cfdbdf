"""The checking protocol used for everyone: which points and settings are probed, and the verdict.

The checker is blind: it sees a forward (cost) function and a backward (gradient) function,
never which bug, if any, was planted. It probes

  initial        the given parameters (zero biases at initialization can hide bugs, so also)
  moved          a point away from them: biases non-zero, weights moved by half their scale
  lambd          the moved point with lambd > 0, if the functions take `lambd`
  dropout        the moved point with keep_prob < 1, if they take `keep_prob`
  lambd+dropout  the moved point with both, if they take both
  batch          the moved point with every path on, at another batch size: the first column of
                 X and Y (m = 1), or the first two where the cost is not finite at m = 1

Dropout masks are pinned for every evaluation of J: the RNG (numpy's legacy global one, and
the `rng` Generator a forward may take) is reseeded before every forward call. Backward is
called with the RNG in another state, so a backward that redraws the masks instead of reading
them from the cache disagrees with J. A failure is localized to the first failing component in
backprop order (aggregate.py).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import complex_step, directional, fastpath, precision
from .aggregate import PROBE_MEANING, aggregate, make_hint  # noqa: F401 (re-exported)
from .diagnose import Context
from ..errors import ProtocolError, UserCodeError
from .gradcheck import check_point, component_order
from .evaluator import Evaluator, Model, validate_signatures, where_in_user_code
from .inputs import check_options
from ..records.check import CheckResult, ProbeResult, Verdict

LAMBD_PROBE = 0.7  # lambd used to exercise the regularization path
KEEP_PROB_PROBE = 0.8  # keep_prob used to exercise the dropout path
MOVE_SCALE = 0.5  # the moved point: theta + MOVE_SCALE * max(rms, MOVE_FLOOR) * N(0, 1)
MOVE_FLOOR = 0.2
UNPINNED_WARNING = ("the cost differs between two calls at the same point with the RNG reseeded: forward draws "
                    "randomness mutagrad cannot pin (take the masks from the `rng` argument or np.random), so no "
                    "finite difference is reliable")
BATCH_SIZES = (1, 2)  # the batch probe's m: 1, or 2 where the cost is not finite at m = 1
# Probes that measure no Taylor order (it costs as much as the differences with the fast path):
# each repeats paths another probe already measured, alone or at the full batch.
UNTIMED_PROBES = ("lambd+dropout", "batch")
AFTER_FAILURE_NOTE = ("after a failure, later probes check only the components before the first failing one "
                      "in backprop order (the others cannot change the localization)")
REPEAT_RTOL = 1e-12  # the same point twice with the masks pinned: a deterministic cost agrees to round-off


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


METHODS = ("central", "complex-step")


def run_probe(model: Model, X, Y, parameters: dict, name: str, lambd, keep_prob, seed: int,
              method: str = "central", taylor: bool = True, mode: str = "exhaustive",
              only: frozenset | None = None) -> ProbeResult:
    """Check every component (or those in `only`, e.g. {"dW3"}) at one point with one hyperparameter setting.

    mode: "exhaustive" (every entry) or "directional" (a few random directions per component).
    Either uses fastpath's evaluator when the model's own forward passes its self-check.
    """
    ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=seed)
    fast = None
    warnings = []
    params = own_parameters(parameters)
    shown_lambd = lambd if model.accepts_lambd else None
    shown_keep = keep_prob if model.accepts_keep_prob else None
    try:
        J0 = ev.cost(params)
        if not np.isfinite(J0):
            raise ProtocolError(f"{model.name}: forward returned a cost of {J0} at the {name} point")
        repeat = ev.cost(params)
        unpinned = not abs(repeat - J0) <= REPEAT_RTOL * abs(J0)
        if unpinned:
            warnings.append(UNPINNED_WARNING)
        grads = ev.backward(params)
        if only is not None:  # the others are left out of the comparison (and of the result)
            grads = {k: v for k, v in grads.items() if k in only}
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
                           evaluations=ev.calls, error=str(exc), m=_columns(X, Y))
    evaluations = ev.calls + (fast.evaluations if fast else 0)  # model forwards + fast partial ones
    warnings += [prec.warning] if prec.warning else []
    if only is not None:
        components = [c for c in components if c.name in only]
    if unpinned:  # differences of a cost that changes from call to call judge nothing, a failure included
        components = unjudged(components)
    return ProbeResult(name=name, lambd=shown_lambd, keep_prob=shown_keep, components=tuple(components),
                       evaluations=evaluations, warnings=tuple(warnings),
                       notes=tuple(n for n in (fallback, only is not None and AFTER_FAILURE_NOTE) if n),
                       m=_columns(X, Y))


def unjudged(components) -> list:
    """Failures downgraded to warn: finite differences of a cost that is not repeatable judge nothing."""
    return [replace(c, status=Verdict.WARN, message=f"not judged, the cost is not repeatable: {c.message}")
            if c.status is Verdict.FAIL else c for c in components]


def unpinned_dropout(probes: list) -> list:
    """Once one dropout probe found the cost unrepeatable, every dropout probe is: two equal calls of
    another (at m = 1 the masks often agree by chance) prove nothing, and its failures are downgraded."""
    dropout = [p for p in probes if p.keep_prob is not None and p.keep_prob < 1]
    if not any(UNPINNED_WARNING in p.warnings for p in dropout):
        return probes
    return [replace(p, components=tuple(unjudged(p.components)),
                    warnings=tuple(dict.fromkeys((*p.warnings, UNPINNED_WARNING)))) if p in dropout else p
            for p in probes]


def probes_for(model: Model, lambd, keep_prob) -> list[tuple[str, bool, float, float]]:
    """(name, moved?, lambd, keep_prob) of every probe this model gets."""
    base_lambd = 0.0 if lambd is None else lambd
    base_keep = 1.0 if keep_prob is None else keep_prob
    plan = [("initial", False, base_lambd, base_keep), ("moved", True, base_lambd, base_keep)]
    if model.accepts_lambd and lambd is None:
        plan.append(("lambd", True, LAMBD_PROBE, base_keep))
    if model.accepts_keep_prob and keep_prob is None:
        plan.append(("dropout", True, base_lambd, KEEP_PROB_PROBE))
    if model.accepts_lambd and lambd is None and model.accepts_keep_prob and keep_prob is None:
        plan.append(("lambd+dropout", True, LAMBD_PROBE, KEEP_PROB_PROBE))
    return plan


def _columns(X, Y) -> int | None:
    """m, when X and Y are (n, m) arrays with the same m."""
    if np.ndim(X) != 2 or np.ndim(Y) != 2 or np.shape(X)[1] != np.shape(Y)[1]:
        return None
    return int(np.shape(X)[1])


def batch_probe(model: Model, X, Y, point: dict, lambd, keep_prob, seed: int, **options) -> ProbeResult:
    """The moved point with every path on, at m = 1 (or 2 where the cost is not finite at m = 1)."""
    m = _columns(X, Y)
    lam = LAMBD_PROBE if lambd is None else lambd
    kp = KEEP_PROB_PROBE if keep_prob is None else keep_prob
    if m is None:
        reason = "X and Y are not (n, m) arrays with the same m"
    elif m == 1:
        reason = "the data has a single example"
    else:
        sizes = [k for k in BATCH_SIZES if k < m]
        for k in sizes:
            Xs, Ys = np.ascontiguousarray(X[:, :k]), np.ascontiguousarray(Y[:, :k])
            try:
                J = Evaluator(model, Xs, Ys, lam, kp, mask_seed=seed).cost(own_parameters(point))
            except UserCodeError:
                J = None  # the probe reports it: a forward that cannot run at this m
            if J is None or np.isfinite(J):
                return run_probe(model, Xs, Ys, point, "batch", lam, kp, seed, **options)
        reason = f"the cost is not finite at m = {' or '.join(map(str, sizes))}"
    return ProbeResult(name="batch", lambd=lam if model.accepts_lambd else None,
                       keep_prob=kp if model.accepts_keep_prob else None, components=(), evaluations=0,
                       notes=(f"no batch probe: {reason}",))


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
    check_options(model, lambd, keep_prob)
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
        order = ["d" + p for p in component_order(list(start))]
        probes = []
        batch = ("batch", True, LAMBD_PROBE if lambd is None else lambd,
                 KEEP_PROB_PROBE if keep_prob is None else keep_prob)
        for name, is_moved, lam, kp in probes_for(model, lambd, keep_prob) + [batch]:
            only = before_first_failure(probes, order)
            if only is not None and not only:
                probes.append(skipped_probe(model, name, lam, kp))
                continue
            options = dict(method=method, taylor=taylor and name not in UNTIMED_PROBES, mode=mode, only=only)
            if name == "batch":
                probes.append(batch_probe(model, X, Y, moved, lambd, keep_prob, seed, **options))
            else:
                probes.append(run_probe(model, X, Y, moved if is_moved else start, name, lam, kp, seed, **options))
    finally:
        np.random.set_state(state)
    return aggregate(unpinned_dropout(probes), component_order(list(parameters)), seed=seed, config=config or {},
                     method=method, mode=mode)


def before_first_failure(probes, order) -> frozenset | None:
    """The components a later probe still checks: those before the first failure so far (None: all).

    A failure after it cannot change the localization, nor the probe that exposed it.
    """
    failed = {c.name for p in probes for c in p.components if c.status is Verdict.FAIL}
    first = next((i for i, name in enumerate(order) if name in failed), None)
    return None if first is None else frozenset(order[:first])


def skipped_probe(model: Model, name: str, lambd, keep_prob) -> ProbeResult:
    """A probe left out: nothing before the first failing component is left to check."""
    return ProbeResult(name=name, lambd=lambd if model.accepts_lambd else None,
                       keep_prob=keep_prob if model.accepts_keep_prob else None, components=(), evaluations=0,
                       notes=(AFTER_FAILURE_NOTE,))


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
