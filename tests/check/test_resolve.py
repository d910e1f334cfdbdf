"""Exhaustive mode: a component lost in J's round-off at the default step is judged at a step chosen for it."""
import numpy as np
import pytest

from mutagrad.check import gradcheck
from mutagrad.records.check import Verdict

SLOPE = 1e-3  # db's true derivative: J ~ 1e5 moves by only ~7 of its ulps at eps = 1e-7


def cost(p):
    return 1e5 + SLOPE * float(np.sum(p["b1"])) + 0.5 * float(np.sum(p["W1"] ** 2))


def point():
    rng = np.random.default_rng(0)
    return {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal((3, 1))}


@pytest.mark.parametrize("factor,status", [(1.0, Verdict.PASS), (1.2, Verdict.FAIL)])
def test_a_tiny_derivative_is_judged_not_left_inconclusive(factor, status, monkeypatch):
    p = point()
    grads = {"dW1": p["W1"].copy(), "db1": np.full((3, 1), factor * SLOPE)}
    monkeypatch.setattr(gradcheck, "RESOLVE_STEPS", ())
    before = {r.name: r for r in gradcheck.check_point(cost, grads, point())}
    assert before["db1"].status is Verdict.WARN  # too small to judge at 1e-7
    monkeypatch.undo()
    after = {r.name: r for r in gradcheck.check_point(cost, grads, point())}
    assert after["db1"].status is status, after["db1"].message
    assert "a step chosen for this component" in after["db1"].message
    assert after["dW1"].status is Verdict.PASS
