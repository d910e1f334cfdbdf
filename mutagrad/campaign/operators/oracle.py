"""The oracle: each mutant, in each setting where its line is live, against HIPS autograd.

In a setting, at every probe the checker runs (initial, moved, lambd > 0, keep_prob < 1 with
the masks pinned) and at each of ORACLE_SEEDS, the mutant's backward is compared with
autograd's gradient of the mutant's own cost. The verdict in that setting:

  invalid     it raises, its cost is not a finite scalar, or a gradient is missing, misshapen or
              not finite (or autograd cannot differentiate its cost)
  bug         some component differs: the first wrong one in backprop order, per seed
  equivalent  backward is the gradient of the (changed) cost everywhere
  unchanged   cost and gradients equal the reference's at every probe

Before any mutant, a gate proves the reference matches autograd to GATE_RTOL away from relu
kinks. The mutant's code is untrusted: `classify` runs in a child process (execution.isolate)
and sends back plain data only.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from ...check.gradcheck import component_order
from ...errors import MutagradError
from .target import Point, Target, autograd_source, covered_lines, evaluator, points

ORACLE_SEEDS = (0, 1, 2)  # a component list must not hang on the data one seed draws
ORACLE_RTOL = 1e-8  # the reference agrees with autograd to ~1e-12; any operator mutant that matters is far above
GATE_RTOL = 1e-10  # the reference against autograd at the moved probes (no relu sits at its kink there)


class Verdict(str, Enum):
    BUG = "bug"
    EQUIVALENT = "equivalent"
    INVALID = "invalid"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SettingVerdict:
    """The oracle's verdict on one mutant in one setting."""
    setting: str
    verdict: Verdict
    first_wrong: tuple[str, ...] = ()  # per seed, deduplicated, in backprop order (bug only)
    changed_in: tuple[str, ...] = ()  # probes where cost or gradients differ from the reference's
    reason: str | None = None  # why it is invalid


class OracleError(MutagradError):
    """The oracle cannot be trusted on this target: the reference disagrees with autograd."""


def relative_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), 0 for two zeros."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def true_gradient(auto_model, point: Point) -> dict:
    """autograd's gradient of the (autograd-bound) model's cost at `point`, masks pinned."""
    from autograd import grad
    ev = evaluator(auto_model, point)
    return {"d" + k: np.asarray(v) for k, v in grad(lambda p: ev.forward(p)[0])(point.parameters).items()}


def wrong_components(grads: dict, truth: dict, rtol: float = ORACLE_RTOL) -> set:
    """Components of `grads` that are missing, misshapen or further than `rtol` from `truth`."""
    return {name for name, t in truth.items()
            if grads.get(name) is None or np.shape(grads[name]) != np.shape(t)
            or relative_error(np.asarray(grads[name], dtype=float), t) > rtol}


class Reference:
    """The unmutated target, evaluated once per setting and probe (before any child is forked)."""

    def __init__(self, target: Target, seeds=ORACLE_SEEDS):
        self.target, self.seeds = target, seeds
        self.values, self.live = {}, {}
        for setting in target.settings:
            model = target.model(target.source, "reference", setting)
            auto = target.model(autograd_source(target.source, target.label), "reference autograd", setting)
            self.live[setting.name] = covered_lines(model, seeds)
            for point in points(model, seeds):
                ev = evaluator(model, point)
                cost, grads = ev.cost(point.parameters), ev.backward(point.parameters)
                truth = true_gradient(auto, point)
                kinked = wrong_components(grads, truth, GATE_RTOL)
                if kinked and point.probe != "initial":
                    where = target.label if len(target.settings) == 1 else f"{target.label} in {setting.name}"
                    raise OracleError(_gate_message(where, point, grads, truth, kinked))
                # Where the reference itself disagrees (only at the initial point: a relu exactly at
                # its kink, b = 0), any slope in [0, 1] is valid and autograd takes 1/2: not evidence.
                self.values[setting.name, point.probe, point.seed] = (point, cost, grads, kinked)

    def settings_live_at(self, lines: tuple[int, int]):
        """The settings in which any of the lines first..last runs."""
        span = set(range(lines[0], lines[1] + 1))
        return tuple(s for s in self.target.settings if span & self.live[s.name])


def _gate_message(where: str, point: Point, grads: dict, truth: dict, wrong: set) -> str:
    first = next(c for c in ("d" + p for p in component_order(list(point.parameters))) if c in wrong)
    return (f"{where}: backward's {first} differs from autograd's gradient of the cost by "
            f"{relative_error(grads[first], truth[first]):.1e} at the {point.probe} probe (seed {point.seed}); "
            f"the oracle needs <= {GATE_RTOL:g}")


