"""The journal: results survive an interrupted run, --resume finishes it with the same report.json."""
import json
import math
import shutil
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, TESTS
from mutagrad.campaign import runner
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.configs import CONFIGS, REFERENCE_SEEDS
from mutagrad.campaign.journal import (
    JOURNAL_NAME,
    Journal,
    JournalError,
    decode,
    encode,
    run_identity,
)
from mutagrad.report.json_report import render_json

CATALOG = load_catalog()
SMALL = tuple(CATALOG.get(i) for i in ("missing-lambda-over-m-term", "forgotten-dropout-mask", "transposed-dw",
                                       "non-inverted-dropout"))
CONFIGS_USED = CONFIGS[:1]  # three reference runs: the tests stay fast
TASKS = len(SMALL) + len(CONFIGS_USED) * REFERENCE_SEEDS
CLI_IDS = ("missing-lambda-over-m-term", "forgotten-dropout-mask", "transposed-dw")


def campaign(journal=None, resume=False, **options):
    return runner.run_campaign(SMALL, seed=1, jobs=2, configs=CONFIGS_USED, journal=journal, resume=resume,
                               **options)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """An uninterrupted run with its journal."""
    path = tmp_path_factory.mktemp("clean") / JOURNAL_NAME
    return campaign(path), path


def test_every_result_is_journaled_after_a_header(clean):
    result, path = clean
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + TASKS
    assert json.loads(lines[0])["run"]["ids"] == [e.id for e in SMALL]
    keys = {json.loads(line)["key"] for line in lines[1:]}
    assert keys == {f"mutant {e.id}" for e in SMALL} | {f"reference relu-sigmoid {1 + k}" for k in range(3)}


def test_records_round_trip_exactly(clean):
    result, _ = clean
    for record in result.mutants + result.reference:
        assert decode(json.loads(json.dumps(encode(record)))) == record


def test_a_nan_survives_the_round_trip(clean):
    result, _ = clean
    run = result.reference[0]
    odd = type(run)(**{**run.__dict__, "seconds": math.nan})
    assert math.isnan(decode(json.loads(json.dumps(encode(odd)))).seconds)


@pytest.mark.parametrize("kept", [0, 2, 5])
def test_a_resumed_run_writes_the_same_report_json(clean, tmp_path, kept):
    """Interrupted after `kept` results (the next line cut short by the kill), then resumed."""
    result, path = clean
    lines = path.read_bytes().splitlines(keepends=True)
    cut = tmp_path / JOURNAL_NAME
    cut.write_bytes(b"".join(lines[:1 + kept]) + lines[1 + kept][:25])
    ran = []
    resumed = campaign(cut, resume=True, progress=lambda kind, item, done, total: ran.append(done))
    assert render_json(resumed) == render_json(result)
    assert len(ran) == TASKS - kept  # only the missing ones ran
    assert len(cut.read_text().splitlines()) == 1 + TASKS  # the cut line was dropped, not kept


