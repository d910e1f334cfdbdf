"""Class sets: one exercise per student of a roster, and the instructor's answer key."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from pathlib import Path

import numpy as np

from ..campaign.catalog import load_catalog
from ..errors import MutagradError
from .answer_key import KEY_COLUMNS, KEY_FILE, class_secret, seal
from .exercise import Chooser, folder_is_free, make

ROSTER_COLUMNS = ("name", "student", "student name", "full name")
# Latin letters that Unicode does not decompose into a base letter and an accent.
LATIN_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                               "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ı": "i"})


def folder_name(name: str, ascii_only: bool = False) -> str:
    """A safe folder name for a student: letters and digits joined by '-', lower case; ascii_only drops accents."""
    if ascii_only:
        name = "".join(c for c in unicodedata.normalize("NFKD", name.translate(LATIN_LETTERS))
                       if not unicodedata.combining(c))
        name = name.encode("ascii", "ignore").decode()
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", name)).strip("-").lower()
    return slug[:60].strip("-")


def read_roster(path, ascii_only: bool = False) -> list[str]:
    """Student names: one a line, or a CSV whose header has a name (or student) column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MutagradError(f"--roster {path}: cannot read it: {exc}") from exc
    rows = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        raise MutagradError(f"--roster {path}: no names in it")
    head = rows[0][1]
    delimiter = max(",;\t", key=head.count)
    header = [h.strip().lower() for h in next(csv.reader([head], delimiter=delimiter))]
    column = next((header.index(c) for c in ROSTER_COLUMNS if c in header), None)
    names = []
    for n, line in rows[1:] if column is not None else rows:
        if column is not None:
            cells = next(csv.reader([line], delimiter=delimiter))
            line = cells[column].strip() if column < len(cells) else ""
            if not line:
                raise MutagradError(f"{path}:{n}: no name in column {header[column]!r}")
        names.append((n, line))
    seen = {}
    for n, name in names:
        folder = folder_name(name, ascii_only)
        if not folder:
            plain = " in plain ASCII (--ascii-names)" if ascii_only else ""
            raise MutagradError(f"{path}:{n}: {name!r} has no letter or digit to name a folder after{plain}: "
                                f"add a spelling with one to the roster")
        if folder in seen:
            first, other = seen[folder]
            raise MutagradError(f"{path}:{n}: {name!r} would get the same folder {folder!r} as {other!r} on "
                                f"line {first}: make each name in the roster distinct, e.g. add an initial")
        seen[folder] = (n, name)
    if not names:
        raise MutagradError(f"--roster {path}: no names below the header")
    return [name for _, name in names]


def _name_seed(seed: int, name: str) -> list[int]:
    return [seed, int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")]


def make_class(roster, out, *, seed: int = 0, difficulty: str | None = None, catalog=None,
               ascii_names: bool = False) -> list[tuple]:
    """One exercise per student in out/<folder>/, the answer key out/answer_key.csv, the secret out/instructor.key.

    Categories rotate down the roster in a seeded order, so neighbours get different kinds of
    bug; the bug within the category and the configuration follow from the seed and the name.
    Each .exercise.json is sealed with the class's secret (kept, or made once, in `out`).
    """
    names, out = read_roster(roster, ascii_names), Path(out)
    for name in names:
        folder_is_free(out / folder_name(name, ascii_names))
    chooser = Chooser(load_catalog(catalog))
    pools = {c: p for c in chooser.catalog.categories if (p := chooser.pool(c, difficulty))}
    if not pools:
        raise MutagradError("no catalog entry fits the --difficulty given")
    order = [list(pools)[i] for i in np.random.default_rng(seed).permutation(len(pools))]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MutagradError(f"--out {out}: cannot make the folder: {exc}") from exc
    secret = class_secret(out, create=True)
    rows = []
    for i, name in enumerate(names):
        entry, config = chooser.pick(pools[order[i % len(order)]], np.random.default_rng(_name_seed(seed, name)))
        folder = folder_name(name, ascii_names)
        ex = make(out / folder, entry, config, chooser.difficulty(entry), student=name,
                  seal=lambda payload: seal(secret, payload))
        rows.append((name, folder, ex.mutant_id, " or ".join(ex.components), ex.category,
                     ex.difficulty, config.name))
    key = io.StringIO()
    writer = csv.writer(key, lineterminator="\n")
    writer.writerows([KEY_COLUMNS, *rows])
    try:
        (out / KEY_FILE).write_text(key.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise MutagradError(f"{out}: cannot write {KEY_FILE}: {exc}") from exc
    return rows
