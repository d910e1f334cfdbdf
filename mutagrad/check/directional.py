"""Per-component directional checks: cost grows with the number of components, not of parameters.

For each component (W3, b3, ...) and a few seeded random directions d restricted to it,

    numeric   (J(theta + eps d) - J(theta - eps d)) / 2 eps        (and with EPS_WIDE)
    analytic  g . d

Each direction is one "virtual entry" of numeric.Differences (central, wide, one-sided,
curvature), so gradcheck.compare gives the verdict with the same noise floor, kink rule and
thresholds as the per-entry check. For a matrix, d = outer(u, v) with u, v random signs
times magnitudes in [1, 2) (for a vector, d = u): every entry moves by 1 to 4 eps, as in the
per-entry check, no entry's error can vanish from g . d, and d costs O(rows + columns) to
draw and to push through W A. A failing component is then drilled into by bisection: the half whose own
directional mismatch is larger is kept until LEAF entries remain, which are checked one by one;
the worst of them is the component's worst_index.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .gradcheck import F64_ROUNDOFF, compare, component_order, confirm, grad_name, structural_failure
from .lines import Directions, FastLine, ModelLine, differences  # noqa: F401 (protocol: directional.ModelLine)
from .numeric import CONFIRM_STEPS, EPS, EPS_WIDE, RESOLVE_STEPS, Differences
from ..records.check import ComponentResult, Verdict

DIRECTIONS = 3  # per component: a wrong gradient hides from all three with probability ~1e-3
LEAF = 8  # bisection stops at this many entries, which get one central difference each
# auto mode: exhaustive up to this many parameters. The exhaustive check costs 4 n + 1 costs per
# probe; with the plain loop (a user's file) at ~60 us a forward pass, 10k parameters take about
# 10 s over the four probes. Above it the directional check (~13 costs per component) wins.
AUTO_EXHAUSTIVE_MAX = 10_000
# auto mode without the layered evaluator (a user's file): every cost is a whole forward pass of
# the model (soon across a process boundary), so entries stay affordable only for small models:
# 4 n + 1 calls per probe, against about 90 for the directional screen.
AUTO_PLAIN_EXHAUSTIVE_MAX = 100
MODES = ("auto", "exhaustive", "directional")


def choose_mode(mode: str, n_parameters: int, layered: bool = True) -> str:
    """The mode that runs: `mode`, or for "auto" exhaustive up to a parameter count.

    layered: whether the layered evaluator may serve the probes (the reference network, a
    catalog mutant); without it (a user's file) entries are checked only up to
    AUTO_PLAIN_EXHAUSTIVE_MAX parameters, and larger models are screened by directions.
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}: choose one of {', '.join(MODES)}")
    if mode != "auto":
        return mode
    limit = AUTO_EXHAUSTIVE_MAX if layered else AUTO_PLAIN_EXHAUSTIVE_MAX
    return "exhaustive" if n_parameters <= limit else "directional"


def check_component(name: str, g: np.ndarray, pname: str, line, J0: float, *, seed: int, index: int,
                    unit_roundoff: float, probe: str = "", eps: float = EPS,
                    eps_wide: float = EPS_WIDE) -> ComponentResult:
    """Verdict on one component along DIRECTIONS random directions, drilled into when it fails."""
    g = np.asarray(g, dtype=float)
    D = Directions(g.shape, DIRECTIONS, seed, index)
    slopes = D.dot(g)
    near = None
    if line.screens:
        passed, near = screen(name, slopes, pname, line, D, J0, unit_roundoff=unit_roundoff, probe=probe, eps=eps)
        if passed is not None:
            return passed
    d = differences(line, pname, D, J0, eps, eps_wide, near=near)
    result = compare(name, slopes, d, unit_roundoff=unit_roundoff, probe=probe, eps=eps)
    if (result.kinks or result.status is Verdict.WARN) and unit_roundoff <= F64_ROUNDOFF:
        resolved = resolve(name, slopes, pname, line, D, J0, unit_roundoff=unit_roundoff, probe=probe)
        if resolved is not None:
            result, d, eps = resolved
    if result.kinks:
        # A direction crossed kinks of several units at once (relu at exactly 0, e.g. a dead
        # example with zero biases): its one-sided differences no longer bound the analytic
        # value, so this component is checked entry by entry, as in exhaustive mode.
        result = compare(name, g, line.entries(pname, eps, eps_wide), unit_roundoff=unit_roundoff,
                         probe=probe, eps=eps)
        return replace(result, message=f"{result.message}; checked entry by entry: a random "
                                       f"direction crossed a kink")
    if result.status is Verdict.FAIL and eps < min(CONFIRM_STEPS):
        # as gradcheck.confirm: larger steps that agree with g mean round-off steps in J, not a bug
        J, t = line.along(pname, D, [s for h in CONFIRM_STEPS for s in (h, -h)])
        larger = [(J[:, k] - J[:, k + 1]) / (t[:, k] - t[:, k + 1]) for k in range(0, J.shape[1], 2)]
        result = confirm(result, slopes, d.central, larger)
    if result.status is not Verdict.FAIL:
        return replace(result, worst_index=None)  # the index of a direction would mean nothing
    worst, mismatch = drill_down(g, pname, line, eps, seed=seed, index=index)
    return replace(result, worst_index=worst,
                   message=f"{result.message} along {DIRECTIONS} random directions; worst entry "
                           f"{list(worst)} by bisection (numeric - analytic = {mismatch:.3g})")


