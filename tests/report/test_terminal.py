"""`mutagrad run` in the terminal: at 80 columns no id or number is cut; str() of the records is the CLI's text."""
import io
import re

import pytest

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.configs import CONFIGS
from mutagrad.records.campaign import ComponentScore, Expect, ConfigRun, GateResult, MutantResult, RunResult
from mutagrad.records.check import Verdict
from mutagrad.report.progress_text import text_progress
from mutagrad.report.terminal import plain_text

SEED = 0
BUILTIN_IDS = tuple(e.id for e in load_catalog().entries)
LONG_ID = "an-entry-id-as-long-as-the-longest-of-the-built-in-catalog-and-more"[:44]


def fake_run(rel_error: float, config: str = "relu-sigmoid", verdict=Verdict.FAIL) -> ConfigRun:
    score = ComponentScore(name="dW3", status=verdict, rel_error=rel_error, margin=1e3, probe="initial")
    return ConfigRun(config=config, seed=SEED, verdict=verdict, localized="dW3" if verdict is Verdict.FAIL else None,
                     expected=("dW3",), exposed_by="keep_prob<1", components=(score,))


def campaign(ids) -> RunResult:
    """A RunResult of the given ids, every one detected with a distinct relative error (no checks run)."""
    mutants = tuple(MutantResult(id=i, title="t", category="cat", expect=Expect.DETECTED,
                                 components=("dW{L-1}", "db{L-1}"), runs=(fake_run(0.9876 - k / 1000),))
                    for k, i in enumerate(ids))
    reference = tuple(fake_run(1e-9, c.name, Verdict.PASS) for c in CONFIGS)
    return RunResult(seed=SEED, catalog="built-in", configs=CONFIGS, gate=GateResult(reference[0], fake_run(0.5)),
                     mutants=mutants, reference=reference, wall_seconds=1.0, jobs=2)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_run_table_never_cuts_an_id_or_a_number(width):
    ids = list(BUILTIN_IDS) + [LONG_ID]
    result = campaign(ids)
    text = plain_text(result, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    words = {w for line in lines for w in line.split()}
    assert set(ids) <= words  # each id whole on one line
    numbers = [f"{m.max_rel_error:.1e}" for m in result.mutants]
    assert set(numbers) <= words
    assert not re.search(r"\d\.\de-0(\s|$)", text)  # no exponent cut after its sign


def test_a_wide_terminal_shows_every_column_on_the_id_line():
    text = plain_text(campaign(["short-id"]), 160)
    header = next(line for line in text.splitlines() if line.strip().startswith("id"))
    assert header.split() == ["id", "outcome", "blamed", "expected", "probe", "max", "rel"]
    row = next(line for line in text.splitlines() if "short-id" in line)
    assert row.split() == ["short-id", "detected", "dW3", "dW{L-1},", "db{L-1}", "keep_prob<1", "9.9e-01"]


def test_str_of_a_run_result_is_the_cli_table_and_repr_stays_short():
    result = campaign(["short-id"])
    assert str(result) == plain_text(result).rstrip("\n")
    assert "short-id" in str(result) and "PASS" in str(result)
    assert repr(result).startswith("RunResult(mutants=1,")


def test_the_notebook_progress_line_shows_the_count_and_an_eta():
    stream, ticks = io.StringIO(), iter([0.0, 10.0, 20.0])
    advance = text_progress(stream, total=4, clock=lambda: next(ticks))
    advance("mutant", None, 1, 4)  # 10 s for one: 30 s for the three left
    advance("mutant", None, 2, 4)
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].endswith("0/4 eta -:--")  # drawn at once, before the first result
    assert frames[1].endswith("1/4 eta 0:30") and frames[2].endswith("2/4 eta 0:20")
    assert len({len(f) for f in frames}) == 1  # the line does not change width
