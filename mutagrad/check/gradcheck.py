"""Compare analytic gradients with finite differences, one component (dW3, db3, ...) at a time.

The notes' relative error ||approx - grad|| / (||approx|| + ||grad||) is always reported.
The verdict is noise-aware: a component fails when its mismatch is FAIL_MARGIN times the
finite-difference noise floor measured from the computation itself, so that a small
real bug fails even below the classic 1e-3 line, while a tiny gradient whose
differences are all noise is called inconclusive (warn) rather than wrong.
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from .diagnose import Context, diagnose
from ..errors import ProtocolError
from .numeric import (CONFIRM_STEPS, EPS, EPS_WIDE, RESOLVE_STEPS, Differences, central_differences,
                      finite_differences)
from ..records.check import ComponentResult, Verdict
from .taylor import RIGHT_ORDER, taylor_test

GREAT_REL = 1e-7  # the notes: "great"
WORRY_REL = 1e-3  # the notes: "worry"; above it and within the noise, the result is inconclusive
FAIL_MARGIN = 10.0  # fail when the mismatch is this many times the noise floor
WARN_MARGIN = 3.0  # warn between WARN_MARGIN and FAIL_MARGIN
MIN_FAIL_REL = 1e-10  # below this relative error nothing is called wrong, whatever the margin
ROUNDOFF_K = 1.0  # model floor per entry: K * u * max|J| / eps, one unit of round-off of J
KINK_RATIO = 0.3  # smooth: curvature(eps) / curvature(EPS_WIDE) ~ 0.1; across a kink ~ 1
KINK_NOISE = 10.0  # ... and the one-sided differences must disagree by 10x the noise
KINK_SLACK = 0.01  # tolerance on the one-sided interval, relative to its width
KINK_ROUNDOFF = 3.0  # round-off of a curvature is ~sqrt(6) x that of J / eps: a kink stands 10x above it
F64_ROUNDOFF = float(np.finfo(np.float64).eps) / 2
CONFIRM_RATIO = 0.1  # a failure is J's round-off when a larger step agrees with g 10x better
CONFIRM_ENTRIES = 8  # ... judged on the entries with the largest mismatch, where either shows most


def component_order(names) -> list[str]:
    """Backprop order of parameter names: W{L}, b{L}, W{L-1}, ..., W1, b1 (others last)."""
    def key(item):
        index, name = item
        match = re.fullmatch(r"([A-Za-z_]+?)(\d+)", name)
        if not match:
            return (1, 0, 0, index)
        prefix, layer = match.groups()
        return (0, -int(layer), 0 if prefix.upper().startswith("W") else 1, index)
    return [name for _, name in sorted(enumerate(names), key=key)]


def grad_name(param_name: str) -> str:
    return "d" + param_name


def structural_problem(name: str, g, param: np.ndarray, allow_complex: bool = False):
    """A one-line reason why g cannot be compared with parameter `param`, or None."""
    if g is None:
        return f"grads has no {name!r}", "missing: backward does not return it"
    if not isinstance(g, np.ndarray) and not np.isscalar(g):
        raise ProtocolError(f"{name} is a {type(g).__name__}, not a numpy array")
    g = np.asarray(g)
    kinds = "fc" if allow_complex else "f"
    if g.dtype.kind not in kinds:
        return f"{name} has dtype {g.dtype}, expected a float array", "not a float array"
    if g.shape != param.shape:
        if g.shape == param.shape[::-1]:
            return (f"{name} has shape {g.shape}, the parameter has {param.shape}",
                    "transposed: the shape is the parameter's, reversed")
        return f"{name} has shape {g.shape}, the parameter has {param.shape}", "wrong shape"
    bad = ~np.isfinite(g)
    if bad.any():
        what = "NaN" if np.isnan(g).any() else "inf"
        return f"{name} contains {what} in {int(bad.sum())} of {g.size} entries", f"{what} in the gradient"
    return None


def structural_failure(name: str, g, param: np.ndarray, probe: str = "") -> ComponentResult | None:
    """A failed ComponentResult when g cannot be compared with its parameter at all, else None."""
    problem = structural_problem(name, g, param)
    if problem is None:
        return None
    message, diagnosis = problem
    return ComponentResult(name=name, status=Verdict.FAIL, rel_error=None, diagnosis=diagnosis,
                           message=message, probe=probe)


def compare(name: str, g: np.ndarray, d: Differences, unit_roundoff: float = F64_ROUNDOFF,
            probe: str = "", eps: float = EPS, cost_noise: float = 0.0) -> ComponentResult:
    """Verdict on one component from its analytic gradient g and its finite differences d (taken at eps).

    cost_noise: the measured round-off of one evaluation of J (precision.measure), if known.
    """
    g = np.asarray(g, dtype=float)
    central = d.central
    usable = np.isfinite(central) & np.isfinite(d.wide)
    a = np.where(usable, central, g)
    noise_model = ROUNDOFF_K * unit_roundoff * max(d.cost_scale, 1e-300) / eps
    noise = np.maximum(np.abs(np.where(usable, central - d.wide, 0.0)), noise_model)

    # A kink inside +-eps: accept any analytic value between the one-sided differences.
    curvature_noise = np.maximum(noise, KINK_ROUNDOFF * cost_noise / eps)
    kink = usable & (d.curvature > KINK_RATIO * d.curvature_wide) & (d.curvature > KINK_NOISE * curvature_noise)
    if kink.any():
        lo = np.minimum(d.forward, d.backward)
        hi = np.maximum(d.forward, d.backward)
        tol = KINK_SLACK * (hi - lo) + 4 * noise
        a = np.where(kink, np.clip(g, lo, hi), a)
        noise = np.where(kink, np.maximum(noise, tol), noise)

    diff = a - g
    mismatch = float(np.linalg.norm(diff))
    floor = float(np.linalg.norm(noise))
    margin = mismatch / floor if floor > 0 else (0.0 if mismatch == 0 else np.inf)
    rel = _relative(central, g)
    adj_rel = _relative(a, g)
    worst_index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(diff))), g.shape)) if g.size else None

    if margin >= FAIL_MARGIN and adj_rel >= MIN_FAIL_REL:
        status = Verdict.FAIL
        message = f"mismatch is {margin:.3g}x the finite-difference noise (relative error {rel:.2e})"
    elif adj_rel >= WORRY_REL:
        status = Verdict.WARN
        message = (f"relative error {rel:.2e} but within the finite-difference noise: "
                   f"the gradient is too small to judge here")
    elif margin >= WARN_MARGIN:
        status = Verdict.WARN
        message = f"mismatch is {margin:.3g}x the noise floor: suspicious, not conclusive"
    else:
        status = Verdict.PASS
        message = "great" if rel < GREAT_REL else "within the finite-difference noise"
    if kink.any():
        message += f"; {int(kink.sum())} entries at a kink handled one-sided"
    if (~usable).any():
        message += f"; {int((~usable).sum())} entries skipped: the cost was not finite there"
        status = Verdict.WARN if status is Verdict.PASS else status
    return ComponentResult(name=name, status=status, rel_error=rel, margin=float(margin), floor=floor,
                           kinks=int(kink.sum()), worst_index=worst_index, message=message, probe=probe)


def _relative(a: np.ndarray, g: np.ndarray) -> float:
    denom = np.linalg.norm(a) + np.linalg.norm(g)
    return float(np.linalg.norm(a - g) / denom) if denom > 0 else 0.0


def check_point(cost, grads: dict, parameters: dict, unit_roundoff: float = F64_ROUNDOFF,
                probe: str = "", *, eps: float = EPS, eps_wide: float = EPS_WIDE,
                context: Context | None = None, taylor_seed: int | None = None,
                differences=None, cost_noise: float = 0.0) -> list[ComponentResult]:
    """Compare every component of `grads` with finite differences of `cost` at `parameters`.

    A failing component gets a diagnosis (from the probe's `context`); with a `taylor_seed`
    every component also gets its observed Taylor order. `differences(pname, eps, eps_wide)`
    replaces the plain per-entry loop (fastpath.LayeredCost.differences: the same Differences).
    """
    results = []
    J0 = cost(parameters) if taylor_seed is not None else None
    for index, pname in enumerate(component_order(list(parameters))):
        name = grad_name(pname)
        g = grads.get(name)
        failed = structural_failure(name, g, parameters[pname], probe)
        if failed is not None:
            results.append(failed)
            continue
        if differences is not None:
            d = differences(pname, eps=eps, eps_wide=eps_wide)
        else:
            d = finite_differences(cost, parameters, pname, eps=eps, eps_wide=eps_wide)
        result = compare(name, np.asarray(g), d, unit_roundoff=unit_roundoff, probe=probe, eps=eps,
                         cost_noise=cost_noise)
        step = eps
        if result.status is Verdict.WARN and unit_roundoff <= F64_ROUNDOFF:
            result, d, step = resolve(result, g, cost, parameters, pname, differences, unit_roundoff=unit_roundoff,
                                      probe=probe, cost_noise=cost_noise, d=d, eps=eps)
        if result.status is Verdict.FAIL and step < min(CONFIRM_STEPS):
            worst = np.argsort(np.abs(np.nan_to_num(d.central - np.asarray(g, dtype=float))).ravel())
            larger = central_differences(cost, parameters, pname, entries=worst[-CONFIRM_ENTRIES:])
            result = confirm(result, g, d.central, larger)
        result = annotate(result, np.asarray(g, dtype=float), d.central, parameters[pname], context=context)
        if taylor_seed is not None:
            result = with_taylor(result, cost, parameters, pname, g, J0, unit_roundoff,
                                 seed=taylor_seed, index=index)
        results.append(result)
    return results


def resolve(result: ComponentResult, g, cost, parameters: dict, pname: str, differences, *, unit_roundoff: float,
            probe: str, cost_noise: float, d: Differences, eps: float):
    """(result, differences, step): an inconclusive component judged at the first step of RESOLVE_STEPS that can.

    Its noise floor is measured at that step as at any other; if no step judges it, it stays `warn`.
    """
    for step, wide in RESOLVE_STEPS:
        if differences is not None:
            again = differences(pname, eps=step, eps_wide=wide)
        else:
            again = finite_differences(cost, parameters, pname, eps=step, eps_wide=wide)
        judged = compare(result.name, np.asarray(g), again, unit_roundoff=unit_roundoff, probe=probe, eps=step,
                         cost_noise=cost_noise)
        if judged.status is not Verdict.WARN:
            return replace(judged, message=f"{judged.message}; judged at eps = {step:g}, a step chosen "
                                           f"for this component"), again, step
    return result, d, eps


def confirm(result: ComponentResult, g, central, larger) -> ComponentResult:
    """Keep a failure only if larger steps see it too; if they agree with g, J's round-off made it.

    A wrong g disagrees with the true derivative at every step. Where J is computed with
    round-off steps wider than EPS_WIDE, both small steps miss the same term and agree with
    each other, so the noise floor misses it; a larger step sees the term again.
    """
    g = np.asarray(g, dtype=float)
    probed = np.isfinite(central) & np.logical_and.reduce([np.isfinite(d) for d in larger])  # entries seen by all
    if not probed.any():
        return result
    mismatch = float(np.linalg.norm((central - g)[probed]))
    best = min(float(np.linalg.norm((d - g)[probed])) for d in larger)
    if best > CONFIRM_RATIO * mismatch:
        return result
    return replace(result, status=Verdict.WARN, message=(
        f"mismatch is {result.margin:.3g}x the noise at eps = {EPS:g}, but a step of up to "
        f"{max(CONFIRM_STEPS):g} agrees with the gradient: the cost loses precision here (round-off "
        f"steps, e.g. log(1 - a) of a saturated sigmoid); not a gradient bug, but fragile numerics"))


def annotate(result: ComponentResult, g, approx, theta, context: Context | None = None) -> ComponentResult:
    """The result with a diagnosis when it fails (approx: the numeric estimate, theta: the parameter)."""
    if result.status is not Verdict.FAIL or result.diagnosis:
        return result
    approx = np.where(np.isfinite(approx), approx, g)
    return replace(result, diagnosis=diagnose(result.name, g, approx, theta, context or Context(),
                                              floor=result.floor or 0.0))


def with_taylor(result: ComponentResult, cost, parameters: dict, pname: str, g, J0: float,
                unit_roundoff: float, seed: int, index: int) -> ComponentResult:
    """The result with its observed Taylor order (None, with a note, at a kink or at round-off)."""
    taylor = taylor_test(cost, parameters, pname, g, J0, unit_roundoff, seed=seed, index=index)
    if taylor.order is None:
        return replace(result, message=result.message + f"; Taylor remainder {taylor.note}")
    if result.kinks and taylor.order < RIGHT_ORDER:  # one-sided at a kink: O(h) whatever g is
        return replace(result, message=result.message + "; no Taylor order: a kink at this point")
    return replace(result, taylor_order=taylor.order)
