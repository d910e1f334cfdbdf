"""`generate operators --file`: the user's file and its mutants classified in the sandbox, never here.

Here the file is only read, compiled (never run) and mutated with libcst. One sandboxed process
(execution/process.py: bubblewrap when available, else a plain child with hard limits; the
mutagrad package bound read-only so it imports) loads the file, evaluates the reference and the
oracle's gate, and classifies every mutant (inside.py). It sends back the layer sizes and each
mutant's verdicts as JSON, validated here field by field; the entries are written from them here.
The oracle's comparison runs beside the file's own code, so a file that tampers with it can
mislead only the measure of its own mutants; the machine is protected by the sandbox.
"""
from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path

import numpy as np

from . import OPERATORS
from .generate import generate
from .oracle import SettingVerdict, Verdict
from .pipeline import CLASSIFY_TIMEOUT, Generated, default_functions, generated
from .target import Target
from ..configs import Config
from ..file_target import FILE_CONFIG, decode, digest
from ...check.model_file import read_source
from ...errors import MutagradError
from ...execution import process, sandbox, wire
from ...execution.isolate import DEFAULT_MEMORY_MB
from ...execution.remote import Server

PACKAGE = Path(__file__).resolve().parents[2]  # the mutagrad package: read-only in the sandbox
BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); from mutagrad.campaign.operators import inside; "
        "inside.main(int(sys.argv[2]), int(sys.argv[3]))")
DRIVER_CPU_START = 5.0  # CPU seconds to import numpy, autograd and mutagrad there (~0.6 s), x8 for a slow machine
DRIVER_CPU_PER_MUTANT = 0.2  # CPU seconds the sandboxed process spends forking a mutant's child (~10 ms), x20
REPLY_LIMIT = 0  # bytes of arrays in a reply: verdicts are JSON only
MAX_LAYERS, MAX_WIDTH = 100, 10**6  # layer sizes beyond these are not a model file's
PROBES = ("initial", "moved", "lambd", "dropout")  # the oracle's probes, in its order
COMPONENT = re.compile(r"d[Wb]([1-9][0-9]{0,2})")  # the components the catalog can write (entries.components_for)
TEXT_LIMIT = 300  # characters of a reason or error kept


def generate_file(path, functions=None, operators=OPERATORS, jobs: int = 1, timeout: float = CLASSIFY_TIMEOUT,
                  memory_mb: int | None = DEFAULT_MEMORY_MB, sandbox_choice: str = "auto") -> Generated:
    """Every operator mutant of `functions` in the model file `path`, classified in the sandbox."""
    path, label = Path(path), str(path)
    read_source(path, label)  # compiled, not run: a missing file or a syntax error is one line
    raw = path.read_bytes()
    target = Target(label, decode(raw), (), _never_here, is_reference=False, path=str(path.resolve()),
                    sha256=digest(raw))
    functions = default_functions(target) if functions is None else tuple(functions)
    mutants = generate(target.source, functions, operators, label)
    layer_dims, verdicts = _classify(target, path.name, mutants, jobs, timeout, memory_mb,
                                     sandbox.resolve(sandbox_choice))
    target = dataclasses.replace(target, settings=(Config(FILE_CONFIG, "", "", layer_dims),))
    return generated(target, functions, mutants, verdicts)


def _never_here(source: str, name: str, setting: Config):
    """The parent's Target.build: a model file is never built here."""
    raise MutagradError(f"{name}: a model file's code is run only in the sandbox")


