"""From the oracle's verdicts to catalog entries: one entry per mutant and configuration it is judged in.

A mutant is classified in every setting where its line is live, and may be a gradient bug in one,
equivalent in another and invalid in a third. Each setting where it is a bug becomes a `detected`
entry whose `requires` selects exactly that configuration, with the oracle's first wrong
components (`dW{L}`, `db{L-1}`, ...); each setting where it is equivalent (backward is the gradient
of its changed cost) an `undetectable` one. So `mutagrad run` plants the mutant in every
configuration the oracle judged, and checks the localization there. Settings where it is invalid
(it raises, gives a NaN or a misshapen gradient) or unchanged (the reference's cost and gradients
exactly) give no entry; a mutant with no entry is dropped and counted by its class.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import yaml

from ..catalog import Requires
from ..configs import configs_for
from .generate import Mutant
from .oracle import ORACLE_SEEDS, SettingVerdict, Verdict
from ...errors import MutagradError


class Kind(str, Enum):
    """What became of a mutant: a bug in some setting, else equivalent in some, else why it is dropped."""
    BUG = "bug"
    EQUIVALENT = "equivalent"
    INVALID = "invalid"
    UNCHANGED = "unchanged"
    DEAD = "dead"


@dataclass(frozen=True)
class Decision:
    """A mutant's class and its catalog entries (plain dicts in the schema's key order)."""
    mutant: Mutant
    kind: Kind
    entries: tuple[dict, ...] = ()
    detail: str = ""


def decide(mutant: Mutant, verdicts: tuple[SettingVerdict, ...], settings, restrictable: bool = True) -> Decision:
    """The class and entries of `mutant` from its verdicts in the settings where its line is live."""
    if not verdicts:
        return Decision(mutant, Kind.DEAD, detail="the mutated line never runs at the checker's probes")
    summary = _summary(verdicts)
    by_name = {s.name: s for s in settings}
    entries = tuple(_entry(mutant, v, by_name[v.setting], summary, restrictable) for v in verdicts
                    if v.verdict in (Verdict.BUG, Verdict.EQUIVALENT))
    found = {v.verdict for v in verdicts}
    if Verdict.BUG in found:
        return Decision(mutant, Kind.BUG, entries, summary)
    if Verdict.EQUIVALENT in found:
        return Decision(mutant, Kind.EQUIVALENT, entries, summary)
    if found == {Verdict.UNCHANGED}:
        return Decision(mutant, Kind.UNCHANGED, detail="the same cost and gradients as the reference at every probe")
    reasons = [f"{v.setting}: {v.reason}" for v in verdicts if v.verdict is Verdict.INVALID]
    return Decision(mutant, Kind.INVALID, detail=reasons[0])


def requires_for(setting, verdict: SettingVerdict) -> dict:
    """`requires` that selects exactly `setting` among the campaign configurations, with its flags."""
    requires = {"hidden": [setting.hidden], "output": [setting.output]}
    chosen = configs_for(Requires(hidden=(setting.hidden,), output=(setting.output,)))
    if [c.name for c in chosen] != [setting.name]:
        raise MutagradError(f"no requires selects configuration {setting.name} alone")
    return requires | _flags(verdict)


def components_for(setting, verdict: SettingVerdict) -> list[str]:
    """The first wrong components as the catalog writes them: counted from the output layer."""
    forms = []
    for name in verdict.first_wrong:
        back = setting.depth - int(name[2:])
        forms.append(f"{name[:2]}{{L}}" if back == 0 else f"{name[:2]}{{L-{back}}}")
    return forms


def _flags(verdict: SettingVerdict) -> dict:
    """`lambd: true` / `keep_prob: true` when the mutant differs from the reference only at that probe."""
    changed = set(verdict.changed_in)
    if changed == {"lambd"}:
        return {"lambd": True}
    if changed == {"dropout"}:
        return {"keep_prob": True}
    return {}


def _summary(verdicts) -> str:
    """'bug (dW3) in relu-sigmoid, tanh-softmax; invalid in sigmoid-linear': the verdicts, grouped."""
    groups = {}
    for v in verdicts:
        label = v.verdict.value + (f" ({', '.join(v.first_wrong)})" if v.first_wrong else "")
        groups.setdefault(label, []).append(v.setting)
    return "; ".join(f"{label} in {', '.join(names)}" for label, names in groups.items())


def _entry(mutant: Mutant, verdict: SettingVerdict, setting, summary: str, restrictable: bool) -> dict:
    line = mutant.lines[0]
    entry = {
        "id": f"{mutant.id}-{setting.name}" if restrictable else mutant.id,
        "title": f"{mutant.operator} mutant of {mutant.function}(), line {line}"
                 + (f", in {setting.name}" if restrictable else ""),
        "category": mutant.operator,
        "description": (f"Operator mutant ({mutant.operator}): `{_first_line(mutant.before)}` becomes "
                        f"`{_first_line(mutant.after)}` in {mutant.function}(). Oracle (HIPS autograd, every "
                        f"probe, seeds {', '.join(map(str, ORACLE_SEEDS))}): {summary}."),
        "hint": f"Compare {mutant.function}() near line {line} with the derivative of the cost.",
    }
    if verdict.verdict is Verdict.BUG:
        entry["components"] = components_for(setting, verdict)
    else:
        entry["expect"] = "undetectable"
        entry["reason"] = "backward is still the exact gradient of the mutated cost (HIPS autograd, every probe)"
    requires = requires_for(setting, verdict) if restrictable else _flags(verdict)
    if requires:
        entry["requires"] = requires
    entry["patch"] = {"function": mutant.hunk.function, "find": mutant.hunk.find, "replace": mutant.hunk.replace}
    return entry


def _first_line(text: str) -> str:
    lines = text.splitlines() or [""]
    return lines[0].split("  #")[0].strip() + (" ..." if len(lines) > 1 else "")


class _Dumper(yaml.SafeDumper):
    """Block style, except short lists of names or sizes (`components: ['dW{L}']`, `layer_dims: [4, 5, 1]`)."""

    def represent_list(self, data):
        flat = all(isinstance(x, (str, int)) for x in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    def ignore_aliases(self, data):
        return True  # catalogs refuse aliases: a value two entries share is written out twice


_Dumper.add_representer(list, _Dumper.represent_list)


def render_yaml(entries: list[dict], target: dict | None = None) -> str:
    """The entries as one catalog file: deterministic, readable block style; a model file's under its `target`."""
    data = entries if target is None else {"target": target, "entries": entries}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
