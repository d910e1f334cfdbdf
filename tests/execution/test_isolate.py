"""Isolation: each call in a forked child with a time and memory limit; hostile mutants in a campaign."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mutagrad.execution.isolate import Status, run_each, run_isolated

from helpers import ROOT, TESTS  # noqa: E402
HOSTILE = TESTS / "hostile" / "hostile.yaml"
SHORT = 1.0  # seconds: the time limit where a test waits for a timeout
TEN_GB = 10**10 // 8  # float64 entries


def double(x):
    return 2 * x


def loop_forever():
    while True:
        pass


def allocate_ten_gigabytes():
    return np.ones(TEN_GB).sum()


def raise_value_error():
    raise ValueError("boom")


def working_folder():
    return os.getcwd()


def read_stdin():
    return os.read(0, 10)  # file descriptor 0: sys.stdin may be replaced (pytest does)


def sleep_then_return(seconds, value):
    time.sleep(seconds)
    return value


def write_pid_and_sleep(path):
    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


# --- one call ---------------------------------------------------------------------------------

def test_a_value_comes_back():
    done = run_isolated(double, 21, timeout=SHORT)
    assert done.status is Status.OK and done.ok and done.value == 42 and done.error is None


def test_keyword_arguments_reach_the_call():
    assert run_isolated(sleep_then_return, seconds=0, value="v", timeout=SHORT).value == "v"


def test_an_exception_comes_back_with_its_message_and_line():
    done = run_isolated(raise_value_error, timeout=SHORT)
    assert done.status is Status.RAISED
    assert isinstance(done.exception, ValueError)
    line = raise_value_error.__code__.co_firstlineno + 1
    assert done.error == f"ValueError: boom (test_isolate.py:{line})"


class NeedsTwoArguments(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")  # pickle rebuilds it with one argument: it cannot come back


def raise_needs_two_arguments():
    raise NeedsTwoArguments("x", "y")


def test_an_exception_that_cannot_be_rebuilt_still_comes_back_as_text():
    done = run_isolated(raise_needs_two_arguments, timeout=SHORT)
    assert done.status is Status.RAISED and done.exception is None
    assert done.error.startswith("NeedsTwoArguments: x and y (test_isolate.py:")


def test_an_infinite_loop_is_a_timeout():
    start = time.monotonic()
    done = run_isolated(loop_forever, timeout=0.3)
    assert done.status is Status.TIMEOUT and "0.3 s" in done.error
    assert time.monotonic() - start < 0.3 + 2


@pytest.mark.parametrize("fn,message", [
    (lambda: os._exit(0), "exited with code 0 without a result"),
    (lambda: sys.exit(3), "called sys.exit(3)"),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), "killed by SIGKILL"),
    (lambda: os.kill(os.getpid(), signal.SIGSEGV), "killed by SIGSEGV"),
    (allocate_ten_gigabytes, "MemoryError: Unable to allocate 9.31 GiB"),
], ids=["os._exit", "sys.exit", "SIGKILL", "SIGSEGV", "10 GB"])
def test_a_process_that_dies_is_crashed(fn, message):
    done = run_isolated(fn, timeout=10, memory_mb=1024)
    assert done.status is Status.CRASHED
    assert message in done.error


def test_the_working_folder_is_a_fresh_temporary_one_removed_afterwards():
    folder = run_isolated(working_folder, timeout=SHORT).value
    assert folder != os.getcwd() and Path(folder).name.startswith("mutagrad-")
    assert not Path(folder).exists()


def test_a_given_working_folder_is_used_and_kept(tmp_path):
    assert run_isolated(working_folder, timeout=SHORT, cwd=tmp_path).value == str(tmp_path)
    assert tmp_path.is_dir()


def test_stdin_is_closed():
    assert run_isolated(read_stdin, timeout=SHORT).value == b""  # /dev/null: an input() cannot hang


# --- several calls ----------------------------------------------------------------------------

def test_run_each_yields_every_call_once_as_it_ends():
    calls = [(sleep_then_return, (0.3 if i == 0 else 0.0, i)) for i in range(6)]
    order = [(index, done.value) for index, done in run_each(calls, jobs=2, timeout=5)]
    assert sorted(order) == [(i, i) for i in range(6)]
    assert order[-1] == (0, 0)  # the slow one ends last: results come as they finish


def test_jobs_run_at_the_same_time():
    start = time.monotonic()
    list(run_each([(sleep_then_return, (0.5, i)) for i in range(2)], jobs=2, timeout=5))
    assert time.monotonic() - start < 0.9


def test_a_hanging_call_does_not_hold_up_the_others():
    calls = [(loop_forever, ())] + [(double, (i,)) for i in range(4)]
    results = dict(run_each(calls, jobs=2, timeout=SHORT))
    assert results[0].status is Status.TIMEOUT
    assert [results[i].value for i in range(1, 5)] == [0, 2, 4, 6]


class Stop(Exception):
    pass


def test_an_interrupt_kills_the_running_children(tmp_path):
    def stop(signum, frame):
        raise Stop  # as Ctrl-C raises KeyboardInterrupt in the waiting parent

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(Stop):
            list(run_each([(write_pid_and_sleep, (tmp_path / "pid",))], jobs=1, timeout=60, cwd=tmp_path))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "pid").read_text()), 0)


# --- the "Done when": a campaign with hostile mutants -------------------------------------------

def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mutagrad.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)  # a guard against a hang, far above any run


def test_a_campaign_with_hostile_mutants_records_each_and_keeps_the_others(tmp_path):
    mixed, plain = tmp_path / "mixed", tmp_path / "plain"
    mixed.mkdir()
    plain.mkdir()
    for folder in (mixed, plain):
        shutil.copy(ROOT / "mutants" / "dropout.yaml", folder)
    shutil.copy(HOSTILE, mixed)
    hostile = run_cli("run", "--all", "--catalog", str(mixed), "--timeout", "5", "-j", "2", "--out", "r1",
                      cwd=tmp_path)
    clean = run_cli("run", "--all", "--catalog", str(plain), "-j", "2", "--out", "r2", cwd=tmp_path)
    assert hostile.returncode == 1, hostile.stderr  # a timeout, a crash or an error fails the run
    assert clean.returncode == 0, clean.stderr
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    outcomes = {m["id"]: (m["outcome"], m["error"]) for m in report["mutants"]}
    assert outcomes["hostile-infinite-loop"][0] == "timeout"
    assert outcomes["hostile-os-exit"] == ("crashed", "the process exited with code 0 without a result (os._exit?)")
    assert outcomes["hostile-ten-gigabytes"][0] == "crashed"
    assert outcomes["hostile-ten-gigabytes"][1].startswith("out of memory: ")  # not a timeout, not "an infinite loop?"
    assert "MemoryError: Unable to allocate 9.31 GiB" in outcomes["hostile-ten-gigabytes"][1]
    assert outcomes["hostile-raise"][0] == "error"
    assert "RuntimeError: a hostile mutant raised (<mutant hostile-raise>:" in outcomes["hostile-raise"][1]
    assert outcomes["hostile-sys-exit"][0] == "crashed" and "sys.exit(3)" in outcomes["hostile-sys-exit"][1]
    s = report["summary"]
    assert (s["timeouts"], s["crashed"], s["errors"], s["detected"]) == (1, 3, 1, 4)
    others = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert [m for m in report["mutants"] if not m["id"].startswith("hostile-")] == others["mutants"]
    assert report["reference"] == others["reference"]
    assert "not judged: 1 error, 1 timeout, 3 crashed" in hostile.stdout
    md = (tmp_path / "r1" / "report.md").read_text()
    assert "| timeouts (no result within the time limit) | 1 |" in md and "**CRASHED**" in md
