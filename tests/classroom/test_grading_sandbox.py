"""Grading runs the student's model.py in a sandboxed server: its tricks cannot reach the grader."""
import pytest

from mutagrad.campaign.catalog import load_catalog
from mutagrad.classroom import grading
from mutagrad.classroom.exercise import make
from mutagrad.execution import sandbox

BWRAP_MISSING = sandbox.bwrap_problem()
BOTH = ["none", pytest.param("bwrap", marks=pytest.mark.skipif(BWRAP_MISSING is not None,
                                                                reason=f"bubblewrap cannot run here: {BWRAP_MISSING}"))]
CHEAT = '''
import sys
for _name, _module in list(sys.modules.items()):  # the grader's comparison and verdict, if they were here
    if _name.startswith("mutagrad"):
        for _attr in ("compare", "check_model", "_differs", "worst"):
            if hasattr(_module, _attr):
                setattr(_module, _attr, lambda *a, **k: [])
try:
    print(open("../.exercise.json").read()[:40])
except OSError as exc:
    print("no answer key:", exc)
'''


@pytest.mark.parametrize("kind", BOTH)
def test_monkeypatching_the_grader_from_an_unfixed_model_is_still_wrong(tmp_path, kind):
    entry = load_catalog(None).get("transposed-dw")
    make(tmp_path, entry, entry.configs()[0], "easy")
    model = tmp_path / "model.py"
    model.write_text(model.read_text() + CHEAT)  # the bug stays
    result = grading.grade(tmp_path, sandbox=kind)
    assert not result.passed


@pytest.mark.parametrize("kind", BOTH)
def test_a_real_fix_still_grades_correct(tmp_path, kind):
    from mutagrad.classroom.exercise import network_source
    entry = load_catalog(None).get("transposed-dw")
    make(tmp_path, entry, entry.configs()[0], "easy")
    (tmp_path / "model.py").write_text(network_source(entry.configs()[0]))
    assert grading.grade(tmp_path, sandbox=kind).passed
