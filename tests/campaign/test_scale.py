"""Campaigns that stay linear (checkpoints paced by their own cost), --mode, and the same run on Dask."""
import dataclasses
import json
import types

import pytest
from click.testing import CliRunner

from mutagrad.campaign import runner
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.configs import CONFIGS
from mutagrad.cli import cli, main
from mutagrad.errors import ProtocolError
from mutagrad.execution.isolate import Isolated, Status
from mutagrad.records.campaign import ConfigRun
from mutagrad.records.check import Verdict
from mutagrad.report.json_report import render_json

CATALOG = load_catalog()
SMALL = tuple(CATALOG.get(i) for i in ("transposed-dw", "forgotten-dropout-mask", "dropout-removed-consistently"))


class Clock:
    """A fake monotonic clock: the test decides how long each result and each checkpoint take."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


def test_checkpoints_cost_a_bounded_share_of_a_long_campaign(monkeypatch):
    clock = Clock()
    per_result, per_mutant_written = 0.1, 0.002  # seconds: a partial report grows with the run
    entries = [dataclasses.replace(SMALL[0], id=f"copy-{k}") for k in range(3000)]
    gate = runner.sanity_gate(0, CONFIGS[0])

    def instant(calls, **_):
        for j, (_, (task, _mode)) in enumerate(calls):
            clock.now += per_result
            kind, payload, seed, _checker = task
            value = (runner.mutant_result(payload, ()) if kind == "mutant"
                     else ConfigRun(config=payload.name, seed=seed, verdict=Verdict.PASS))
            yield j, Isolated(Status.OK, value)

    spent = []

    def checkpoint(partial):
        cost = per_mutant_written * len(partial.mutants)
        spent.append(cost)
        clock.now += cost

    monkeypatch.setattr(runner, "time", types.SimpleNamespace(monotonic=clock.monotonic,
                                                              perf_counter=clock.monotonic))
    monkeypatch.setattr(runner, "run_each", instant)
    monkeypatch.setattr(runner, "sanity_gate", lambda *a: gate)
    result = runner.run_campaign(entries, jobs=1, checkpoint=checkpoint, timeout=10)
    work = per_result * (len(entries) + len(result.reference))
    assert len(result.mutants) == len(entries)
    # Every CHECKPOINT_SECONDS, as before, would spend about work/2 on partial reports
    # (quadratic); paced, they cost at most 1/CHECKPOINT_RATIO of the work, plus the last one.
    assert sum(spent) <= work / runner.CHECKPOINT_RATIO + max(spent)
    assert len(spent) >= 10  # and partial reports are still written along the way


def test_mode_reaches_the_checker(monkeypatch):
    seen = []
    real = runner.check_model

    def recording(model, **kwargs):
        seen.append(kwargs["mode"])
        return real(model, **kwargs)

    monkeypatch.setattr(runner, "check_model", recording)
    result = runner.run_mutant(SMALL[0], mode="directional")
    assert result.detected
    assert seen and set(seen) == {"directional"}


def test_an_unknown_mode_is_refused_before_any_check():
    with pytest.raises(ProtocolError, match="mode='sideways': unknown"):
        runner.run_campaign(SMALL, mode="sideways")


@pytest.mark.slow
def test_run_takes_mode_and_journals_it(tmp_path):
    out = tmp_path / "reports"
    res = CliRunner().invoke(cli, ["run", "transposed-dw", "--mode", "exhaustive", "--out", str(out), "-q",
                                   "-j", "1"])
    assert res.exit_code == 0, res.output
    header = json.loads((out / "journal.jsonl").read_text().splitlines()[0])
    assert header["run"]["options"]["mode"] == "exhaustive"
    res = CliRunner().invoke(cli, ["run", "transposed-dw", "--mode", "sideways", "--out", str(out)])
    assert res.exit_code == 2 and "--mode" in res.output


def test_an_unreachable_scheduler_is_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    import socket

    import mutagrad.execution.dask_executor as executor

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 1)
    with pytest.raises(SystemExit) as stop:
        main(["run", "transposed-dw", "--out", str(tmp_path), "-q", "--scheduler", f"tcp://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot reach" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_campaign_on_dask_writes_the_same_report_json(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = runner.run_campaign(SMALL, seed=0, jobs=2, journal=tmp_path / "local.jsonl")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        remote = runner.run_campaign(SMALL, seed=0, scheduler=cluster.scheduler_address,
                                     journal=tmp_path / "remote.jsonl")
    assert render_json(remote) == render_json(local)
    assert [m.outcome for m in remote.mutants] == [m.outcome for m in local.mutants]
    # the journal is the same too, apart from the seconds each check took
    lines = [(tmp_path / f"{name}.jsonl").read_text().splitlines() for name in ("local", "remote")]
    assert lines[0][0] == lines[1][0] and len(lines[0]) == len(lines[1])
