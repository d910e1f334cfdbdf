"""The sensitivity sweep: how small an error can each checking method see, with no false alarm?

On the reference network (every configuration of configs.CONFIGS, a few seeds, every probe),
one gradient component at a time is corrupted by a planted error of relative size delta:

  scale  g (1 + delta)                               every component
  term   g + delta ||g|| W / ||W||                   weights: a stray term proportional to W
  shift  g + delta ||g|| (1, ..., 1) / sqrt(n)       biases: a shifted bias gradient

for delta = 1e-1 ... 1e-10. The costs do not depend on the planted error, so each probe's
finite differences, complex steps and Taylor evaluations are taken once, and every method
judges every corrupted gradient from them:

  noise-aware    mutagrad's verdict (gradcheck.compare, then .confirm): fail at 10x the
                 measured noise floor, unless larger steps agree with g
  complex-step   complex_step.compare: fail near 1e-13 relative, where the forward allows it
  taylor         observed Taylor order below taylor.RIGHT_ORDER (1.5)
  course-2e-7    the course's gradient_check_n: whole gradient vector, relative error > 2e-7
  notes-1e-3     the notes' "worry" line per component: relative error > 1e-3
  torch-default  torch.autograd.gradcheck's rule: |numeric - analytic| > 1e-5 + 1e-3 |numeric|
                 for some entry, numeric from centred differences with eps = 1e-6

A method's detection limit for a kind of error is the smallest delta from which on (for every
larger delta of the grid too) it flags every case; it counts only with zero false alarms on
the uncorrupted reference.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from ..check import complex_step, precision
from .. import mlp
from .configs import CONFIGS
from ..check.gradcheck import compare, component_order, confirm
from ..check.numeric import central_differences, finite_differences
from ..check.precision import F64_ROUNDOFF
from ..check.protocol import moved_point, own_parameters, probes_for
from ..check.evaluator import Evaluator, Model
from ..records.check import Verdict
from ..check.taylor import RIGHT_ORDER, STEPS, direction, observed_order, remainders

DELTAS = tuple(10.0 ** -k for k in range(1, 11))
KINDS = ("scale", "term", "shift")
METHODS = ("noise-aware", "complex-step", "taylor", "course-2e-7", "notes-1e-3", "torch-default")
COURSE_THRESHOLD = 2e-7  # gradient_check_n: "There is a mistake in the backward propagation!"
NOTES_WORRY = 1e-3  # the lecture notes' relative-error line
TORCH_ATOL, TORCH_RTOL = 1e-5, 1e-3  # torch.autograd.gradcheck defaults (its eps, 1e-6, is EPS_WIDE)
DEFAULT_SEEDS = 4  # seeds per configuration: about 10 s on one core


@dataclass
class Unit:
    """Everything one probe of one configuration measured, independent of the planted error."""
    label: str
    order: list
    theta: dict
    grads: dict
    diffs: dict
    larger: dict  # pname -> central differences at numeric.CONFIRM_STEPS (confirming a failure)
    cs: dict | None  # complex-step derivatives, None where the gate refused
    cs_scale: float
    taylor: dict  # pname -> (direction, values at STEPS, J0)
    cost_noise: float  # measured round-off of J (precision.measure), for the kink test


def reference_model(config) -> Model:
    """The reference network bound to one configuration."""
    bind = {"hidden": config.hidden, "output": config.output}
    dims = list(config.layer_dims)
    return Model(forward=functools.partial(mlp.forward, **bind), backward=functools.partial(mlp.backward, **bind),
                 layer_dims=tuple(dims), name=config.name,
                 make_data=functools.partial(mlp.make_data, layer_dims=dims, output=config.output),
                 init_parameters=functools.partial(mlp.init_parameters, layer_dims=dims, hidden=config.hidden))


def measure_unit(model: Model, X, Y, point: dict, probe: str, lambd, keep_prob, seed: int) -> Unit:
    """Take every cost evaluation the methods need at one probe."""
    ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=seed)
    params = own_parameters(point)
    J0 = ev.cost(params)
    cost_noise = precision.measure(ev.cost, params, J0, seed=seed).cost_noise * abs(J0)
    grads = {k[1:]: np.asarray(v, dtype=float) for k, v in ev.backward(params).items() if k[1:] in params}
    order = component_order(list(params))
    diffs = {p: finite_differences(ev.cost, params, p) for p in order}
    larger = {p: central_differences(ev.cost, params, p) for p in order}
    ccost = complex_step.complex_cost(ev.forward, model.name)
    cs = None
    if complex_step.gate(ccost, ev.cost, params, seed) is None:
        cparams = complex_step.complexified(params)
        cs = {p: complex_step.derivatives(ccost, cparams, p) for p in order}
    taylor = {}
    for index, p in enumerate(order):
        d = direction(params[p].shape, seed, index)
        taylor[p] = (d, remainders(ev.cost, params, p, d, J0), J0)
    cs_scale = max((float(np.linalg.norm(v)) for v in (cs or {}).values()), default=0.0)
    return Unit(f"{model.name}/seed {seed}/{probe}", order, params, grads, diffs, larger, cs, cs_scale, taylor,
                cost_noise)


def flags(unit: Unit, pname: str, g) -> dict:
    """Which methods call component `pname` wrong when its analytic gradient is g (None: not applicable)."""
    name = "d" + pname
    d = unit.diffs[pname]
    rel = _relative(d.central, g)
    verdict = compare(name, g, d, cost_noise=unit.cost_noise)
    if verdict.status is Verdict.FAIL:
        verdict = confirm(verdict, g, d.central, unit.larger[pname])
    out = {
        "noise-aware": verdict.status is Verdict.FAIL,
        "notes-1e-3": rel > NOTES_WORRY,
        "torch-default": bool(np.any(np.abs(d.wide - g) > TORCH_ATOL + TORCH_RTOL * np.abs(d.wide))),
        "course-2e-7": _course(unit, pname, g) > COURSE_THRESHOLD,
    }
    out["complex-step"] = (None if unit.cs is None else
                           complex_step.compare(name, g, unit.cs[pname], unit.cs_scale).status is Verdict.FAIL)
    direction_, values, J0 = unit.taylor[pname]
    order = observed_order(STEPS, values, J0, float(np.vdot(g, direction_)), F64_ROUNDOFF).order
    out["taylor"] = order is not None and order < RIGHT_ORDER
    return out


def _relative(a, g) -> float:
    denom = np.linalg.norm(a) + np.linalg.norm(g)
    return float(np.linalg.norm(a - g) / denom) if denom > 0 else 0.0


def _course(unit: Unit, pname: str, g) -> float:
    """gradient_check_n's difference: all components stacked into one vector."""
    grad = np.concatenate([(g if p == pname else unit.grads[p]).ravel() for p in unit.order])
    approx = np.concatenate([unit.diffs[p].central.ravel() for p in unit.order])
    return _relative(approx, grad)


