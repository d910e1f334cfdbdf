"""The sandboxed side of `generate operators --file`: the user's file and its mutants run only here.

sandboxed.py starts this as `python -I` under bubblewrap (or as a plain child with hard limits)
and sends one request: the file's text and every mutant's text. Here the file is loaded as
`mutagrad check` loads it, the reference and the oracle's gate are evaluated, and each mutant is
classified in a forked child of its own (execution.isolate.run_each, with the per-mutant time
and memory limits). What goes back is data only: the file's layer sizes, then one frame per
mutant with its verdicts as JSON, which sandboxed.py validates before anything uses it.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .oracle import ORACLE_SEEDS, Reference, SettingVerdict, classify, no_verdict
from .target import file_target
from ...errors import MutagradError
from ...execution import wire
from ...execution.isolate import run_each

MESSAGE_LIMIT = 500  # characters of an error message sent back


def main(request_fd: int, reply_fd: int) -> None:
    """Read the request, answer it, and report anything that stops it as one line."""
    label = "the model file"
    try:
        header, arrays = wire.receive(request_fd)
        label = str(header.get("label", label))
        _answer(header, arrays, (request_fd, reply_fd))
    except MutagradError as exc:  # a bad file, or the oracle's gate: its message names the file
        _reply(reply_fd, {"error": str(exc)[:MESSAGE_LIMIT]})
    except BaseException as exc:  # noqa: BLE001 - what the file raised or exited with, as data
        _reply(reply_fd, {"error": f"{label}: {type(exc).__name__}: {str(exc)[:MESSAGE_LIMIT]}"})


def _answer(header: dict, arrays: list, fds: tuple[int, int]) -> None:
    path = Path(os.getcwd()) / os.path.basename(str(header["filename"]))  # the private folder
    path.write_text(_text(arrays[0]), encoding="utf-8")
    target = file_target(path, str(header["label"]))
    with np.errstate(all="ignore"):
        reference = Reference(target, ORACLE_SEEDS)  # the gate: OracleError if autograd disagrees
    _reply(fds[1], {"layer_dims": [int(n) for n in target.settings[0].layer_dims]})
    mutants = header["mutants"]
    live = [reference.settings_live_at((int(first), int(last))) for _, first, last in mutants]
    calls = [(_classify_alone, (fds, target, reference, _text(arrays[i + 1]), str(mutant[0]), live[i]))
             for i, mutant in enumerate(mutants)]
    for index, outcome in run_each(calls, jobs=int(header["jobs"]), timeout=float(header["timeout"]),
                                   memory_mb=header["memory_mb"]):
        verdicts = outcome.value if outcome.ok else no_verdict(live[index], outcome.error)
        _reply(fds[1], {"index": index, "verdicts": [_plain(v) for v in verdicts]})


def _classify_alone(fds, *args) -> tuple[SettingVerdict, ...]:
    """classify() in a forked child that first closes the pipes to mutagrad: a mutant cannot write to them."""
    for fd in fds:
        os.close(fd)
    return classify(*args)


def _plain(verdict: SettingVerdict) -> dict:
    return {"setting": verdict.setting, "verdict": verdict.verdict.value, "first_wrong": list(verdict.first_wrong),
            "changed_in": list(verdict.changed_in), "reason": verdict.reason}


def _text(array) -> str:
    return np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8")


def _reply(fd: int, header: dict) -> None:
    wire.send(fd, wire.pack(header))
