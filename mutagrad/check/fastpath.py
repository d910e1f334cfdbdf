"""When may a probe use the fast evaluator (layered.LayeredCost)? Only when it provably agrees.

The checker is blind: a mutant may patch forward, compute_cost or activation_forward, and a
user file is arbitrary code, so LayeredCost (the reference network's function, computed layer
by layer) is only a candidate. It is offered when the model's forward names a reference
configuration (`hidden=`, `output=` in its signature or its functools.partial) and the
parameters are W1, b1, ..., WL, bL; it is used only after a self-check at the start of each
probe, with the probe's own lambd, keep_prob and dropout masks: its cost must agree with the
model's own forward to SELF_CHECK_RTOL at the probe point, at SELF_CHECK_POINTS random points
around it, and after one moderate step through the perturbation path the probe uses (entries
or directions). A patched forward, float32 inside, other dropout masks: the self-check fails
and the probe falls back to the plain loop. Agreement to 1e-12 at random points is the
evidence that the model computes this function (and in float64, so the probe's precision
measurement is skipped); the incremental paths equal the from-scratch evaluation in exact
arithmetic, which tests/check/test_fastpath.py checks to round-off.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from .layered import HIDDEN, MEMORY_BUDGET, OUTPUTS, LayeredCost  # noqa: F401 (MEMORY_BUDGET: re-exported)

SELF_CHECK_RTOL = 1e-12  # the fast cost must match the model's forward this closely
SELF_CHECK_POINTS = 1  # random points besides the probe point and the path's point
SELF_CHECK_SPREAD = 0.1  # ... at theta + SPREAD * max(rms, 0.1) * outer(u, v), u, v ~ U(-1, 1)


def reference_config(forward) -> tuple[str, str] | None:
    """(hidden, output) when `forward` is a reference-style forward (possibly partial), else None."""
    keywords = {}
    fn = forward
    while isinstance(fn, functools.partial):
        keywords = {**fn.keywords, **keywords}
        fn = fn.func
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    config = []
    for name, known in (("hidden", HIDDEN), ("output", OUTPUTS)):
        param = sig.parameters.get(name)
        value = keywords.get(name, None if param is None else param.default)
        if param is None or value not in known:
            return None
        config.append(value)
    return config[0], config[1]


def layer_count(parameters: dict, X, Y) -> int | None:
    """L when `parameters` are exactly W1, b1, ..., WL, bL chaining X's rows to Y's, else None."""
    L = len(parameters) // 2
    if L < 1 or set(parameters) != {f"{p}{l}" for p in "Wb" for l in range(1, L + 1)}:
        return None
    if np.ndim(X) != 2 or np.ndim(Y) != 2 or np.shape(X)[1] != np.shape(Y)[1]:
        return None
    rows = np.shape(X)[0]
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        if W.ndim != 2 or W.shape[1] != rows or b.shape != (W.shape[0], 1):
            return None
        rows = W.shape[0]
    return L if rows == np.shape(Y)[0] else None


def fast_cost(model, ev, parameters: dict, J0: float, seed: int = 0, use: str = "entries") -> LayeredCost | None:
    """A LayeredCost for this probe if the model's own forward agrees with it, else None.

    Args:
        model: the evaluator.Model under check.
        ev: its evaluator.Evaluator for this probe (lambd, keep_prob, mask seed pinned).
        parameters: the probe point (never modified).
        J0: the model's cost at the probe point.
        seed: seeds the self-check's random points.
        use: the path the probe will take, "entries" (exhaustive) or "directions".

    Returns:
        The evaluator, or None: not a reference-style forward, or the self-check disagreed.
    """
    config = reference_config(model.forward)
    if config is None or layer_count(parameters, ev.X, ev.Y) is None:
        return None
    lambd = float(ev.kwargs.get("lambd", 0.0))
    keep_prob = float(ev.kwargs.get("keep_prob", 1.0))
    try:
        with np.errstate(all="ignore"):
            fast = LayeredCost(ev.X, ev.Y, parameters, *config, lambd=lambd, keep_prob=keep_prob,
                               mask_seed=ev.mask_seed, J0=J0)
            return fast if self_check(fast, ev, parameters, J0, seed, use) else None
    except (ValueError, TypeError, IndexError, FloatingPointError):
        return None


def _agree(a: float, b: float) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= SELF_CHECK_RTOL * max(abs(a), abs(b), 1e-300))


def _random_like(rng, P: np.ndarray) -> np.ndarray:
    """A random array shaped like P, entries in (-1, 1): outer(u, v) for a matrix (cheap to draw)."""
    if P.ndim == 2:
        return np.outer(2 * rng.random(P.shape[0]) - 1, 2 * rng.random(P.shape[1]) - 1)
    return 2 * rng.random(P.shape) - 1


def self_check(fast: LayeredCost, ev, parameters: dict, J0: float, seed: int, use: str = "entries") -> bool:
    """Does the model's own forward compute the fast evaluator's cost? (3 model calls)"""
    if not _agree(fast.own_base_cost(), J0):
        return False
    rng = np.random.default_rng([seed, 5])
    for _ in range(SELF_CHECK_POINTS):
        point = {k: v + SELF_CHECK_SPREAD * max(float(np.sqrt(np.mean(v * v))), 0.1) * _random_like(rng, v)
                 for k, v in parameters.items()}
        if not _agree(fast.cost_at(point), ev.cost(point)):
            return False
    # One moderate step through the perturbation path the probe will use, on a random component.
    names = sorted(parameters)
    pname = names[int(rng.integers(len(names)))]
    P = parameters[pname]
    moved = dict(parameters)  # the other components unchanged
    if use == "directions":  # a rank-1 direction, as directional.Directions draws them
        U, V = 2 * rng.random((1, P.shape[0])) - 1, 2 * rng.random((1, P.shape[1])) - 1
        if pname.startswith("b"):
            V = np.ones((1, 1))
        moved[pname] = P + 1e-3 * np.outer(U[0], V[0])
        return _agree(float(fast.rank1_costs(pname, U, V, np.array([1e-3]))[0, 0]), ev.cost(moved))
    i = int(rng.integers(P.size))
    moved[pname] = P.copy()
    moved[pname].reshape(-1)[i] += 1e-3 * max(1.0, abs(float(P.reshape(-1)[i])))
    h = moved[pname].reshape(-1)[i] - P.reshape(-1)[i]
    return _agree(float(fast.entry_costs(pname, np.array([i]), np.array([h]))[0]), ev.cost(moved))
