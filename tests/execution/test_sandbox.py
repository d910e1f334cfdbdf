"""Hostile model files (tests/hostile/models/) cannot change a verdict or outlive the check, in both sandboxes."""
import os
import socket
import time
import uuid
from pathlib import Path

import pytest
from helpers import TESTS

from mutagrad.check.model_file import IsolationError, check_file_isolated
from mutagrad.errors import MutagradError
from mutagrad.execution import sandbox
from mutagrad.execution.isolate import Status
from mutagrad.records.check import Verdict

HOSTILE = TESTS / "hostile" / "models"
BWRAP_MISSING = sandbox.bwrap_problem()
needs_bwrap = pytest.mark.skipif(BWRAP_MISSING is not None, reason=f"bubblewrap cannot run here: {BWRAP_MISSING}")
BOTH = ["none", pytest.param("bwrap", marks=needs_bwrap)]
LIMIT = 60  # CPU seconds: generous, nothing here comes near it


def hostile_copy(tmp_path, name, **values) -> Path:
    """A copy of a hostile model file with its placeholders filled in."""
    text = (HOSTILE / name).read_text()
    for key, value in values.items():
        text = text.replace(key, str(value))
    path = tmp_path / "student" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def verdict_or_refusal(path, kind):
    """The verdict, or 'refused' when the check stopped with an error (never a pass)."""
    try:
        return check_file_isolated(path, sandbox=kind, timeout=LIMIT)
    except MutagradError as exc:
        return exc


@pytest.mark.parametrize("kind", BOTH)
def test_monkeypatching_mutagrad_at_import_changes_nothing(kind):
    result = check_file_isolated(HOSTILE / "monkeypatch_mutagrad.py", sandbox=kind, timeout=LIMIT)
    assert result.verdict is Verdict.FAIL and result.localized == "dW1"
    assert "patched" in result.output  # the file ran, and patched what it could reach: its own process


@pytest.mark.parametrize("kind", BOTH)
def test_a_forged_result_on_every_inherited_fd_is_rejected(kind):
    outcome = verdict_or_refusal(HOSTILE / "forged_result.py", kind)
    if isinstance(outcome, MutagradError):
        assert "malformed reply" in str(outcome)
    else:
        assert outcome.verdict is Verdict.FAIL


@pytest.mark.parametrize("kind", BOTH)
def test_a_pickle_sent_back_never_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    outcome = verdict_or_refusal(hostile_copy(tmp_path, "pickle_bomb.py", __MARKER__=marker), kind)
    assert not marker.exists()
    assert isinstance(outcome, MutagradError) or outcome.verdict is Verdict.FAIL


@pytest.mark.parametrize("kind", BOTH)
def test_the_limits_cannot_be_lifted(kind):
    result = check_file_isolated(HOSTILE / "lift_limits.py", sandbox=kind, timeout=LIMIT)
    assert "could not lift the memory limit" in result.output and "could not lift the cpu limit" in result.output
    assert result.verdict is Verdict.FAIL


@pytest.mark.parametrize("kind", BOTH)
def test_exhausting_memory_on_every_call_is_a_crash_that_says_memory(kind):
    with pytest.raises(IsolationError) as info:
        check_file_isolated(HOSTILE / "memory_hog.py", sandbox=kind, timeout=LIMIT, memory_mb=1024)
    assert info.value.status is Status.CRASHED
    assert "out of memory" in str(info.value) and "infinite loop" not in str(info.value)


def _running(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.mark.parametrize("kind", BOTH)
def test_nothing_the_code_starts_outlives_the_check(tmp_path, kind):
    marker = f"mutagrad-test-{uuid.uuid4().hex}"
    result = check_file_isolated(hostile_copy(tmp_path, "grandchild.py", __MARKER__=marker), sandbox=kind,
                                 timeout=LIMIT)
    assert result.verdict is Verdict.FAIL
    deadline = time.monotonic() + 10  # SIGKILL is delivered at once; /proc may lag a moment behind
    while _running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _running(marker) == []


@needs_bwrap
def test_under_bwrap_no_network_no_writes_outside_and_no_view_of_the_users_files(tmp_path):
    secret = tmp_path / "instructor" / "answer.txt"
    secret.parent.mkdir()
    secret.write_text("the planted bug is in dW2")
    outside = tmp_path / "escaped.txt"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        path = hostile_copy(tmp_path, "escape.py", **{"PORT = 0": f"PORT = {listener.getsockname()[1]}",
                                                       "__OUTSIDE__": outside, "__SECRET__": secret})
        result = check_file_isolated(path, sandbox="bwrap", timeout=LIMIT)
        with pytest.raises(socket.timeout):
            listener.accept()
    assert "network: blocked" in result.output
    assert "write: blocked" in result.output and not outside.exists()
    assert "read: blocked" in result.output and "planted" not in result.output
    assert result.verdict is Verdict.FAIL and result.sandbox == "bwrap"


def test_without_bwrap_the_result_says_no_sandbox_was_used():
    result = check_file_isolated(HOSTILE / "monkeypatch_mutagrad.py", sandbox="none", timeout=LIMIT)
    assert result.sandbox == "none"


def test_a_cpu_bound_loop_is_a_timeout_by_cpu_time(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("LAYER_DIMS = [3, 1]\nwhile True:\n    pass\n")
    with pytest.raises(IsolationError) as info:
        check_file_isolated(path, sandbox="none", timeout=1)
    assert info.value.status is Status.TIMEOUT and "CPU" in str(info.value)


def test_asking_for_an_unknown_sandbox_is_bad_input():
    with pytest.raises(MutagradError, match="--sandbox 'jail'"):
        sandbox.resolve("jail")