def classify(target: Target, reference: Reference, source: str, name: str, settings) -> tuple[SettingVerdict, ...]:
    """The oracle's verdict on the mutant `source` in each of `settings`: plain data."""
    found = []
    with np.errstate(all="ignore"):  # a mutant's overflow or 0/0 is judged by its result, not warned about
        for setting in settings:
            found.append(_classify_in(target, reference, source, name, setting))
    return tuple(found)


def _classify_in(target: Target, reference: Reference, source: str, name: str, setting) -> SettingVerdict:
    try:
        model = target.model(source, name, setting)
        auto = target.model(autograd_source(source, name), name + " autograd", setting)
    except Exception as exc:  # noqa: BLE001 (the mutant's own failure is the verdict)
        return SettingVerdict(setting.name, Verdict.INVALID, reason=_one_line("loading", exc))
    return _classify_setting(model, auto, reference, setting)


def _classify_setting(model, auto, reference: Reference, setting) -> SettingVerdict:
    firsts, changed = [], set()
    try:
        mutant_points = points(model, reference.seeds)
    except Exception as exc:  # noqa: BLE001
        return SettingVerdict(setting.name, Verdict.INVALID, reason=_one_line("make_data/init_parameters", exc))
    for seed in reference.seeds:
        wrong = set()
        for point in (p for p in mutant_points if p.seed == seed):
            ref_point, ref_cost, ref_grads, kinked = reference.values[setting.name, point.probe, seed]
            where = f"{point.probe} probe, seed {seed}"
            try:
                ev = evaluator(model, point)
                cost, grads = ev.cost(point.parameters), ev.backward(point.parameters)
            except Exception as exc:  # noqa: BLE001
                return SettingVerdict(setting.name, Verdict.INVALID, reason=_one_line(where, exc))
            problem = _malformed(cost, grads, point.parameters)
            if problem:
                return SettingVerdict(setting.name, Verdict.INVALID, reason=f"{where}: {problem}")
            try:
                truth = true_gradient(auto, point)
            except Exception as exc:  # noqa: BLE001
                return SettingVerdict(setting.name, Verdict.INVALID, reason=_one_line(f"{where}: autograd", exc))
            if not all(np.all(np.isfinite(t)) for t in truth.values()):
                return SettingVerdict(setting.name, Verdict.INVALID, reason=f"{where}: the true gradient is not finite")
            same_point = all(np.array_equal(point.parameters[k], ref_point.parameters[k]) for k in point.parameters)
            if (not same_point or cost != ref_cost
                    or wrong_components(grads, {k: np.asarray(v) for k, v in ref_grads.items() if k in truth}, 0.0)):
                changed.add(point.probe)
            wrong |= wrong_components(grads, truth) - kinked
        order = ["d" + p for p in component_order(list(mutant_points[0].parameters))]
        first = next((c for c in order if c in wrong), None)
        if first and first not in firsts:
            firsts.append(first)
    probes = tuple(p for p in ("initial", "moved", "lambd", "dropout") if p in changed)
    if firsts:
        order = ["d" + p for p in component_order(list(mutant_points[0].parameters))]
        return SettingVerdict(setting.name, Verdict.BUG, tuple(sorted(firsts, key=order.index)), probes)
    return SettingVerdict(setting.name, Verdict.EQUIVALENT if changed else Verdict.UNCHANGED, (), probes)


def no_verdict(settings, error: str) -> tuple[SettingVerdict, ...]:
    """A child that gave no verdict (it timed out, crashed or raised): invalid wherever it is live."""
    return tuple(SettingVerdict(s.name, Verdict.INVALID, reason=f"no verdict: {error}") for s in settings)


def _malformed(cost, grads, parameters) -> str | None:
    """Why the mutant's answer cannot be judged as a gradient, or None."""
    if not np.isfinite(cost):
        return f"the cost is {cost}"
    for key in ("d" + p for p in parameters):
        g = grads.get(key)
        if g is None:
            return f"backward returns no {key}"
        if np.shape(g) != np.shape(parameters[key[1:]]):
            return f"{key} has shape {np.shape(g)}, expected {np.shape(parameters[key[1:]])}"
        if not np.all(np.isfinite(g)):
            return f"{key} is not finite"
    return None


def _one_line(where: str, exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{where}: {type(exc).__name__}: {text[:160]}"
