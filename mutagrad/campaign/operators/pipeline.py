"""Generate, classify and write: the work behind `mutagrad generate operators`.

Each mutant is classified in its own forked child (execution.isolate.run_each), `jobs` at a
time, with a time and memory limit; what comes back is a tuple of SettingVerdict records, never
code. A mutant whose child times out or crashes is invalid. Results are put back in generation
order, so the files written are byte-identical for the same source and options, whatever `jobs`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import OPERATORS
from .entries import Decision, Kind, decide, render_yaml
from .generate import DEFAULT_FUNCTIONS, function_names, generate
from .oracle import ORACLE_SEEDS, Reference, classify, no_verdict
from .target import Target
from ...errors import MutagradError
from ...execution.isolate import DEFAULT_MEMORY_MB, run_each

NOT_MUTATED = ("make_data", "init_parameters", "update_parameters")  # data, start point, training: not the gradient
CLASSIFY_TIMEOUT = 120.0  # seconds per mutant; one takes ~0.3 s, so only a hang (or a very loaded machine) reaches it
SUMMARY_NAME = "classification.json"


@dataclass(frozen=True)
class Generated:
    """Every mutant of a target with its decision, in generation order."""
    target: str
    functions: tuple[str, ...]
    decisions: tuple[Decision, ...]
    file: dict | None = None  # a model file's resolved path, sha256 and layer_dims; None for mlp.py

    def count(self, kind: Kind, operator: str | None = None) -> int:
        return sum(d.kind is kind and (operator is None or d.mutant.operator == operator) for d in self.decisions)

    def entry_count(self, expect: str) -> int:
        """Entries (mutant x configuration) with this expectation."""
        return sum(e.get("expect", "detected") == expect for d in self.decisions for e in d.entries)

    def entries_by_operator(self) -> dict[str, list[dict]]:
        found = {}
        for d in self.decisions:
            found.setdefault(d.mutant.operator, []).extend(d.entries)
        return found


def default_functions(target: Target) -> tuple[str, ...]:
    """mlp.py: the functions its cost and gradients run through; a model file: all but NOT_MUTATED."""
    if target.is_reference:
        return DEFAULT_FUNCTIONS
    return tuple(f for f in function_names(target.source) if f not in NOT_MUTATED)


def generate_and_classify(target: Target, functions=None, operators=OPERATORS, jobs: int = 1,
                          timeout: float = CLASSIFY_TIMEOUT, memory_mb: int | None = DEFAULT_MEMORY_MB,
                          progress=None) -> Generated:
    """Every operator mutant of `functions` in `target`, classified by the oracle.

    The target's code runs here and in forked children, so it must be mutagrad's own (mlp.py); a
    user's file goes through sandboxed.generate_file, which runs it only in the sandbox.
    """
    if not target.is_reference:
        raise MutagradError(f"{target.label}: a model file's operator mutants are classified only in the "
                            f"sandbox (operators.sandboxed.generate_file)")
    functions = default_functions(target) if functions is None else tuple(functions)
    mutants = generate(target.source, functions, operators, target.label)
    reference = Reference(target, ORACLE_SEEDS)  # the gate: raises OracleError if autograd disagrees
    live = [reference.settings_live_at(m.lines) for m in mutants]
    calls = [(classify, (target, reference, m.source, m.id, settings)) for m, settings in zip(mutants, live)]
    verdicts: list = [None] * len(mutants)
    for index, outcome in run_each(calls, jobs=jobs, timeout=timeout, memory_mb=memory_mb):
        verdicts[index] = outcome.value if outcome.ok else no_verdict(live[index], outcome.error)
        if progress is not None:
            progress(index, len(mutants))
    return generated(target, functions, mutants, verdicts)


def generated(target: Target, functions, mutants, verdicts) -> Generated:
    """The decisions on `mutants` of `target` from the oracle's verdicts, one tuple per mutant."""
    decisions = tuple(decide(m, v, target.settings, restrictable=target.is_reference)
                      for m, v in zip(mutants, verdicts))
    file = None if target.is_reference else {"path": target.path, "sha256": target.sha256,
                                             "layer_dims": list(target.settings[0].layer_dims)}
    return Generated(target.label, tuple(functions), decisions, file)


def summary(generated: Generated) -> dict:
    """Counts per operator and class, and every mutant's class: deterministic, no timings."""
    kinds = [k.value for k in Kind]
    per_operator = {op.name: {k: generated.count(Kind(k), op.name) for k in kinds} for op in OPERATORS}
    return {
        "target": generated.target,
        "functions": list(generated.functions),
        "oracle_seeds": list(ORACLE_SEEDS),
        "totals": {k: generated.count(Kind(k)) for k in kinds} | {"mutants": len(generated.decisions)},
        "entries": {expect: generated.entry_count(expect) for expect in ("detected", "undetectable")},
        "operators": {name: counts for name, counts in per_operator.items() if any(counts.values())},
        "mutants": [{"id": d.mutant.id, "operator": d.mutant.operator, "function": d.mutant.function,
                     "line": d.mutant.lines[0], "class": d.kind.value, "entries": [e["id"] for e in d.entries],
                     "detail": d.detail}
                    for d in generated.decisions],
    }


def _target_header(generated: Generated, out: Path) -> dict | None:
    """The `target` of a model file's catalog files: its path relative to them, its digest and sizes."""
    if generated.file is None:
        return None
    relative = os.path.relpath(generated.file["path"], out.resolve())
    return {"file": Path(relative).as_posix(), "sha256": generated.file["sha256"],
            "layer_dims": generated.file["layer_dims"]}


def write(generated: Generated, out) -> list[Path]:
    """One catalog file per operator (`<operator>.yaml`) and classification.json in `out`."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if (out / SUMMARY_NAME).exists():  # a folder this command wrote before: no stale operator file may stay
            for op in OPERATORS:
                (out / f"{op.name}.yaml").unlink(missing_ok=True)
        written = []
        for operator, entries in generated.entries_by_operator().items():
            if not entries:
                continue
            path = out / f"{operator}.yaml"
            path.write_text(render_yaml(entries, _target_header(generated, out)), encoding="utf-8")
            written.append(path)
        path = out / SUMMARY_NAME
        path.write_text(json.dumps(summary(generated), indent=1) + "\n", encoding="utf-8")
        written.append(path)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot write the mutants: {exc}") from exc
    return written
