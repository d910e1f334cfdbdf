"""From the probes to one CheckResult: a status per component, localization, the verdict and a hint.

A component fails when it fails at any probe; the record shown for it is the one of the first
probe, in probe order, where it fails, so the table, `exposed_by` and the hint name the same
probe. Nothing that warns and does not fail reads as a pass: the overall verdict is then
`inconclusive`.
"""
from __future__ import annotations

from dataclasses import replace

from ..records.check import CheckResult, ComponentResult, Verdict, worst

PROBE_MEANING = {
    "initial": "at the given parameters",
    "moved": "only away from initialization (non-zero biases, moved weights)",
    "lambd": "only with lambd > 0: look at the regularization terms",
    "dropout": "only with keep_prob < 1: look at the dropout masks and their scale",
    "lambd+dropout": ("only with lambd > 0 and keep_prob < 1 together: look for a path that is "
                      "skipped or changed when the other one is on"),
    "batch": ("only at another batch size (m = {m}: the first columns of X and Y): look for a hard-coded m, "
              "or a sum, mean or broadcast over the wrong axis"),
}


def shown_component(seen: list[ComponentResult]) -> ComponentResult:
    """The record that stands for a component: its first failure, else its worst probe (a pass names none).

    Among equally bad records, one with a Taylor order (not every probe measures it) is preferred.
    """
    failed = [c for c in seen if c.status is Verdict.FAIL]
    if failed:
        return failed[0]
    chosen = max(seen, key=lambda c: (c.status.rank, c.taylor_order is not None, c.margin or 0.0))
    return chosen if chosen.status is Verdict.WARN else replace(chosen, probe="")


def overall(verdicts) -> Verdict:
    """FAIL, PASS, or INCONCLUSIVE when the worst is a warning."""
    v = worst(verdicts)
    return Verdict.INCONCLUSIVE if v is Verdict.WARN else v


def aggregate(probes, param_order, *, seed=0, config=None, method="central", mode="exhaustive") -> CheckResult:
    """Status per component over the probes, localization and a one-line hint."""
    errors = [f"{p.name} probe: {p.error}" for p in probes if p.error]
    components = []
    for pname in param_order:
        name = "d" + pname
        seen = [c for p in probes for c in p.components if c.name == name]
        if seen:
            components.append(shown_component(seen))
    localized = next((c.name for c in components if c.status is Verdict.FAIL), None)
    exposed_by = None
    if localized:
        exposed_by = next(c.probe for c in components if c.name == localized)
    warnings = tuple(dict.fromkeys(w for p in probes for w in p.warnings))
    verdict = overall([c.status for c in components] + [p.verdict for p in probes])
    error = "; ".join(errors) or None
    hint = make_hint(verdict, localized, components, exposed_by, error, warnings, probes)
    return CheckResult(verdict=verdict, localized=localized, components=tuple(components), probes=tuple(probes),
                       hint=hint, method=method, mode=mode, seed=seed, warnings=warnings, error=error,
                       exposed_by=exposed_by, config=config or {})


def probe_meaning(name: str, probes) -> str:
    """What a probe changes, with its batch size for the batch probe."""
    m = next((p.m for p in probes if p.name == name), None)
    return PROBE_MEANING.get(name, f"at the {name} probe").format(m=m)


def make_hint(verdict, localized, components, exposed_by, error, warnings, probes=()) -> str:
    if localized:
        c = next(c for c in components if c.name == localized)
        hint = (f"{localized} is the first wrong gradient in backprop order; it fails "
                f"{probe_meaning(exposed_by, probes)}")
        if c.diagnosis:
            hint += f". Diagnosis: {c.diagnosis}"
        return hint
    if error:
        return f"the check could not finish: {error}"
    if verdict is Verdict.INCONCLUSIVE:
        if warnings:
            return f"inconclusive: {warnings[0]}"
        unsure = [c for c in components if c.status is Verdict.WARN]
        first = unsure[0]
        return (f"inconclusive: nothing is wrong beyond the noise, but {', '.join(c.name for c in unsure)} "
                f"could not be judged ({first.name} at the {first.probe} probe: {first.message.split('; ')[0]})")
    return "every gradient component agrees with its finite differences"
