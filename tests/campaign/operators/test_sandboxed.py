"""`generate operators --file` runs the user's file and its mutants only in the sandbox, and trusts none of its answer."""
import os

import pytest
from helpers import TESTS

from mutagrad.campaign.operators import OPERATORS
from mutagrad.campaign.operators.entries import Kind
from mutagrad.campaign.operators.oracle import Verdict
from mutagrad.campaign.operators.sandboxed import _verdicts, generate_file
from mutagrad.errors import MutagradError
from mutagrad.execution import process, sandbox

BWRAP_MISSING = sandbox.bwrap_problem()
needs_bwrap = pytest.mark.skipif(BWRAP_MISSING is not None, reason=f"bubblewrap cannot run here: {BWRAP_MISSING}")
BOTH = ["none", pytest.param("bwrap", marks=needs_bwrap)]
NUMBER = tuple(op for op in OPERATORS if op.name == "number")
LIMIT = 60.0  # seconds per mutant: generous, nothing here but the hanging mutant comes near it
LOADED_WHERE = (TESTS / "models" / "loaded_where.py").read_text()
CORRECT = LOADED_WHERE.split("\nfor where in", 1)[0] + "\n" + LOADED_WHERE.split("        pass\n", 1)[1]


def model(tmp_path, text, name="model.py"):
    path = tmp_path / "student" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def with_prelude(prelude: str) -> str:
    """The correct two-layer model with `prelude` run at import."""
    return CORRECT.replace("LAYER_DIMS = [3, 2, 1]\n", f"LAYER_DIMS = [3, 2, 1]\n{prelude}\n", 1)


def one_line_error(path, kind="none", **options) -> str:
    with pytest.raises(MutagradError) as info:
        generate_file(path, operators=NUMBER, sandbox_choice=kind, timeout=options.pop("timeout", LIMIT), **options)
    message = str(info.value)
    assert "\n" not in message and path.name in message, message
    return message


@pytest.mark.parametrize("kind", BOTH)
def test_the_file_is_never_loaded_in_this_process_nor_from_its_own_path(tmp_path, kind):
    log = tmp_path / "loads.log"
    path = model(tmp_path, LOADED_WHERE.replace("__LOG__", str(log)))
    generated = generate_file(path, operators=NUMBER, sandbox_choice=kind, timeout=LIMIT, jobs=2)
    assert generated.count(Kind.BUG) > 0 and generated.file["layer_dims"] == [3, 2, 1]  # it was loaded: there
    assert not (path.parent / "loaded.marker").exists()  # a load from its own path would write beside it
    if kind == "none":  # under bwrap the log cannot be written: the marker above is the evidence there
        loads = [line.split(" ", 1) for line in log.read_text().splitlines()]
        assert loads and all(int(pid) != os.getpid() and where != str(path) for pid, where in loads)


@pytest.mark.parametrize("kind", BOTH)
def test_the_same_file_gives_the_same_verdicts_in_either_sandbox(tmp_path, kind):
    path = model(tmp_path, CORRECT)
    decisions = [(d.mutant.id, d.kind, d.entries) for d in
                 generate_file(path, operators=NUMBER, sandbox_choice=kind, timeout=LIMIT).decisions]
    again = [(d.mutant.id, d.kind, d.entries) for d in
             generate_file(path, operators=NUMBER, sandbox_choice="none", timeout=LIMIT, jobs=2).decisions]
    assert decisions == again and any(kind is Kind.BUG for _, kind, _ in decisions)


def test_what_the_file_prints_never_reaches_our_output(tmp_path, capfd):
    path = model(tmp_path, with_prelude('print("loading the chatty model")').replace(
        "    A1, A2, W2 = cache\n", '    print("backward called")\n    A1, A2, W2 = cache\n'))
    generated = generate_file(path, operators=NUMBER, sandbox_choice="none", timeout=LIMIT)
    out, err = capfd.readouterr()
    assert generated.count(Kind.BUG) > 0
    assert "chatty" not in out + err and "backward called" not in out + err


@pytest.mark.parametrize("prelude, expected", [
    ("import sys; sys.exit(3)", "sys.exit(3)"),
    ("raise RuntimeError('no data set here')", "no data set here"),
    ("import os; os._exit(0)", "ended without a result"),
])
def test_a_file_that_exits_or_raises_at_import_is_one_line(tmp_path, prelude, expected):
    assert expected in one_line_error(model(tmp_path, with_prelude(prelude)))


def test_a_backward_that_exits_while_the_reference_is_evaluated_is_one_line(tmp_path):
    path = model(tmp_path, CORRECT.replace("    A1, A2, W2 = cache\n", "    raise SystemExit(4)\n"))
    assert "SystemExit: 4" in one_line_error(path)


@pytest.mark.slow  # it spends its CPU-time limit
def test_a_file_that_spins_at_import_is_killed_at_its_cpu_time_limit(tmp_path):
    message = one_line_error(model(tmp_path, with_prelude("while True:\n    pass")), timeout=1, functions=("forward",))
    # The kernel kills it (SIGKILL at the hard limit); remote.py names the limit when it could read the CPU time used.
    assert "ended without a result" in message and ("CPU-time limit" in message or "SIGKILL" in message)


