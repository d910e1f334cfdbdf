"""How precisely does the code under check compute its cost? Low precision makes eps = 1e-7 meaningless.

Two signs, both measured blind:

  dtype  the cost comes back as float32 or float16
  noise  the cost is float64 but computed at lower precision inside (parameters cast to
         float32): along a random direction, J at seven points spaced EPS apart (on each side
         of theta) does not lie on a parabola to float64 round-off, or does not change at all

Either way the check goes on with a step and a round-off model that suit the precision
(EPS_FOR), and the probe carries a warning: its verdict is at best `warn`, and only an
error far above the low-precision noise can still fail.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numeric import EPS, EPS_WIDE

F64_ROUNDOFF = float(np.finfo(np.float64).eps) / 2
LOW_PRECISION_NOISE = 1e4  # J this much noisier than float64 round-off is not float64
# ... round-off of max(|J|, ROUNDOFF_SCALE): a loss near 0 (a saturated softmax, m = 1) keeps the
# absolute round-off of its O(1) probabilities, far above float64 round-off of |J| itself.
ROUNDOFF_SCALE = 1.0
LINE_POINTS = 6  # J(theta + k EPS d) for k = 0..6 on each side
FLOAT16_NOISE = 1e-5  # measured relative noise above this: treat as float16, below: float32
NOISY_COST = 1e-2  # ... above this the cost is not merely imprecise: it is noisy
BIG_STEP = 1e-2  # a cost unchanged under +-EPS is re-tried with this step
# Steps for low precision: about u^(1/3), balancing round-off u|J|/eps with truncation eps^2 J'''.
EPS_FOR = {"float32": 1e-3, "float16": 3e-2}
WIDE_FACTOR = 10.0  # the second step, as EPS_WIDE / EPS in float64
INCONCLUSIVE = "computes in {name}: the check is inconclusive at this eps; cast to float64"


@dataclass(frozen=True)
class Precision:
    """The precision the checker assumes, with the steps and the warning that go with it."""
    name: str  # "float64", "float32", "float16"
    unit_roundoff: float
    eps: float = EPS
    eps_wide: float = EPS_WIDE
    warning: str | None = None
    cost_noise: float = 0.0  # measured scatter of J about a parabola, relative to |J| (0: not measured)

    @property
    def low(self) -> bool:
        return self.name != "float64"


FLOAT64 = Precision("float64", F64_ROUNDOFF)


def low_precision(name: str, why: str) -> Precision:
    eps = EPS_FOR[name]
    warning = (f"the cost {INCONCLUSIVE.format(name=name)} ({why}); checked instead with eps = {eps:g} "
               f"against {name} round-off, so only errors far above its noise can fail")
    return Precision(name, float(np.finfo(name).eps) / 2, eps, eps * WIDE_FACTOR, warning)


def from_dtype(dtype) -> Precision | None:
    """The precision a cost's dtype announces (None for float64 and for non-float dtypes)."""
    if dtype is None:
        return None
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        return None
    bits = np.finfo(dtype).bits  # of the real part
    if bits >= 64:
        return None
    return low_precision("float16" if bits <= 16 else "float32", f"it returns {dtype.name}")


def measure(cost, parameters: dict, J0: float, cost_dtype=None, seed: int = 0) -> Precision:
    """The precision of `cost` at `parameters` (6 extra evaluations, 12 at a kink, when the dtype says float64)."""
    announced = from_dtype(cost_dtype)
    if announced is not None:
        return announced
    rng = np.random.default_rng([seed, 11])
    direction = {k: rng.standard_normal(np.shape(v)) for k, v in parameters.items()}
    norm = np.sqrt(sum(float(np.sum(d * d)) for d in direction.values()))
    # One line on each side of theta: a kink exactly at theta (relu at 0) bends neither. The
    # second side is taken only when the first is not smooth float64 (each cost may be a model call).
    sides = [_line_noise(cost, parameters, direction, EPS / norm, J0)]
    if not _smooth(sides[0], J0):
        sides.append(_line_noise(cost, parameters, direction, -EPS / norm, J0))
    smooth = [noise for noise in sides if _smooth(noise, J0)]
    if smooth:
        return Precision("float64", F64_ROUNDOFF, cost_noise=min(smooth))
    measured = [noise for noise in sides if noise is not None and noise > 0]
    if not measured:  # the cost did not change along either side
        if _along(cost, parameters, direction, BIG_STEP / norm) == J0:
            return FLOAT64  # a cost that does not depend on the parameters at all
        return low_precision("float32", f"the cost does not change under +-{EPS:g} perturbations")
    noise = min(measured)
    if noise > NOISY_COST:
        return Precision("float64", F64_ROUNDOFF, warning=(
            f"the cost is noisy: nearby evaluations scatter by {noise:.1e} of |J|; is some "
            f"randomness left unpinned?"))
    name = "float16" if noise > FLOAT16_NOISE else "float32"
    return low_precision(name, "its float64 values scatter far above float64 round-off")


def _smooth(noise: float | None, J0: float) -> bool:
    """Is a scatter of `noise` (relative to |J|) float64 round-off?"""
    scale = max(abs(J0), ROUNDOFF_SCALE) / max(abs(J0), 1e-300)
    return noise is not None and 0 < noise <= LOW_PRECISION_NOISE * F64_ROUNDOFF * scale


def _line_noise(cost, parameters: dict, direction: dict, step: float, J0: float) -> float | None:
    """Scatter of J(theta + k step d), k = 0..LINE_POINTS, about a parabola, relative to |J|.

    0 when J did not change at all; None when it was not finite.
    """
    ks = np.arange(LINE_POINTS + 1)
    values = np.array([J0] + [_along(cost, parameters, direction, k * step) for k in ks[1:]])
    if not np.all(np.isfinite(values)):
        return None
    if np.all(values == J0):
        return 0.0
    fit = np.polyval(np.polyfit(ks, values, 2), ks)
    scale = max(float(np.max(np.abs(values))), 1e-300)
    return float(np.sqrt(np.mean((values - fit) ** 2))) / scale


def _along(cost, parameters: dict, direction: dict, t: float) -> float:
    """J(theta + t d), restoring theta."""
    saved = {k: v.copy() for k, v in parameters.items()}
    try:
        for k, v in parameters.items():
            v[...] = saved[k] + t * direction[k]
        return cost(parameters)
    finally:
        for k, v in parameters.items():
            v[...] = saved[k]
