"""A whole class graded against the instructor's answer key, into a gradebook CSV.

Each student's model.py is looked for in their class folder, or in a folder of handed-in
files (`anna-lee.py` or `anna-lee/model.py`). Gradings run in parallel, each in its own child
process, and each finished one is appended to a journal: a second run grades only the
students whose submission (or key row) changed. A missing or broken submission is a row with
its reason, never the end of the class.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Callable

from ..errors import MutagradError
from ..execution.isolate import run_each
from .answer_key import KeyRow, key_path, read_key
from .class_set import folder_name
from .grading import GRADE_TIMEOUT, grade

GRADEBOOK = "gradebook.csv"
JOURNAL = "gradebook.jsonl"
COLUMNS = ("student", "folder", "bug", "result", "reason", "time")
# One grading's child waits for grading.py's own child (GRADE_TIMEOUT), then reports it: the margin
# only catches a grader that hangs itself, so it is generous enough for a loaded machine.
CLASS_TIMEOUT = 4 * GRADE_TIMEOUT


class Result(str, Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    MISSING = "missing"  # nothing handed in
    ERROR = "error"  # handed in, but it does not load or could not be graded


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook."""
    student: str
    folder: str  # the student's exercise folder, as the answer key names it
    bug: str  # the mutant id the student had to fix
    result: Result
    reason: str
    time: str  # when the submission was last modified (handed in), UTC; empty if missing
    submission: str = ""  # the file graded (not a gradebook column)


def candidates(key: KeyRow, class_dir: Path, submissions: Path | None) -> list[Path]:
    """Where the student's model.py may be, in order: their folder name, then its plain-ASCII form."""
    names = dict.fromkeys([key.folder, folder_name(key.student, ascii_only=True)])
    if submissions is None:
        return [class_dir / n / "model.py" for n in names if n]
    return [p for n in names if n for p in (submissions / f"{n}.py", submissions / n / "model.py")]


def strays(class_dir, submissions) -> list[str]:
    """Entries of the submissions folder that no student of the answer key would be graded from."""
    keys = read_key(key_path(class_dir))
    wanted = {p for key in keys for p in candidates(key, Path(class_dir), Path(submissions))}
    try:
        entries = sorted(Path(submissions).iterdir())
    except OSError as exc:
        raise MutagradError(f"--submissions {submissions}: cannot list it: {exc}") from exc
    return [p.name for p in entries if p not in wanted and p / "model.py" not in wanted
            and not p.name.startswith(".")]


