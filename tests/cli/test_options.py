"""The shared option types and helpers of the command groups."""
import click
import pytest

from mutagrad.cli.campaign import RUN_SEED
from mutagrad.cli.options import LAMBD, SEED_MAX, TIMEOUT, write_atomic


@pytest.mark.parametrize("kind, text", [(TIMEOUT, "inf"), (TIMEOUT, "-inf"), (TIMEOUT, "nan"), (TIMEOUT, "1e300"),
                                        (TIMEOUT, "0"), (LAMBD, "nan"), (LAMBD, "inf"), (LAMBD, "-0.1"),
                                        (RUN_SEED, str(SEED_MAX - 1)), (RUN_SEED, str(2 ** 32))])
def test_out_of_range_values_are_refused(kind, text):
    with pytest.raises(click.BadParameter):
        kind.convert(text, None, None)


def test_values_in_range_pass_through():
    assert TIMEOUT.convert("2.5", None, None) == 2.5
    assert LAMBD.convert("0", None, None) == 0.0
    assert RUN_SEED.convert(str(SEED_MAX - 2), None, None) == SEED_MAX - 2  # its reference seeds end at SEED_MAX


def test_write_atomic_replaces_the_file_and_leaves_no_temporary_one(tmp_path):
    target = tmp_path / "report.md"
    (tmp_path / "report.md.tmp").write_text("another writer's temporary file")
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "report.md.tmp"]
    assert (tmp_path / "report.md.tmp").read_text() == "another writer's temporary file"
