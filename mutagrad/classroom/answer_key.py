"""The instructor's key: a class's answer_key.csv, and the secret that seals each exercise file.

Grading for marks takes the configuration and the bug from here, never from a file the
student can edit: either the answer key's row for the student, or an .exercise.json whose
seal (HMAC-SHA256 of its payload under the class's secret) verifies. The secret is written
beside the answer key, outside every student folder, and is never handed out.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..campaign.configs import CONFIGS
from ..errors import MutagradError
from .exercise import CHECK_SEED, EXERCISE_FILE, Exercise, decode

KEY_FILE = "answer_key.csv"
SECRET_FILE = "instructor.key"
SECRET_BYTES = 32  # 256 bits, HMAC-SHA256's own strength
KEY_COLUMNS = ("student", "folder", "mutant_id", "component", "category", "difficulty", "config")


@dataclass(frozen=True)
class KeyRow:
    """One student's line of the answer key, and the exercise it stands for."""
    student: str
    folder: str
    exercise: Exercise


def class_secret(class_dir, *, create: bool = False) -> bytes:
    """The class's secret from CLASS_DIR/instructor.key; with create, a new one if there is none."""
    path = Path(class_dir) / SECRET_FILE
    if create and not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by the instructor only
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(SECRET_BYTES) + "\n")
        except OSError as exc:
            raise MutagradError(f"{path}: cannot write the class's secret: {exc}") from exc
    return read_secret(path)


def read_secret(path) -> bytes:
    """A secret written by class_secret (hex on one line)."""
    path = Path(path)
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MutagradError(f"--key {path}: not an instructor key written by `mutagrad exercise class` "
                            f"({type(exc).__name__})") from exc
    if len(secret) < SECRET_BYTES:
        raise MutagradError(f"--key {path}: too short for an instructor key ({len(secret)} bytes)")
    return secret


def seal(secret: bytes, payload: str) -> str:
    """The seal of an .exercise.json payload: HMAC-SHA256 under the class's secret."""
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def unseal(folder, secret: bytes) -> Exercise:
    """The exercise of `folder`, only if its .exercise.json carries the seal of `secret`."""
    path = Path(folder) / EXERCISE_FILE
    try:
        box = json.loads(path.read_text(encoding="utf-8"))
        payload, mark = box["payload"], box["seal"]
        if not isinstance(payload, str) or not isinstance(mark, str):
            raise TypeError("payload or seal")
    except FileNotFoundError as exc:
        raise MutagradError(f"{path}: no such file: hand in the exercise folder as it was given out") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MutagradError(f"{path}: carries no instructor's seal ({type(exc).__name__}): grade it with "
                            f"the class's {KEY_FILE} instead") from exc
    if not hmac.compare_digest(seal(secret, payload), mark):
        raise MutagradError(f"{path}: the instructor's seal does not match: the file was changed after it was "
                            f"handed out, or belongs to another class")
    return decode(payload, path)


def config_named(name: str, where: str):
    """The campaign configuration called `name` (an answer key names it)."""
    for config in CONFIGS:
        if config.name == name:
            return config
    raise MutagradError(f"{where}: unknown configuration {name!r} "
                        f"(known: {', '.join(c.name for c in CONFIGS)})")


def key_path(path) -> Path:
    """answer_key.csv itself, or the one in the class folder `path`."""
    path = Path(path)
    return path / KEY_FILE if path.is_dir() else path


def read_key(path) -> list[KeyRow]:
    """Every row of an answer key, each with its exercise; errors name the file and line."""
    path = key_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise MutagradError(f"{path}: no answer key here (`mutagrad exercise class` writes one)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MutagradError(f"{path}: cannot read the answer key: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in KEY_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise MutagradError(f"{path}:1: not an answer key: no column {missing[0]!r} "
                            f"(`mutagrad exercise class` writes one)")
    rows, folders = [], {}
    for row in reader:
        line = reader.line_num
        if any(not (row[c] or "").strip() for c in KEY_COLUMNS):
            field = next(c for c in KEY_COLUMNS if not (row[c] or "").strip())
            raise MutagradError(f"{path}:{line}: field {field!r} is empty")
        if row["folder"] in folders:
            raise MutagradError(f"{path}:{line}: folder {row['folder']!r} again (line {folders[row['folder']]})")
        folders[row["folder"]] = line
        config = config_named(row["config"], f"{path}:{line}: field 'config'")
        ex = Exercise(mutant_id=row["mutant_id"], category=row["category"], difficulty=row["difficulty"],
                      hint="", components=tuple(row["component"].split(" or ")), config=config,
                      seed=CHECK_SEED, student=row["student"])
        rows.append(KeyRow(row["student"], row["folder"], ex))
    if not rows:
        raise MutagradError(f"{path}: the answer key has no student")
    return rows


def find_row(rows: list[KeyRow], name: str, where: str) -> KeyRow:
    """The row whose folder or student is `name`."""
    for row in rows:
        if name in (row.folder, row.student) or name.casefold() == row.student.casefold():
            return row
    raise MutagradError(f"{where}: no student or folder {name!r} in the answer key")


def instructors_exercise(folder, key, student: str | None = None) -> Exercise:
    """The exercise of `folder` as the instructor's `key` has it.

    Args:
        folder: the student's folder (its model.py is graded).
        key: the class folder or its answer_key.csv (the row of `student`, default: the folder's
            name), or the class's instructor.key (the folder's .exercise.json, if the seal verifies).
        student: the student's name or folder; with instructor.key, the sealed file must be theirs.
    """
    from .class_set import folder_name  # class_set imports this module

    key = Path(key)
    if key.is_dir() or key.suffix == ".csv":
        name = student or Path(folder).resolve().name
        return find_row(read_key(key_path(key)), name, f"--key {key_path(key)}").exercise
    sealed = unseal(folder, read_secret(key))
    if student and folder_name(student) != folder_name(sealed.student or ""):
        raise MutagradError(f"{Path(folder) / EXERCISE_FILE}: sealed for {sealed.student!r}, not for {student!r}: "
                            f"hand in your own exercise folder")
    return sealed
