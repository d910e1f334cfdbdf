"""The campaign journal: one JSON line per finished task, so an interrupted run resumes where it stopped.

OUT/journal.jsonl starts with a header naming the run (hashes of the selected catalog entries
and of the reference, the seed, the ids, the configurations, the options); every further line
is one finished mutant or reference run, flushed and fsync'ed as it arrives. `mutagrad run
--resume` reads it back, refuses a journal written by another run, and runs only what is
missing. A line cut short by a kill is dropped (that task runs again); records round-trip
exactly (floats through repr), so a resumed run writes the same report.json as a clean one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .catalog import Expect
from ..errors import MutagradError
from .mutate import reference_source
from ..records.check import Verdict
from ..records.campaign import ComponentScore, ConfigRun, MutantResult, Outcome

JOURNAL_NAME = "journal.jsonl"
FORMAT = 1


class JournalError(MutagradError):
    """A journal that cannot be read, or that belongs to another run."""


def run_identity(entries, *, seed: int, catalog: str, configs, options: dict) -> dict:
    """What makes two campaigns the same run: resuming is allowed only when all of it matches."""
    entries_hash = hashlib.sha256("\n".join(repr(e) for e in entries).encode()).hexdigest()
    try:
        installed = version("mutagrad")
    except PackageNotFoundError:
        installed = "unknown"
    return {
        "mutagrad": installed,
        "catalog": catalog,
        "entries_sha256": entries_hash,
        "reference_sha256": hashlib.sha256(reference_source().encode()).hexdigest(),
        "seed": seed,
        "ids": [e.id for e in entries],
        "configs": [c.to_dict() for c in configs],
        "options": dict(options),
    }


def task_key(kind: str, payload, seed: int) -> str:
    """'mutant <id>' or 'reference <config> <seed>': a task's name in the journal."""
    return f"mutant {payload.id}" if kind == "mutant" else f"reference {payload.name} {seed}"


class Journal:
    """An append-only journal for one run; `done` holds the results it already has, by task key."""

    def __init__(self, path, identity: dict, *, resume: bool = False):
        self.path = Path(path)
        self.done: dict[str, MutantResult | ConfigRun] = {}
        if resume:
            self._read(identity)
            self._file = self._open("a")
        else:
            self._file = self._open("w")
            self._write({"journal": FORMAT, "run": identity})

    def record(self, key: str, result) -> None:
        """Append one finished task, durably (flush + fsync)."""
        self.done[key] = result
        self._write({"key": key, "result": encode(result)})

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _open(self, mode: str):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return open(self.path, mode, encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot write the journal: {exc}") from exc

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _read(self, identity: dict) -> None:
        if not self.path.is_file():
            raise JournalError(f"{self.path}: no journal to resume; run without --resume to start")
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot read the journal: {exc}") from exc
        lines = data.split(b"\n")
        complete, good = lines[:-1], 0  # the last piece has no newline: cut short, or empty
        for number, raw in enumerate(complete, 1):
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                if number == len(complete):
                    break  # the last line was cut short by a kill
                raise JournalError(f"{self.path}:{number}: not a journal line; delete the file to start over") \
                    from None
            if number == 1:
                _check_header(self.path, obj, identity)
            else:
                try:
                    self.done.setdefault(obj["key"], decode(obj["result"]))
                except (KeyError, TypeError, ValueError) as exc:
                    raise JournalError(f"{self.path}:{number}: not a journal record ({exc}); delete the file "
                                       f"to start over") from None
            good += len(raw) + 1
        if good == 0:
            raise JournalError(f"{self.path}: the journal is empty; run without --resume to start")
        if good < len(data):
            os.truncate(self.path, good)  # drop the cut-short line before appending


def _check_header(path: Path, header, identity: dict) -> None:
    if not isinstance(header, dict) or header.get("journal") != FORMAT or not isinstance(header.get("run"), dict):
        raise JournalError(f"{path}:1: not a mutagrad journal (format {FORMAT}); delete it to start over")
    old = header["run"]
    if old == identity:
        return
    why = []
    for key in identity:
        if old.get(key) == identity[key]:
            continue
        if key == "ids":
            why.append(f"another selection of mutants ({len(old.get(key) or [])} in the journal, "
                       f"{len(identity[key])} now)")
        elif key == "entries_sha256":
            why.append("the catalog entries changed")
        elif key == "reference_sha256":
            why.append("the reference mutagrad/mlp.py changed")
        elif isinstance(identity[key], dict) and isinstance(old.get(key), dict):
            why += [f"{name} {old[key].get(name)!r} in the journal, {value!r} now"
                    for name, value in identity[key].items() if old[key].get(name) != value]
        else:
            why.append(f"{key} {old.get(key)!r} in the journal, {identity[key]!r} now")
    raise JournalError(f"{path}: the journal belongs to another run ({'; '.join(why)}); "
                       f"give the same options, or run without --resume to start over")


def encode(result: MutantResult | ConfigRun) -> dict:
    """A JSON-ready dict of a finished task's record."""
    return {"type": type(result).__name__, **dataclasses.asdict(result)}


def decode(obj: dict) -> MutantResult | ConfigRun:
    """The record `encode` wrote."""
    fields = {k: v for k, v in obj.items() if k != "type"}
    if obj["type"] == "ConfigRun":
        return _config_run(fields)
    if obj["type"] == "MutantResult":
        return MutantResult(**{**fields, "expect": Expect(fields["expect"]),
                               "components": tuple(fields["components"]),
                               "runs": tuple(_config_run(r) for r in fields["runs"]),
                               "halted": Outcome(fields["halted"]) if fields["halted"] else None})
    raise ValueError(f"unknown record type {obj['type']!r}")


def _config_run(fields: dict) -> ConfigRun:
    return ConfigRun(**{
        **fields, "verdict": Verdict(fields["verdict"]) if fields["verdict"] else None,
        "expected": tuple(fields["expected"]),
        "components": tuple(ComponentScore(**{**c, "status": Verdict(c["status"])}) for c in fields["components"])})
