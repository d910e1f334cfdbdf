"""Complex-step derivatives: dJ/dtheta_k = Im J(theta + i h e_k) / h, exact to round-off.

No difference of two costs is taken, so there is no subtractive cancellation and h can be
1e-30: the truncation error h^2 J''' / 6 is nil and the estimate is as accurate as J itself.
This needs a forward that carries complex numbers through (tanh, sigmoid, exp, log, @ ...).
Before trusting it, a gate compares one complex-step directional derivative with a central
difference along a random direction: a forward that drops the imaginary part, uses
non-analytic functions (abs, a kink exactly at this point), or fails on complex input is
not checked this way.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import MutagradError, UserCodeError
from ..records.check import ComponentResult, Verdict

H = 1e-30  # the complex step: far below any truncation, and Im stays a normal float
COMPLEX_FLOOR_REL = 1e-14  # round-off of a complex-step estimate, relative to the component's norm
COMPLEX_FLOOR_ABS = 1e-14  # ... and relative to the largest component of the probe (cancellation)
FAIL_MARGIN = 10.0  # fail at 10x the floor: a relative error near 1e-13
GATE_EPS = 1e-5  # the central difference the gate compares with
GATE_RTOL = 1e-6  # smooth: they agree to ~1e-10; across a kink or an abs, they do not
COMPLEX_WARNING = getattr(np, "exceptions", np).ComplexWarning  # numpy < 1.25 has it at the top


class ComplexStepUnavailable(MutagradError):
    """The forward cannot be differentiated with complex steps (raised, or dropped Im)."""


def complex_cost(forward, name: str = "model"):
    """J(theta) for complex theta, from an Evaluator-style `forward(parameters) -> (cost, cache)`."""
    def cost(parameters) -> complex:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", COMPLEX_WARNING)
            try:
                value = np.asarray(forward(parameters)[0])
            except UserCodeError as exc:
                raise ComplexStepUnavailable(
                    f"{name}: complex-step needs a forward that accepts complex parameters, and it "
                    f"raised: {exc}; use --method central") from exc
        dropped = any(issubclass(w.category, COMPLEX_WARNING) for w in caught)
        if value.dtype.kind != "c" or dropped:
            raise ComplexStepUnavailable(
                f"{name}: forward drops the imaginary part of complex parameters (a real cost, or a "
                f"cast such as float(), .real or astype(float)); complex-step cannot be used: "
                f"use --method central")
        return complex(value.reshape(()))
    return cost


def complexified(parameters: dict) -> dict:
    return {k: np.array(v, dtype=complex, order="C", copy=True) for k, v in parameters.items()}


def derivatives(ccost, cparams: dict, name: str, h: float = H) -> np.ndarray:
    """Im J(theta + i h e_k) / h for every entry k of cparams[name] (perturbed in place, restored)."""
    flat = cparams[name].reshape(-1)
    out = np.empty(flat.size)
    for k in range(flat.size):
        theta = flat[k]
        flat[k] = theta + 1j * h
        out[k] = ccost(cparams).imag / h
        flat[k] = theta
    return out.reshape(cparams[name].shape)


def gate(ccost, cost, parameters: dict, seed: int) -> str | None:
    """None when complex steps agree with a central difference along a random direction, else why not."""
    rng = np.random.default_rng([seed, 13])
    d = {k: rng.standard_normal(np.shape(v)) for k, v in parameters.items()}
    norm = np.sqrt(sum(float(np.sum(x * x)) for x in d.values()))
    d = {k: x / norm for k, x in d.items()}
    cs = ccost({k: v + 1j * H * d[k] for k, v in complexified(parameters).items()}).imag / H
    jp = cost({k: v + GATE_EPS * d[k] for k, v in parameters.items()})
    jm = cost({k: v - GATE_EPS * d[k] for k, v in parameters.items()})
    central = (jp - jm) / (2 * GATE_EPS)
    scale = abs(cs) + abs(central) + 1e-8 * max(abs(jp), abs(jm), 1.0)
    if np.isfinite(cs) and abs(cs - central) <= GATE_RTOL * scale:
        return None
    return (f"a complex-step directional derivative ({cs:.10g}) disagrees with a central difference "
            f"({central:.10g}): the forward is not complex-analytic here (abs, a comparison, a kink "
            f"exactly at this point)")


def compare(name: str, g, cs, scale: float, probe: str = "") -> ComponentResult:
    """Verdict on one component from analytic g and complex-step cs; `scale`: largest norm in the probe."""
    g = np.asarray(g, dtype=float)
    diff = cs - g
    mismatch = float(np.linalg.norm(diff))
    norm = float(np.linalg.norm(cs) + np.linalg.norm(g))
    floor = COMPLEX_FLOOR_REL * norm + COMPLEX_FLOOR_ABS * scale
    margin = mismatch / floor if floor > 0 else (0.0 if mismatch == 0 else np.inf)
    rel = mismatch / norm if norm > 0 else 0.0
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(diff))), g.shape)) if g.size else None
    if margin >= FAIL_MARGIN:
        status, message = Verdict.FAIL, f"complex-step mismatch is {margin:.3g}x its round-off (relative error {rel:.2e})"
    else:
        status, message = Verdict.PASS, "matches its complex-step derivative"
    return ComponentResult(name=name, status=status, rel_error=rel, margin=float(margin), floor=floor,
                           worst_index=worst, message=message, probe=probe)


def check_point(forward, cost, grads: dict, parameters: dict, probe: str = "", *, seed: int = 0,
                context=None, taylor_seed: int | None = None, unit_roundoff: float = 0.0,
                name: str = "model"):
    """Complex-step counterpart of gradcheck.check_point: (results, None), or (None, why not here)."""
    from .gradcheck import annotate, component_order, grad_name, structural_problem, with_taylor

    ccost = complex_cost(forward, name)
    why = gate(ccost, cost, parameters, seed)
    if why is not None:
        return None, why
    cparams = complexified(parameters)
    order = component_order(list(parameters))
    checked, results = {}, {}
    for pname in order:
        gname = grad_name(pname)
        problem = structural_problem(gname, grads.get(gname), parameters[pname])
        if problem is not None:
            message, diagnosis = problem
            results[pname] = ComponentResult(name=gname, status=Verdict.FAIL, rel_error=None,
                                             diagnosis=diagnosis, message=message, probe=probe)
        else:
            checked[pname] = derivatives(ccost, cparams, pname)
    scale = max((float(np.linalg.norm(v)) for v in checked.values()), default=0.0)
    J0 = cost(parameters) if taylor_seed is not None else None
    for index, pname in enumerate(order):
        if pname not in checked:
            continue
        g = np.asarray(grads[grad_name(pname)], dtype=float)
        result = annotate(compare(grad_name(pname), g, checked[pname], scale, probe), g, checked[pname],
                          parameters[pname], context=context)
        if taylor_seed is not None:
            result = with_taylor(result, cost, parameters, pname, g, J0, unit_roundoff,
                                 seed=taylor_seed, index=index)
        results[pname] = result
    return [results[p] for p in order], None
