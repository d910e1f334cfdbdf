"""Finite differences of a scalar cost, one parameter entry at a time.

For every entry theta_i the cost is evaluated at theta_i +- EPS and +- EPS_WIDE, plus
once at theta itself, which gives

    central_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)     # the notes' estimate
    wide_i    = the same with EPS_WIDE: its difference from central_i is dominated by
                the round-off of central_i, an empirical noise floor
    forward_i, backward_i = one-sided differences; they disagree by far more than
                eps * J'' only where the probe crosses a kink (relu at 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-7  # the lecture notes' step
EPS_WIDE = 1e-6  # second step: 10x less round-off, truncation still ~1e-13 * J'''
# Larger steps that re-probe a failing component: where J is computed with round-off steps
# wider than EPS_WIDE (log(1 - a) of a saturated sigmoid) both small steps miss a term alike.
CONFIRM_STEPS = (1e-5, 1e-4, 1e-3)
# Steps a float64 component is re-probed with before it is left inconclusive, as (eps, eps_wide):
# smaller first (along a long direction a relu kink a few 1e-7 away spoils the wide step), then
# larger (a tiny derivative is lost in round-off); in directional mode only where no kink shows. A cost of
# lower precision keeps its own step (precision.EPS_FOR) and is not re-probed.
RESOLVE_STEPS = ((1e-8, 1e-7), (1e-9, 1e-8), (1e-6, 1e-5), (1e-5, 1e-4))


@dataclass
class Differences:
    """Per-entry finite-difference estimates for one component, shaped like the parameter."""
    central: np.ndarray
    wide: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    curvature: np.ndarray  # |J+ - 2 J0 + J-| / eps
    curvature_wide: np.ndarray  # the same with EPS_WIDE
    cost_scale: float  # max |J| seen, for the round-off model


def finite_differences(cost, parameters: dict, name: str,
                       eps: float = EPS, eps_wide: float = EPS_WIDE) -> Differences:
    """Differences of `cost` along every entry of parameters[name] (perturbed in place, restored)."""
    P = parameters[name]
    flat = P.reshape(-1)  # a view: P is a private contiguous copy (see protocol.own_parameters)
    n = flat.size
    J0 = cost(parameters)
    out = {k: np.empty(n) for k in ("central", "wide", "forward", "backward", "curv", "curv_wide")}
    scale = abs(J0)
    owner = getattr(cost, "__self__", None)  # evaluator.Evaluator.cost: a remote model answers all entries at once
    table = owner.entry_costs(parameters, name, (eps, -eps, eps_wide, -eps_wide)) \
        if hasattr(owner, "entry_costs") else None
    if table is not None:  # the same arithmetic as the loop below, entry by entry
        (jp, jm, jpw, jmw), (hp, hm, hpw, hmw) = table[0].T, table[1].T
        scale = max(scale, float(np.max(np.abs(jp), initial=0.0)), float(np.max(np.abs(jm), initial=0.0)))
        out.update(central=(jp - jm) / (hp - hm), wide=(jpw - jmw) / (hpw - hmw), forward=(jp - J0) / hp,
                   backward=(J0 - jm) / -hm, curv=np.abs(jp - 2 * J0 + jm) / eps,
                   curv_wide=np.abs(jpw - 2 * J0 + jmw) / eps_wide)
    for i in range(n if table is None else 0):
        theta = flat[i]
        values = []
        for step in (eps, -eps, eps_wide, -eps_wide):
            flat[i] = theta + step
            h = flat[i] - theta  # the step actually taken after rounding theta + step
            values.append((cost(parameters), h))
        flat[i] = theta
        (jp, hp), (jm, hm), (jpw, hpw), (jmw, hmw) = values
        scale = max(scale, abs(jp), abs(jm))
        out["central"][i] = (jp - jm) / (hp - hm)
        out["wide"][i] = (jpw - jmw) / (hpw - hmw)
        out["forward"][i] = (jp - J0) / hp
        out["backward"][i] = (J0 - jm) / -hm
        out["curv"][i] = abs(jp - 2 * J0 + jm) / eps
        out["curv_wide"][i] = abs(jpw - 2 * J0 + jmw) / eps_wide
    shape = P.shape
    return Differences(
        central=out["central"].reshape(shape), wide=out["wide"].reshape(shape),
        forward=out["forward"].reshape(shape), backward=out["backward"].reshape(shape),
        curvature=out["curv"].reshape(shape), curvature_wide=out["curv_wide"].reshape(shape),
        cost_scale=float(scale),
    )


def central_differences(cost, parameters: dict, name: str, steps=CONFIRM_STEPS,
                        entries=None) -> list[np.ndarray]:
    """(J(theta + h e_i) - J(theta - h e_i)) / 2h for each h, at the given flat entries (NaN elsewhere)."""
    P = parameters[name]
    flat = P.reshape(-1)
    out = [np.full(flat.size, np.nan) for _ in steps]
    at = list(range(flat.size) if entries is None else entries)
    owner = getattr(cost, "__self__", None)  # evaluator.Evaluator.cost: a remote model answers all entries at once
    table = owner.entry_costs(parameters, name, [s * h for h in steps for s in (1, -1)], at) \
        if hasattr(owner, "entry_costs") and at else None
    if table is not None:  # the same arithmetic as the loop below
        costs, taken = table
        for k in range(len(steps)):
            out[k][at] = (costs[:, 2 * k] - costs[:, 2 * k + 1]) / (taken[:, 2 * k] - taken[:, 2 * k + 1])
        at = []
    for i in at:
        theta = flat[i]
        for k, h in enumerate(steps):
            flat[i] = theta + h
            jp, hp = cost(parameters), flat[i] - theta
            flat[i] = theta - h
            jm, hm = cost(parameters), flat[i] - theta
            out[k][i] = (jp - jm) / (hp - hm)
        flat[i] = theta
    return [d.reshape(P.shape) for d in out]