def handed_in(path: Path) -> str:
    """The file's modification time, UTC, to the second ("" if it is gone)."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OSError:
        return ""


def fingerprint(key: KeyRow, path: Path) -> str:
    """What a grade depends on: the key's exercise and the submitted bytes."""
    digest = hashlib.sha256(json.dumps(key.exercise.to_dict(), sort_keys=True).encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()


def _grade_copy(source: bytes, path: Path, key: KeyRow) -> tuple[str, str]:
    """In a child: grade the submission's bytes as model.py, against the key's exercise.

    The bytes travel with the call, so a Dask worker on another machine grades what was read here.
    """
    folder = Path.cwd() / "submission"  # the child's own temporary folder
    folder.mkdir()
    (folder / "model.py").write_bytes(source)
    try:
        result = grade(folder, key.exercise)
    except MutagradError as exc:
        message = str(exc).replace(str(folder / "model.py"), str(path)).replace(str(folder), str(path.parent))
        return Result.ERROR.value, " ".join(message.split())
    reason = " ".join("; ".join(result.reasons).split())
    return (Result.CORRECT if result.passed else Result.WRONG).value, reason


def _outcome(isolated) -> tuple[str, str]:
    """(result, reason) from a grading child, which must send exactly that."""
    if not isolated.ok:
        return Result.ERROR.value, f"could not be graded: {isolated.error}"
    value = isolated.value
    if (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
            and value[0] in {r.value for r in Result}):
        return value
    return Result.ERROR.value, "could not be graded: the grading process sent no valid result"


def read_journal(path: Path) -> dict[str, dict]:
    """The last journal entry per folder; a torn or foreign line is skipped."""
    entries = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return entries
    except (OSError, UnicodeDecodeError) as exc:
        raise MutagradError(f"{path}: cannot read the grading journal: {exc}") from exc
    for line in lines:
        try:
            entry = json.loads(line)
            Result(entry["result"])
            if all(isinstance(entry.get(k), str) for k in ("folder", "reason", "time", "submission")):
                entries[entry["folder"]] = entry
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return entries


def _append(journal, entry: dict) -> None:
    journal.write(json.dumps(entry, sort_keys=True) + "\n")
    journal.flush()
    os.fsync(journal.fileno())


def _plan(keys, class_dir, submissions, done) -> tuple[dict[str, Row], list]:
    """Rows already known (missing, unreadable, or journaled with the same fingerprint), and what to grade."""
    rows: dict[str, Row] = {}
    todo = []
    for key in keys:
        found = next((p for p in candidates(key, class_dir, submissions) if p.is_file()), None)
        if found is None:
            looked = " or ".join(str(p) for p in candidates(key, class_dir, submissions))
            rows[key.folder] = Row(key.student, key.folder, key.exercise.mutant_id, Result.MISSING,
                                   f"nothing handed in (looked for {looked})", "")
            continue
        try:
            mark = fingerprint(key, found)
        except OSError as exc:
            rows[key.folder] = Row(key.student, key.folder, key.exercise.mutant_id, Result.ERROR,
                                   f"cannot read {found}: {exc.strerror}", "", str(found))
            continue
        entry = done.get(key.folder)
        if entry is not None and entry.get("fingerprint") == mark and entry.get("submission") == str(found):
            rows[key.folder] = Row(key.student, key.folder, key.exercise.mutant_id, Result(entry["result"]),
                                   entry["reason"], entry["time"], str(found))
        else:
            todo.append((key, found, mark))
    return rows, todo


def grade_class(class_dir, *, submissions=None, jobs: int = 1, out=None, scheduler: str | None = None,
                progress: Callable[[Row], None] | None = None) -> tuple[list[Row], Path]:
    """Grade every student of CLASS_DIR's answer key; write out/gradebook.csv (out: CLASS_DIR).

    scheduler: a Dask scheduler's address to grade on (None: here, `jobs` at a time).
    Returns the rows in the answer key's order and the gradebook's path.
    """
    class_dir = Path(class_dir)
    keys = read_key(key_path(class_dir))
    submissions = None if submissions is None else Path(submissions)
    if submissions is not None and not submissions.is_dir():
        raise MutagradError(f"--submissions {submissions}: no such folder")
    out = class_dir if out is None else Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot make the folder: {exc}") from exc
    rows, todo = _plan(keys, class_dir, submissions, read_journal(out / JOURNAL))
    if progress:
        for row in rows.values():
            progress(row)
    calls = []
    for key, found, _ in todo:
        try:
            calls.append((_grade_copy, (found.read_bytes(), found.resolve(), key)))
        except OSError as exc:
            raise MutagradError(f"{found}: cannot read the submission: {exc.strerror}") from exc
    try:
        journal = open(out / JOURNAL, "a", encoding="utf-8")
        if journal.tell() and not (out / JOURNAL).read_bytes().endswith(b"\n"):
            journal.write("\n")  # a run killed mid-line left a torn entry: start on a line of our own
    except OSError as exc:
        raise MutagradError(f"{out / JOURNAL}: cannot write the grading journal: {exc}") from exc
    with journal:
        if scheduler is None:
            results = run_each(calls, jobs=jobs, timeout=CLASS_TIMEOUT)
        else:
            from ..execution.dask_executor import run_each_dask
            results = run_each_dask(calls, scheduler=scheduler, timeout=CLASS_TIMEOUT)
        for index, isolated in results:
            key, found, mark = todo[index]
            result, reason = _outcome(isolated)
            row = Row(key.student, key.folder, key.exercise.mutant_id, Result(result), reason, handed_in(found),
                      str(found))
            _append(journal, {**asdict(row), "result": row.result.value, "fingerprint": mark})
            rows[key.folder] = row
            if progress:
                progress(row)
    ordered = [rows[key.folder] for key in keys]
    return ordered, write_gradebook(out / GRADEBOOK, ordered)


def write_gradebook(path: Path, rows: list[Row]) -> Path:
    """The gradebook CSV, one row per student, written whole or not at all."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([r.student, r.folder, r.bug, r.result.value, r.reason, r.time] for r in rows)
    try:
        fd, part = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # its own name: runs may overlap
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text.getvalue())
        os.chmod(part, 0o644)
        os.replace(part, path)
    except OSError as exc:
        raise MutagradError(f"{path}: cannot write the gradebook: {exc}") from exc
    return path