def _classify(target: Target, filename: str, mutants, jobs, timeout, memory_mb, kind):
    """(layer sizes, verdicts per mutant) from the sandboxed process, validated."""
    label, backstop = target.label, process.wall_backstop(timeout)
    cpu = DRIVER_CPU_START + timeout + len(mutants) * DRIVER_CPU_PER_MUTANT
    started = process.start(kind, cpu, memory_mb, BOOT, str(PACKAGE.parent), (str(PACKAGE),))
    with Server(started=started, cpu_seconds=cpu, memory_mb=memory_mb, label=label) as server:
        os.set_blocking(started.req_w, True)  # it reads the whole request before it runs anything
        header = {"label": label, "filename": filename, "jobs": jobs, "timeout": timeout, "memory_mb": memory_mb,
                  "mutants": [[m.id, *m.lines] for m in mutants]}
        arrays = [_bytes(target.source), *(_bytes(m.source) for m in mutants)]
        try:
            wire.send(started.req_w, wire.pack(header, arrays))
        except BrokenPipeError:
            raise _ended(server, label) from None
        # Loading and the gate are bounded by the process's CPU time; its backstop for a file that sleeps:
        layer_dims = _layer_dims(_receive(server, label, process.wall_backstop(cpu)).get("layer_dims"), label)
        verdicts: list = [None] * len(mutants)
        for _ in mutants:  # a mutant's child is stopped after `timeout`: the next verdict is never further off
            index, found = _verdicts(_receive(server, label, backstop), len(mutants), len(layer_dims) - 1, label)
            if verdicts[index] is not None:
                raise _malformed(label, f"mutant {index} twice")
            verdicts[index] = found
    return tuple(layer_dims), verdicts


def _receive(server, label: str, backstop: float) -> dict:
    try:
        reply, _ = wire.receive(server.rep_r, time.monotonic() + backstop, limit=REPLY_LIMIT)
    except wire.Deadline:
        raise MutagradError(f"{label}: no answer within {backstop:g} s while its operator mutants were "
                            f"classified (does the file sleep or wait?)") from None
    except wire.Closed:
        raise _ended(server, label) from None
    except wire.WireError as exc:
        raise _malformed(label, str(exc)) from None
    if "error" in reply:
        raise MutagradError(_clean(reply["error"], 2 * TEXT_LIMIT))
    return reply


def _ended(server, label: str) -> MutagradError:
    lost = server.why_lost()
    return MutagradError(f"{label}: the sandboxed process classifying its operator mutants ended "
                         f"without a result: {lost}")


def _malformed(label: str, why: str) -> MutagradError:
    return MutagradError(f"{label}: the sandboxed process sent a malformed answer ({_clean(why)}); none of it "
                         f"was used")


def _layer_dims(value, label: str) -> list[int]:
    if (not isinstance(value, list) or not 2 <= len(value) <= MAX_LAYERS
            or not all(type(n) is int and 1 <= n <= MAX_WIDTH for n in value)):
        raise _malformed(label, "no valid layer sizes")
    return value


def _verdicts(reply: dict, count: int, depth: int, label: str) -> tuple[int, tuple[SettingVerdict, ...]]:
    """(mutant index, its verdicts) from one reply; MutagradError for anything but valid verdicts."""
    index, found = reply.get("index"), reply.get("verdicts")
    if type(index) is not int or not 0 <= index < count or not isinstance(found, list) or len(found) > 1:
        raise _malformed(label, "a verdict for no mutant")
    try:
        return index, tuple(_verdict(v, depth) for v in found)
    except (TypeError, ValueError, AttributeError) as exc:
        raise _malformed(label, f"mutant {index}: {exc}") from None


def _verdict(data: dict, depth: int) -> SettingVerdict:
    if data.get("setting") != FILE_CONFIG:
        raise ValueError("a verdict in an unknown setting")
    verdict = Verdict(data.get("verdict"))
    first_wrong, changed = list(data.get("first_wrong")), list(data.get("changed_in"))
    layers = [COMPONENT.fullmatch(c) if isinstance(c, str) else None for c in first_wrong]
    if not all(m and int(m.group(1)) <= depth for m in layers) or len(set(first_wrong)) < len(first_wrong):
        raise ValueError("an unknown component")
    if bool(first_wrong) != (verdict is Verdict.BUG):
        raise ValueError("components without a bug, or a bug without one")
    if changed != [p for p in PROBES if p in changed]:
        raise ValueError("unknown probes")
    reason = data.get("reason")
    if not (reason is None or isinstance(reason, str)):
        raise ValueError("a reason that is not text")
    return SettingVerdict(FILE_CONFIG, verdict, tuple(first_wrong), tuple(changed),
                          None if reason is None else _clean(reason))


def _clean(text, limit: int = TEXT_LIMIT) -> str:
    """One printable line of at most `limit` characters."""
    return "".join(c for c in " ".join(str(text).split()) if c.isprintable())[:limit]


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
