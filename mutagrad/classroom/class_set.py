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
from .exercise import Chooser, folder_is_free, make

ROSTER_COLUMNS = ("name", "student", "student name", "full name")
KEY_COLUMNS = ("student", "folder", "mutant_id", "component", "category", "difficulty", "config")


def folder_name(name: str) -> str:
    """A safe folder name for a student: letters and digits joined by '-', lower case."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", name)).strip("-").lower()
    return slug[:60].strip("-")


def read_roster(path) -> list[str]:
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
        folder = folder_name(name)
        if not folder:
            raise MutagradError(f"{path}:{n}: {name!r} has no letter or digit to name a folder after")
        if folder in seen:
            first, other = seen[folder]
            same = "duplicate name" if other.casefold() == name.casefold() else f"same folder as {other!r}"
            raise MutagradError(f"{path}:{n}: {same} {name!r} (line {first})")
        seen[folder] = (n, name)
    if not names:
        raise MutagradError(f"--roster {path}: no names below the header")
    return [name for _, name in names]


def _name_seed(seed: int, name: str) -> list[int]:
    return [seed, int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")]


def make_class(roster, out, *, seed: int = 0, difficulty: str | None = None, catalog=None) -> list[tuple]:
    """One exercise per student in out/<folder>/, and the answer key out/answer_key.csv.

    Categories rotate down the roster in a seeded order, so neighbours get different kinds of
    bug; the bug within the category and the configuration follow from the seed and the name.
    """
    names, out = read_roster(roster), Path(out)
    for name in names:
        folder_is_free(out / folder_name(name))
    chooser = Chooser(load_catalog(catalog))
    pools = {c: p for c in chooser.catalog.categories if (p := chooser.pool(c, difficulty))}
    if not pools:
        raise MutagradError("no catalog entry fits the --difficulty given")
    order = [list(pools)[i] for i in np.random.default_rng(seed).permutation(len(pools))]
    rows = []
    for i, name in enumerate(names):
        entry, config = chooser.pick(pools[order[i % len(order)]], np.random.default_rng(_name_seed(seed, name)))
        ex = make(out / folder_name(name), entry, config, chooser.difficulty(entry), student=name)
        rows.append((name, folder_name(name), ex.mutant_id, " or ".join(ex.components), ex.category,
                     ex.difficulty, config.name))
    key = io.StringIO()
    writer = csv.writer(key, lineterminator="\n")
    writer.writerows([KEY_COLUMNS, *rows])
    try:
        (out / "answer_key.csv").write_text(key.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise MutagradError(f"{out}: cannot write answer_key.csv: {exc}") from exc
    return rows
