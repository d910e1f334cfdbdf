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
SHORT = 1.0  # seconds: the time limit where a test waits for a timeout and nothing else must end in time
HANG = 5.0  # seconds: the limit where one call hangs and quick ones beside it must still end
GENEROUS = 60.0  # seconds: the time limit of calls that must end, however busy the machine
WAIT = 60.0  # seconds a child waits for an event before giving up (it comes at once on a quiet machine)
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


def wait_for(path, seconds=WAIT) -> bool:
    """Poll until `path` exists: an event between processes, not a guess at how long they take."""
    deadline = time.monotonic() + seconds
    while not Path(path).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def mark_and_return(folder, index):
    (Path(folder) / str(index)).touch()
    return index


def wait_for_marks(folder, indices, value):
    for i in indices:
        wait_for(Path(folder) / str(i))
    return value


def meet(folder, me, other):
    (Path(folder) / me).touch()
    return wait_for(Path(folder) / other)


def write_pid_and_sleep(path):
    Path(f"{path}.tmp").write_text(str(os.getpid()))
    os.replace(f"{path}.tmp", path)  # whole: the parent never reads a half-written pid
    time.sleep(60)


# --- one call ---------------------------------------------------------------------------------

def test_a_value_comes_back():
    done = run_isolated(double, 21, timeout=GENEROUS)
    assert done.status is Status.OK and done.ok and done.value == 42 and done.error is None


def test_keyword_arguments_reach_the_call():
    assert run_isolated(sleep_then_return, seconds=0, value="v", timeout=GENEROUS).value == "v"


def test_an_exception_comes_back_with_its_message_and_line():
    done = run_isolated(raise_value_error, timeout=GENEROUS)
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
    done = run_isolated(raise_needs_two_arguments, timeout=GENEROUS)
    assert done.status is Status.RAISED and done.exception is None
    assert done.error.startswith("NeedsTwoArguments: x and y (test_isolate.py:")


def test_an_infinite_loop_is_a_timeout():
    start = time.monotonic()
    done = run_isolated(loop_forever, timeout=0.3)
    assert done.status is Status.TIMEOUT and "0.3 s" in done.error
    assert time.monotonic() - start < 0.3 + GENEROUS  # stopped, not left running: the margin is for load


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
    folder = run_isolated(working_folder, timeout=GENEROUS).value
    assert folder != os.getcwd() and Path(folder).name.startswith("mutagrad-")
    assert not Path(folder).exists()


def test_a_given_working_folder_is_used_and_kept(tmp_path):
    assert run_isolated(working_folder, timeout=GENEROUS, cwd=tmp_path).value == str(tmp_path)
    assert tmp_path.is_dir()


def test_stdin_is_closed():
    assert run_isolated(read_stdin, timeout=GENEROUS).value == b""  # /dev/null: an input() cannot hang


# --- several calls ----------------------------------------------------------------------------

def test_run_each_yields_every_call_once_as_it_ends(tmp_path):
    calls = [(wait_for_marks, (tmp_path, range(1, 6), 0))] + [(mark_and_return, (tmp_path, i)) for i in range(1, 6)]
    order = [(index, done.value) for index, done in run_each(calls, jobs=2, timeout=GENEROUS)]
    assert sorted(order) == [(i, i) for i in range(6)]
    assert order[-1] == (0, 0)  # the one that waits for all the others ends last: results come as they finish


def test_jobs_run_at_the_same_time(tmp_path):
    calls = [(meet, (tmp_path, "a", "b")), (meet, (tmp_path, "b", "a"))]  # each waits for the other to start
    results = dict(run_each(calls, jobs=2, timeout=GENEROUS))
    assert results[0].value is True and results[1].value is True


@pytest.mark.slow
def test_a_hanging_call_does_not_hold_up_the_others():
    calls = [(loop_forever, ())] + [(double, (i,)) for i in range(4)]
    results = dict(run_each(calls, jobs=2, timeout=HANG))
    assert results[0].status is Status.TIMEOUT
    assert [results[i].value for i in range(1, 5)] == [0, 2, 4, 6]


class Stop(Exception):
    pass


def test_an_interrupt_kills_the_running_children(tmp_path):
    def stop(signum, frame):
        if not (tmp_path / "pid").exists():  # the child has not started yet: look again soon
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            return
        raise Stop  # as Ctrl-C raises KeyboardInterrupt in the waiting parent

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
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
                          timeout=600)  # a hang guard only: generous for a busy machine


@pytest.mark.slow
def test_a_campaign_with_hostile_mutants_records_each_and_keeps_the_others(tmp_path):
    mixed, plain = tmp_path / "mixed", tmp_path / "plain"
    mixed.mkdir()
    plain.mkdir()
    for folder in (mixed, plain):
        shutil.copy(ROOT / "mutants" / "dropout.yaml", folder)
    shutil.copy(HOSTILE, mixed)
    # the default time limit (20 x the reference's check time under the same load, at least 10 s):
    # a fixed short one would time ordinary mutants out on a busy machine
    hostile = run_cli("run", "--all", "--catalog", str(mixed), "-j", "2", "--out", "r1", cwd=tmp_path)
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


class _RunsInTheParent:
    """A result whose unpickling would call os.system: what a hostile checker could hand its worker."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def return_a_hostile_pickle(marker):
    return _RunsInTheParent(marker)


def return_records():
    from mutagrad.records.campaign import ComponentScore, ConfigRun
    from mutagrad.records.check import Verdict
    return ConfigRun("relu-sigmoid", 0, Verdict.FAIL, localized="dW2", expected=("dW2",),
                     components=(ComponentScore("dW2", Verdict.FAIL, np.float64(0.5), 1e3, "moved"),)), np.arange(3.0)


def test_a_result_that_would_run_code_in_the_parent_is_refused(tmp_path):
    marker = tmp_path / "ran-in-the-parent"
    done = run_isolated(return_a_hostile_pickle, str(marker), timeout=600)
    assert done.status is Status.CRASHED and "refused" in done.error and "posix.system" in done.error
    assert not marker.exists()


def test_records_numpy_and_exceptions_come_back():
    done = run_isolated(return_records, timeout=600)
    run, array = done.value
    assert done.ok and run.localized_correctly and run.components[0].rel_error == 0.5
    assert array.tolist() == [0.0, 1.0, 2.0]
    raised = run_isolated(raise_value_error, timeout=600)
    assert raised.status is Status.RAISED and isinstance(raised.exception, ValueError)