def test_ctrl_c_gives_a_partial_result_and_keeps_what_finished(tmp_path):
    path = tmp_path / JOURNAL_NAME

    def interrupt_after_two(kind, item, done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(runner.CampaignInterrupted) as stop:
        campaign(path, progress=interrupt_after_two)
    partial = stop.value.result
    assert partial.partial and len(partial.not_run) == TASKS - 2 and not partial.ok
    report = partial.to_dict()
    assert report["partial"] is True and report["summary"]["ok"] is False
    assert len(report["mutants"]) + len(report["reference"]) == 2
    assert len(path.read_text().splitlines()) == 1 + 2


@pytest.mark.slow
def test_checkpoints_give_partial_results_while_the_run_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    seen = []
    final = campaign(checkpoint=lambda partial: seen.append(len(partial.not_run)))
    assert seen[0] == TASKS and seen == sorted(seen, reverse=True) and not final.partial
    assert final.to_dict()["partial"] is False and final.to_dict()["not_run"] == []


# --- refusing a journal of another run ------------------------------------------------------

def identity(**change):
    options = {"seed": 1, "catalog": "built-in", "configs": CONFIGS_USED, "options": {"timeout": None,
                                                                                       "memory_mb": 2048}}
    entries = change.pop("entries", SMALL)
    options.update(change)
    return run_identity(entries, **options)


@pytest.mark.parametrize("change,reason", [
    ({"seed": 2}, "seed 1 in the journal, 2 now"),
    ({"entries": SMALL[:2]}, "another selection of mutants (4 in the journal, 2 now)"),
    ({"options": {"timeout": 5.0, "memory_mb": 2048}}, "timeout None in the journal, 5.0 now"),
    ({"configs": CONFIGS[:2]}, "configs"),
])
def test_a_journal_of_another_run_is_refused_with_the_reason(clean, change, reason):
    _, path = clean
    with pytest.raises(JournalError) as info:
        Journal(path, identity(**change), resume=True)
    message = str(info.value)
    assert message.startswith(f"{path}: the journal belongs to another run (") and reason in message
    assert "run without --resume to start over" in message


def test_a_changed_catalog_entry_is_another_run(clean):
    _, path = clean
    changed = (SMALL[0].__class__(**{**SMALL[0].__dict__, "title": "renamed"}),) + SMALL[1:]
    with pytest.raises(JournalError, match="the catalog entries changed"):
        Journal(path, identity(entries=changed), resume=True)


def test_resume_without_a_journal_and_a_damaged_journal(tmp_path):
    with pytest.raises(JournalError, match="no journal to resume"):
        Journal(tmp_path / JOURNAL_NAME, identity(), resume=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"journal": 1, "run": identity()}) + "\nnot json\n{}\n")
    with pytest.raises(JournalError, match=r"bad.jsonl:2: not a journal line"):
        Journal(bad, identity(), resume=True)
    bad.write_text("hello\n")
    with pytest.raises(JournalError, match=r"bad.jsonl: the journal is empty"):
        Journal(bad, identity(), resume=True)
    bad.write_text('{"something": "else"}\n')
    with pytest.raises(JournalError, match=r"bad.jsonl:1: not a mutagrad journal"):
        Journal(bad, identity(), resume=True)


# --- the "Done when": a real run killed halfway, then resumed --------------------------------------

def cli(*args):
    return [sys.executable, "-m", "mutagrad.cli", "run", *CLI_IDS, "-j", "2", "-q", *map(str, args)]


@pytest.mark.slow
def test_a_run_killed_halfway_and_resumed_gives_the_clean_report(tmp_path):
    clean = subprocess.run(cli("--out", "clean"), cwd=tmp_path, capture_output=True, timeout=600)
    assert clean.returncode == 0, clean.stderr
    journal = tmp_path / "killed" / JOURNAL_NAME
    process = subprocess.Popen(cli("--out", "killed"), cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600  # a hang guard only: a busy machine may take minutes
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and len(journal.read_bytes().splitlines()) >= 1 + 4:  # 4 of 21 results
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    partial = json.loads((tmp_path / "killed" / "report.json").read_text())
    assert partial["partial"] is True and partial["not_run"]
    resumed = subprocess.run(cli("--out", "killed", "--resume"), cwd=tmp_path, capture_output=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "killed" / "report.json").read_bytes() == (tmp_path / "clean" / "report.json").read_bytes()


@pytest.mark.slow
def test_ctrl_c_on_the_command_leaves_a_partial_report_and_exit_130(tmp_path):
    # a mutant that never ends keeps the run going until the interrupt, however fast or busy the machine
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for source in [*(ROOT / "mutants").glob("*.yaml"), TESTS / "hostile" / "hostile.yaml"]:
        shutil.copy(source, catalog)
    journal = tmp_path / "r" / JOURNAL_NAME
    process = subprocess.Popen(cli("hostile-infinite-loop", "--catalog", catalog, "--timeout", "3600", "--out", "r"),
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # a hang guard only
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and len(journal.read_bytes().splitlines()) >= 1 + 3:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted:" in err and "--resume finishes the run" in err and "Traceback" not in err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    kept = len(journal.read_text().splitlines()) - 1
    assert report["partial"] is True and len(report["mutants"]) + len(report["reference"]) == kept
    assert "**PARTIAL REPORT**" in (tmp_path / "r" / "report.md").read_text()