@pytest.mark.slow
def test_a_file_that_sleeps_at_import_is_stopped_by_the_wall_clock_backstop(tmp_path, monkeypatch):
    """Sleeping uses no CPU time: the backstop (3 x its CPU-time limit + 30 s) ends it, and the error says so."""
    # The same backstop, made short: the file sleeps forever, so no load can make it answer first.
    monkeypatch.setattr(process, "WALL_FACTOR", 1)
    monkeypatch.setattr(process, "WALL_SLACK", 1.0)
    path = model(tmp_path, with_prelude("import time\ntime.sleep(10**6)"))
    assert "no answer within" in one_line_error(path, timeout=1, functions=("forward",))


@pytest.mark.slow  # it spends its CPU-time limit
def test_a_mutant_that_hangs_is_invalid_and_the_rest_are_classified(tmp_path):
    """`k += 1` -> `k += 0` loops forever: that mutant's child is stopped, every other one is judged."""
    loop = "    k = 0\n    while k < 1:\n        k += 1\n"
    path = model(tmp_path, CORRECT.replace("    A1, A2, W2 = cache\n", loop + "    A1, A2, W2 = cache\n"))
    generated = generate_file(path, ("backward",), NUMBER, jobs=2, timeout=5, sandbox_choice="none")
    hung = [d for d in generated.decisions if d.mutant.hunk.replace.strip() == "k += 0"]
    assert hung and all(d.kind is Kind.INVALID and "time limit" in d.detail for d in hung)
    assert generated.count(Kind.BUG) > 0


@pytest.mark.parametrize("kind", BOTH)
def test_a_forged_answer_on_every_inherited_fd_is_refused(kind):
    message = one_line_error(TESTS / "hostile" / "models" / "forged_result.py", kind)
    assert "malformed answer" in message and "none of it was used" in message


@needs_bwrap
def test_under_bwrap_the_file_cannot_write_outside_its_folder(tmp_path):
    outside = tmp_path / "escaped.txt"
    write = f"open({str(outside)!r}, 'w').write('escaped')"
    path = model(tmp_path, with_prelude(f"try:\n    {write}\nexcept OSError:\n    pass").replace(
        "    A1, A2, W2 = cache\n", f"    try:\n        {write}\n    except OSError:\n        pass\n"
                                   "    A1, A2, W2 = cache\n"))
    generated = generate_file(path, operators=NUMBER, sandbox_choice="bwrap", timeout=LIMIT)
    assert generated.count(Kind.BUG) > 0 and not outside.exists()


GOOD = {"setting": "file", "verdict": "bug", "first_wrong": ["dW2"], "changed_in": ["moved"], "reason": None}


@pytest.mark.parametrize("forged", [
    {"index": 5, "verdicts": [GOOD]},  # no such mutant
    {"index": 0, "verdicts": [GOOD, GOOD]},  # a file has one setting
    {"index": 0, "verdicts": [dict(GOOD, setting="relu-sigmoid")]},
    {"index": 0, "verdicts": [dict(GOOD, verdict="pass")]},
    {"index": 0, "verdicts": [dict(GOOD, first_wrong=["dW3"])]},  # a layer the file does not have
    {"index": 0, "verdicts": [dict(GOOD, first_wrong=["__import__('os')"])]},
    {"index": 0, "verdicts": [dict(GOOD, first_wrong=[])]},  # a bug with no component
    {"index": 0, "verdicts": [dict(GOOD, verdict="equivalent")]},  # components without a bug
    {"index": 0, "verdicts": [dict(GOOD, changed_in=["moved", "moved"])]},
    {"index": 0, "verdicts": [dict(GOOD, reason=["not", "text"])]},
    {"index": True, "verdicts": [GOOD]},
])
def test_a_malformed_verdict_is_refused_whole(forged):
    with pytest.raises(MutagradError, match="malformed answer"):
        _verdicts(forged, 2, 2, "model.py")


def test_a_valid_verdict_is_read_as_it_was_sent():
    index, (verdict,) = _verdicts({"index": 1, "verdicts": [dict(GOOD, reason="x\n\x1b[2Jy")]}, 2, 2, "model.py")
    assert index == 1 and verdict.verdict is Verdict.BUG and verdict.first_wrong == ("dW2",)
    assert verdict.changed_in == ("moved",) and verdict.reason == "x [2Jy"  # one printable line


def test_the_in_process_pipeline_refuses_a_model_file(tmp_path):
    """generate_and_classify runs its target here: only mutagrad's own mlp.py may go through it."""
    from mutagrad.campaign.operators.pipeline import generate_and_classify
    from mutagrad.campaign.operators.target import Target
    target = Target(str(tmp_path / "model.py"), CORRECT, (), lambda *a: pytest.fail("built here"), is_reference=False)
    with pytest.raises(MutagradError, match="only in the sandbox"):
        generate_and_classify(target, operators=NUMBER)