def screen(name: str, slopes: np.ndarray, pname: str, line, D: Directions, J0: float, *,
           unit_roundoff: float, probe: str = "", eps: float = EPS):
    """(pass result or None, (J, t) at +-eps): the component judged from +-eps alone, if it clearly passes.

    Against the round-off model alone, the smallest floor compare() can use: a component that
    passes here (margin under WARN_MARGIN, relative error under WORRY_REL) passes the full check
    too, whose measured floor is never lower. Anything else goes on to the wide step and the
    full check, which reuses these costs: the screen saves half the model calls of a passing
    component and costs a failing one nothing.
    """
    J, t = line.along(pname, D, (eps, -eps))
    jp, jm = J.T
    if not (np.all(np.isfinite(J)) and np.isfinite(J0)):
        return None, (J, t)
    tp, tm = t.T
    zeros = np.zeros(len(slopes))
    with np.errstate(divide="ignore", invalid="ignore"):
        central = (jp - jm) / (tp - tm)
        d = Differences(central=central, wide=central, forward=(jp - J0) / tp, backward=(J0 - jm) / -tm,
                        curvature=zeros, curvature_wide=zeros,
                        cost_scale=float(max(abs(J0), np.max(np.abs(jp)), np.max(np.abs(jm)))))
    result = compare(name, slopes, d, unit_roundoff=unit_roundoff, probe=probe, eps=eps)
    if result.status is not Verdict.PASS or not np.all(np.isfinite(central)):
        return None, (J, t)
    return replace(result, worst_index=None, message=f"{result.message}; screened at +-{eps:g} against "
                                                     f"the round-off floor"), (J, t)


def resolve(name: str, slopes: np.ndarray, pname: str, line, D: Directions, J0: float, *,
            unit_roundoff: float, probe: str = ""):
    """(result, differences, eps) at the first step of RESOLVE_STEPS that judges the component, or None.

    A component left inconclusive (or crossing a kink) at the default step gets a step chosen
    for it: the same directions, at each step of the ladder, until one gives pass or fail with
    no kink on the way. Its noise floor is measured at that step as at any other, so a real bug
    still stands above it.
    """
    for eps, eps_wide in RESOLVE_STEPS:
        d = differences(line, pname, D, J0, eps, eps_wide)
        result = compare(name, slopes, d, unit_roundoff=unit_roundoff, probe=probe, eps=eps)
        if not result.kinks and result.status is not Verdict.WARN:
            note = f"judged at eps = {eps:g}, a step chosen for this component"
            return replace(result, message=f"{result.message}; {note}"), d, eps
    return None


def drill_down(g: np.ndarray, pname: str, line, eps: float, *, seed: int, index: int):
    """(index, numeric - analytic) of the worst entry found by bisecting on directional mismatch."""
    rng = np.random.default_rng([seed, 17, index])
    lo, hi = 0, g.size  # a block of flat indices
    while hi - lo > LEAF:
        mid = (lo + hi) // 2
        V = np.zeros((2, g.size))
        r = rng.uniform(-1.0, 1.0, hi - lo)
        V[0, lo:mid], V[1, mid:hi] = np.split(r + np.sign(r), [mid - lo])
        V = V.reshape((2,) + g.shape)
        J, t = line.costs(pname, V, (eps, -eps), rows=_rows(lo, hi, g.shape))
        numeric = (J[:, 0] - J[:, 1]) / (t[:, 0] - t[:, 1])
        mismatch = np.abs(numeric - V.reshape(2, -1) @ g.reshape(-1))
        lo, hi = (lo, mid) if mismatch[0] >= mismatch[1] else (mid, hi)
    V = np.zeros((hi - lo, g.size))
    V[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
    J, t = line.costs(pname, V.reshape((hi - lo,) + g.shape), (eps, -eps), rows=_rows(lo, hi, g.shape))
    error = (J[:, 0] - J[:, 1]) / (t[:, 0] - t[:, 1]) - g.reshape(-1)[lo:hi]
    k = int(np.argmax(np.abs(error)))
    worst = tuple(int(i) for i in np.unravel_index(lo + k, g.shape))
    return worst, float(error[k])


def _rows(lo: int, hi: int, shape) -> slice:
    """The rows of a parameter of `shape` that flat indices lo..hi-1 fall in."""
    width = shape[1] if len(shape) > 1 else 1
    return slice(lo // width, (hi - 1) // width + 1)


def check_point(line, grads: dict, parameters: dict, J0: float, *, seed: int, unit_roundoff: float,
                probe: str = "", eps: float = EPS, eps_wide: float = EPS_WIDE) -> list[ComponentResult]:
    """Directional verdicts on every component of `grads` (structural problems fail at once)."""
    results = []
    for index, pname in enumerate(component_order(list(parameters))):
        name = grad_name(pname)
        g = grads.get(name)
        failed = structural_failure(name, g, parameters[pname], probe)
        if failed is not None:
            results.append(failed)
            continue
        results.append(check_component(name, g, pname, line, J0, seed=seed, index=index,
                                       unit_roundoff=unit_roundoff, probe=probe, eps=eps, eps_wide=eps_wide))
    return results