def planted(kind: str, pname: str, g, theta, delta: float):
    """g with an error of relative size delta, or None when the kind does not apply to `pname`."""
    norm = float(np.linalg.norm(g))
    if norm == 0:
        return None
    if kind == "scale":
        return g * (1 + delta)
    if kind == "term" and pname.startswith("W") and np.any(theta):
        return g + delta * norm * theta / np.linalg.norm(theta)
    if kind == "shift" and pname.startswith("b"):
        return g + delta * norm / np.sqrt(g.size)
    return None


def sweep(seed: int = 0, seeds: int = DEFAULT_SEEDS, configs=CONFIGS) -> dict:
    """Run the sweep and return the JSON-ready summary (report.sensitivity writes it out)."""
    start = time.perf_counter()
    false = {m: [0, 0] for m in METHODS}
    hits = {m: {k: np.zeros((len(DELTAS), 2), dtype=int) for k in KINDS} for m in METHODS}
    units = 0
    for config in configs:
        model = reference_model(config)
        for s in range(seed, seed + seeds):
            X, Y = model.make_data(s)
            start_point = own_parameters(model.init_parameters(s))
            moved = moved_point(start_point, s)
            for probe, is_moved, lambd, keep_prob in probes_for(model, None, None):
                unit = measure_unit(model, X, Y, moved if is_moved else start_point, probe, lambd, keep_prob, s)
                units += 1
                _tally(unit, false, hits)
    return _summary(false, hits, units, configs, seed, seeds, time.perf_counter() - start)


def _tally(unit: Unit, false: dict, hits: dict) -> None:
    for pname in unit.order:
        g, theta = unit.grads[pname], unit.theta[pname]
        for method, flagged in flags(unit, pname, g).items():
            if flagged is not None:
                false[method][0] += flagged
                false[method][1] += 1
        for kind in KINDS:
            for i, delta in enumerate(DELTAS):
                bad = planted(kind, pname, g, theta, delta)
                if bad is None:
                    continue
                for method, flagged in flags(unit, pname, bad).items():
                    if flagged is not None:
                        hits[method][kind][i] += (int(flagged), 1)


def _summary(false, hits, units, configs, seed, seeds, seconds) -> dict:
    methods = {}
    for m in METHODS:
        alarms, cases = false[m]
        kinds = {}
        for kind in KINDS:
            found, total = hits[m][kind][:, 0], hits[m][kind][:, 1]
            rates = [float(f / t) if t else None for f, t in zip(found, total)]
            kinds[kind] = {"rates": rates, "cases": int(total.max()) if total.size else 0,
                           "limit_all": _limit(rates, 1.0) if alarms == 0 else None,
                           "limit_half": _limit(rates, 0.5) if alarms == 0 else None}
        methods[m] = {"false_alarms": int(alarms), "reference_cases": int(cases), "kinds": kinds}
    return {"deltas": list(DELTAS), "kinds": list(KINDS), "methods": methods,
            "configs": [c.name for c in configs], "seeds": list(range(seed, seed + seeds)),
            "probes": units, "seconds": round(seconds, 2)}


def _limit(rates, level: float):
    """The smallest delta such that this and every larger delta detect at least `level` of the cases."""
    limit = None
    for delta, rate in zip(DELTAS, rates):
        if rate is None or rate < level:
            break
        limit = delta
    return limit
