"""The Taylor-remainder test: an eps-free second opinion on one gradient component.

Along a random direction d restricted to one parameter (unit norm, seeded),

    r(h) = |J(theta + h d) - J(theta) - h g.d|

is O(h^2) when g is the gradient and only O(h) when it is not: r = h |(grad J - g).d| + O(h^2).
The observed order is the slope of log r against log h at the small-h end, over the steps
whose remainder stands well above the round-off of J. Steps are tried from the smallest up,
so a wrong gradient costs a few evaluations and a right one a handful.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEPS = tuple(10.0 ** -k for k in range(7, 0, -1))  # h = 1e-7 ... 1e-1, ||d|| = 1
FIT_POINTS = 3  # slope over the three smallest usable steps (two decades)
ROUNDOFF_FACTOR = 1e3  # usable when r > 1000 x u x |J|: round-off moves the slope by < 0.01
RIGHT_ORDER = 1.5  # an order below this says the gradient is wrong along d


@dataclass(frozen=True)
class TaylorResult:
    """The observed order (None when r stayed at round-off) and the points it was fitted on."""
    order: float | None
    steps: tuple[float, ...]
    remainders: tuple[float, ...]
    note: str = ""


def direction(shape, seed: int, index: int) -> np.ndarray:
    """A seeded random unit direction in the space of one parameter."""
    d = np.random.default_rng([seed, 7, index]).standard_normal(shape)
    return d / np.linalg.norm(d)


def remainders(cost, parameters: dict, name: str, d: np.ndarray, J0: float, steps=STEPS):
    """J(theta + h d) for each h (parameters[name] is moved in place and restored)."""
    P = parameters[name]
    owner = getattr(cost, "__self__", None)  # evaluator.Evaluator.cost: a remote model answers in one call
    table = owner.entry_costs(parameters, name, list(steps), np.asarray(d, dtype=float)) \
        if hasattr(owner, "entry_costs") and np.shape(d) == P.shape else None
    if table is not None:
        return table[0][0].copy()
    theta = P.copy()
    values = []
    try:
        for h in steps:
            P[...] = theta + h * d
            values.append(cost(parameters))
    finally:
        P[...] = theta
    return np.array(values)


def observed_order(steps, values, J0: float, slope: float, unit_roundoff: float) -> TaylorResult:
    """Order of r(h) = |J(theta + h d) - J0 - h slope| from evaluations `values` at `steps`."""
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    r = np.abs(values - J0 - steps * slope)
    noise = ROUNDOFF_FACTOR * unit_roundoff * np.maximum(np.abs(values), abs(J0))
    usable = np.flatnonzero(np.isfinite(r) & (r > noise))
    if usable.size < 2:
        return TaylorResult(None, tuple(steps), tuple(r), "at round-off for every step")
    run = usable[:FIT_POINTS]  # the small-h end, where the leading term of r dominates
    x, y = np.log(steps[run]), np.log(r[run])
    order = float(np.polyfit(x, y, 1)[0])
    return TaylorResult(order, tuple(steps[run]), tuple(r[run]))


def taylor_test(cost, parameters: dict, name: str, g, J0: float, unit_roundoff: float,
                seed: int = 0, index: int = 0) -> TaylorResult:
    """Observed Taylor order of component `name` with analytic gradient g (cheap: <= len(STEPS) calls)."""
    P = parameters[name]
    d = direction(P.shape, seed, index)
    slope = float(np.vdot(np.asarray(g, dtype=float), d))
    values, used = [], []
    for h in STEPS:
        used.append(h)
        values.extend(remainders(cost, parameters, name, d, J0, steps=(h,)))
        result = observed_order(used, values, J0, slope, unit_roundoff)
        if result.order is not None and len(result.steps) >= FIT_POINTS:
            return result
    return observed_order(used, values, J0, slope, unit_roundoff)
