"""Where each catalog entry's patch applies: the span and replacement the standard mutation report shows."""
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.locations import patch_location, patch_locations, position
from mutagrad.campaign.mutate import mutant_source, reference_source


def offset(source: str, line: int, column: int) -> int:
    lines = source.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line - 1]) + column - 1


def test_position_counts_lines_and_columns_from_one():
    assert position("ab\ncd", 0) == (1, 1) and position("ab\ncd", 4) == (2, 2)


def test_every_location_and_replacement_rebuild_the_mutant_exactly():
    reference, entries = reference_source(), load_catalog().select()
    found = patch_locations(entries)
    assert set(found) == {e.id for e in entries}
    for e in entries:
        at = found[e.id]
        start, end = offset(reference, at.start_line, at.start_column), offset(reference, at.end_line, at.end_column)
        assert start < end, e.id
        assert reference[:start] + at.replacement + reference[end:] == mutant_source(e), e.id


def test_one_hunk_is_its_find_text():
    entry = load_catalog().get("transposed-dw")
    at = patch_location(entry)
    reference = reference_source()
    line = reference.splitlines()[at.start_line - 1]
    assert line[at.start_column - 1:].startswith(entry.patch[0].find.splitlines()[0])
    assert at.replacement == entry.patch[0].replace
