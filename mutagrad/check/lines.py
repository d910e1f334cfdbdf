"""J along seeded random directions inside one component: the directions, and the lines that evaluate them.

ModelLine calls the model's own forward for each cost (any model); FastLine asks the layered
evaluator (fastpath.LayeredCost). differences() turns the costs into numeric.Differences with
one virtual entry per direction, for gradcheck.compare.
"""
from __future__ import annotations

import numpy as np

from .numeric import Differences, finite_differences


def _signed(rng, size) -> np.ndarray:
    """Random signs times magnitudes in [1, 2)."""
    r = 2 * rng.random(size) - 1
    return r + np.sign(r)


class Directions:
    """`count` seeded random directions in one component's space: outer(u, v) for a matrix, u for a vector.

    Rank-1 directions cost O(rows + columns) to draw, and their effect on W A is u (v^T A).
    """

    def __init__(self, shape, count: int, seed: int, index: int):
        rng = np.random.default_rng([seed, 13, index])
        self.shape = tuple(shape)
        matrix = len(self.shape) == 2 and self.shape[1] > 1
        rows, cols = self.shape if matrix else (int(np.prod(self.shape)), 1)
        self.U = _signed(rng, (count, rows))
        self.V = _signed(rng, (count, cols)) if matrix else np.ones((count, 1))

    def dense(self) -> np.ndarray:
        """(count, *shape): the directions as arrays."""
        return (self.U[:, :, None] * self.V[:, None, :]).reshape((len(self.U),) + self.shape)

    def dot(self, g: np.ndarray) -> np.ndarray:
        """g . d for every direction d."""
        return np.sum((self.U @ g.reshape(self.U.shape[1], -1)) * self.V, axis=1)


def steps_taken(theta: np.ndarray, V: np.ndarray, steps) -> np.ndarray:
    """(K, S): how far theta + s V[k] really moves along V[k] for each step s, after rounding."""
    moved = np.empty_like(theta)
    taken = np.empty((len(V), len(steps)))
    for k, v in enumerate(V):
        vv = float(np.vdot(v, v))
        for s, step in enumerate(steps):
            np.add(theta, np.multiply(v, step, out=moved), out=moved)
            taken[k, s] = float(np.vdot(np.subtract(moved, theta, out=moved), v)) / vv
    return taken


class ModelLine:
    """J along directions inside one component, with the model's own forward (any model)."""

    screens = True  # every cost is a model call: a component that passes at +-eps alone is done

    def __init__(self, cost, parameters: dict):
        self.cost, self.parameters = cost, parameters

    def costs(self, pname: str, V: np.ndarray, steps, rows=None) -> tuple[np.ndarray, np.ndarray]:
        """J(theta + s V[k]) and the step actually taken along V[k] after rounding, both (K, S)."""
        P = self.parameters[pname]
        taken = steps_taken(P, V, steps)
        owner = getattr(self.cost, "__self__", None)  # evaluator.Evaluator.cost: a remote model answers in one call
        table = owner.entry_costs(self.parameters, pname, list(steps), np.asarray(V, dtype=float)) \
            if hasattr(owner, "entry_costs") and len(V) else None
        if table is not None:
            return table[0], taken
        theta = P.copy()
        work = np.empty_like(theta)  # no fresh temporaries per cost: a first layer's are megabytes
        J = np.empty((len(V), len(steps)))
        try:
            for k, v in enumerate(V):
                for s, step in enumerate(steps):
                    np.add(theta, np.multiply(v, step, out=work), out=P)
                    J[k, s] = self.cost(self.parameters)
        finally:
            P[...] = theta
        return J, taken

    def along(self, pname: str, D: Directions, steps):
        return self.costs(pname, D.dense(), steps)

    def entries(self, pname: str, eps: float, eps_wide: float) -> Differences:
        """The per-entry differences of the plain loop."""
        return finite_differences(self.cost, self.parameters, pname, eps=eps, eps_wide=eps_wide)


class FastLine:
    """The same through fastpath.LayeredCost: the point theta + s V[k] exactly, no rounding of theta."""

    screens = False  # the four steps of a direction are one stacked evaluation: nothing to save

    def __init__(self, fast):
        self.fast = fast

    def costs(self, pname: str, V: np.ndarray, steps, rows=None) -> tuple[np.ndarray, np.ndarray]:
        steps = np.asarray(steps, dtype=float)
        J = self.fast.direction_costs(pname, V, steps, slice(None) if rows is None else rows)
        return J, np.broadcast_to(steps, J.shape)

    def along(self, pname: str, D: Directions, steps):
        steps = np.asarray(steps, dtype=float)
        J = self.fast.rank1_costs(pname, D.U, D.V, steps)
        return J, np.broadcast_to(steps, J.shape)

    def entries(self, pname: str, eps: float, eps_wide: float) -> Differences:
        return self.fast.differences(pname, eps=eps, eps_wide=eps_wide)


def differences(line, pname: str, D: Directions, J0: float, eps: float, eps_wide: float,
                near=None) -> Differences:
    """numeric.Differences with one virtual entry per direction of D (near: J, t at +-eps, if taken)."""
    if near is None:
        J, t = line.along(pname, D, (eps, -eps, eps_wide, -eps_wide))
    else:
        J, t = line.along(pname, D, (eps_wide, -eps_wide))
        J, t = np.hstack([near[0], J]), np.hstack([near[1], t])
    jp, jm, jpw, jmw = J.T
    tp, tm, tpw, tmw = t.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return Differences(
            central=(jp - jm) / (tp - tm), wide=(jpw - jmw) / (tpw - tmw),
            forward=(jp - J0) / tp, backward=(J0 - jm) / -tm,
            curvature=np.abs(jp - 2 * J0 + jm) / eps,
            curvature_wide=np.abs(jpw - 2 * J0 + jmw) / eps_wide,
            cost_scale=float(max(abs(J0), np.max(np.abs(jp)), np.max(np.abs(jm)))))
