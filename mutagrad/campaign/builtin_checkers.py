"""The peers a campaign can measure beside mutagrad, each written to the checker protocol.

  course       the course's gradient_check_n: one point (the initial parameters), the whole
               vector, one relative difference against 2e-7; no lambd, no dropout
  notes-1e-3   the lecture notes' line: the same differences, one relative error per
               component against 1e-3; localizes the first failing one in backprop order
  torch-gradcheck, torch-gradcheck-fast
               torch.autograd.gradcheck with its defaults (full and fast_mode) on the cost as
               a function of every parameter, the hand-written backward as its gradient

A missing or wrongly sized gradient fails (the course's notebook would stop there).
"""
from __future__ import annotations

import numpy as np

from ..check.gradcheck import component_order

EPSILON = 1e-7  # the course's and the notes' step
COURSE_THRESHOLD = 2e-7  # gradient_check_n: above this, "there is a mistake in the backward propagation"
NOTES_THRESHOLD = 1e-3  # the notes: above this, "worry: there is probably a bug"


def _numeric(forward, X, Y, parameters: dict, key: str) -> np.ndarray:
    """Central differences of the cost for every entry of parameters[key] (the course's loop)."""
    approx = np.zeros(parameters[key].size)
    for i in range(parameters[key].size):
        costs = []
        for step in (EPSILON, -EPSILON):
            moved = {k: v.copy() for k, v in parameters.items()}
            moved[key].flat[i] += step
            costs.append(float(forward(X, Y, moved)[0]))
        approx[i] = (costs[0] - costs[1]) / (2 * EPSILON)  # (J(theta+) - J(theta-)) / (2 epsilon)
    return approx


def _analytic(forward, backward, X, Y, parameters: dict) -> dict | None:
    """Each gradient flattened, or None when one is missing or wrongly sized."""
    _, cache = forward(X, Y, parameters)
    grads = backward(X, Y, cache)
    flat = {}
    for k, v in parameters.items():
        g = grads.get("d" + k) if isinstance(grads, dict) else None
        if g is None or np.size(g) != v.size:
            return None
        flat[k] = np.asarray(g, dtype=float).reshape(-1)
    return flat


def _relative(grad: np.ndarray, approx: np.ndarray) -> float:
    """||grad - approx|| / (||grad|| + ||approx||), the course's difference."""
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    return float(np.linalg.norm(grad - approx) / denominator) if denominator else 0.0


def course_check(forward, backward, parameters, X, Y) -> bool:
    """gradient_check_n: one relative difference over the whole parameter vector."""
    grads = _analytic(forward, backward, X, Y, parameters)
    if grads is None:
        return False
    keys = list(parameters)
    grad = np.concatenate([grads[k] for k in keys])
    approx = np.concatenate([_numeric(forward, X, Y, parameters, k) for k in keys])
    return _relative(grad, approx) <= COURSE_THRESHOLD


def notes_check(forward, backward, parameters, X, Y) -> dict:
    """One relative error per component against 1e-3; the first failing one in backprop order."""
    grads = _analytic(forward, backward, X, Y, parameters)
    if grads is None:
        return {"verdict": "fail", "localized": None}
    for k in component_order(list(parameters)):
        if _relative(grads[k], _numeric(forward, X, Y, parameters, k)) > NOTES_THRESHOLD:
            return {"verdict": "fail", "localized": "d" + k}
    return {"verdict": "pass", "localized": None}


def torch_gradcheck(forward, backward, parameters, X, Y, fast_mode: bool = False) -> bool:
    """torch.autograd.gradcheck with its default tolerances, the hand-written backward as the gradient."""
    import torch

    torch.set_num_threads(1)  # tiny problems; one thread keeps forked children independent
    torch.manual_seed(int(np.random.randint(2**31)))  # fast_mode's random vectors, from the seeded global RNG
    keys = list(parameters)
    shapes = {k: parameters[k].shape for k in keys}

    class Cost(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            values = {k: t.detach().numpy().copy() for k, t in zip(keys, tensors)}
            cost, cache = forward(X, Y, values)
            grads = backward(X, Y, cache)
            ctx.grads = [np.asarray(grads.get("d" + k), dtype=float) if isinstance(grads, dict) else None
                         for k in keys]
            return torch.tensor(float(cost), dtype=torch.float64)

        @staticmethod
        def backward(ctx, out):
            return tuple(out * torch.from_numpy(g) for g in ctx.grads)

    _, cache = forward(X, Y, parameters)
    grads = backward(X, Y, cache)
    if not isinstance(grads, dict) or any(np.shape(grads.get("d" + k)) != shapes[k] for k in keys):
        return False  # torch raises on a missing or wrongly shaped gradient
    inputs = tuple(torch.tensor(parameters[k], dtype=torch.float64, requires_grad=True) for k in keys)
    return bool(torch.autograd.gradcheck(lambda *t: Cost.apply(*t), inputs, fast_mode=fast_mode,
                                         raise_exception=False))


def torch_gradcheck_fast(forward, backward, parameters, X, Y) -> bool:
    """torch.autograd.gradcheck(fast_mode=True): a random projection instead of the whole Jacobian."""
    return torch_gradcheck(forward, backward, parameters, X, Y, fast_mode=True)
