"""Where each catalog entry's patch applies in the reference's source, for the standard mutation report.

One hunk: the span of its `find` text inside its function, replaced by `replace`. Several
hunks: the smallest span of whole lines holding every change, replaced by the mutant's text
for those lines.
"""
from __future__ import annotations

from .mutate import function_span, mutant_source, reference_source
from ..records.location import PatchLocation


def position(source: str, offset: int) -> tuple[int, int]:
    """(line, column) of a character offset, both from 1."""
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def span_location(source: str, start: int, end: int, replacement: str) -> PatchLocation:
    return PatchLocation(*position(source, start), *position(source, end), replacement=replacement)


def patch_location(entry, reference: str | None = None) -> PatchLocation:
    """Where `entry`'s patch applies in the reference, and the text the mutant has there."""
    reference = reference_source() if reference is None else reference
    if len(entry.patch) == 1:
        hunk = entry.patch[0]
        begin, _ = function_span(reference, hunk.function)
        start = reference.index(hunk.find, begin)
        return span_location(reference, start, start + len(hunk.find), hunk.replace)
    mutant = mutant_source(entry, reference)
    same = 0
    while same < min(len(reference), len(mutant)) and reference[same] == mutant[same]:
        same += 1
    tail = 0
    while tail < min(len(reference), len(mutant)) - same and reference[-1 - tail] == mutant[-1 - tail]:
        tail += 1
    start = reference.rfind("\n", 0, same) + 1  # whole lines: from the start of the first changed one
    end_ref = reference.find("\n", len(reference) - tail)
    end_ref = len(reference) if end_ref < 0 else end_ref
    end_mut = end_ref + len(mutant) - len(reference)
    return span_location(reference, start, end_ref, mutant[start:end_mut])


def patch_locations(entries) -> dict[str, PatchLocation]:
    """patch_location of every entry in the file it patches, by id; an entry whose patch does not apply is left out."""
    reference = reference_source()
    found = {}
    for entry in entries:
        try:
            found[entry.id] = patch_location(entry, reference if entry.target is None else entry.target.source)
        except Exception:  # noqa: BLE001 - a broken patch is reported by the run itself, as an error
            continue
    return found
