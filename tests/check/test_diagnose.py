"""Diagnosis: every simple mistake pattern is named, blind, from g, the numeric estimate and theta."""
import numpy as np
import pytest
from helpers import reference_model
from test_gradcheck import broken

from mutagrad.check.diagnose import Context, diagnose
from mutagrad.check.protocol import check_model
from mutagrad.records.check import Verdict

M, KEEP, LAMBD = 10, 0.8, 0.7
CONTEXT = Context(lambd=LAMBD, keep_prob=KEEP, m=M)


@pytest.fixture
def case(rng):
    """A numeric gradient a, its parameter W, and a little finite-difference noise on a."""
    W = rng.standard_normal((3, 5))
    a = rng.standard_normal((3, 5)) * 0.1
    return a + rng.standard_normal(a.shape) * 1e-9, W, a


@pytest.mark.parametrize("factor,expected", [
    (2.0, "a factor 2"), (0.5, "a factor 1/2"), (-1.0, "a sign flip"),
    (M, "a missing /m"), (1 / M, "an extra /m"), (M / (M - 1), "divides by m-1 instead of m"),
    (KEEP, "x keep_prob"), (1 / KEEP, "an extra /keep_prob"), (1.37, "a constant scale factor"),
])
def test_constant_scale_factor_is_named(case, factor, expected):
    noisy, W, a = case
    text = diagnose("dW2", factor * a, noisy, W, CONTEXT, floor=1e-8)
    assert text.startswith(f"analytic = {factor:.6g} x numeric")
    assert expected in text


def test_extra_term_proportional_to_the_weights_names_lambd_over_m(case):
    noisy, W, a = case
    text = diagnose("dW2", a + LAMBD / M * W, noisy, W, CONTEXT, floor=1e-8)
    assert text.startswith("extra term 0.07 x W2 (lambd/m = 0.07)")


def test_missing_regularization_term(case):
    noisy, W, a = case
    assert diagnose("dW2", a - LAMBD / M * W, noisy, W, CONTEXT).startswith("missing term 0.07 x W2 (lambd/m = 0.07)")


def test_unnamed_term_still_gives_its_coefficient(case):
    noisy, W, a = case
    assert diagnose("dW2", a + 0.3 * W, noisy, W, Context()) == "extra term 0.3 x W2: look at the regularization term"


def test_transposed_square_gradient(rng):
    a = rng.standard_normal((4, 4))
    assert diagnose("dW2", a.T, a, rng.standard_normal((4, 4))) == "transposed: analytic.T matches numeric"


def test_zeros(case):
    noisy, W, a = case
    assert diagnose("dW2", np.zeros_like(a), noisy, W).startswith("all zeros")


def test_numeric_zero_means_the_parameter_is_unused(rng):
    g = rng.standard_normal((3, 1))
    assert "the cost does not depend on b2" in diagnose("db2", g, np.zeros((3, 1)), np.zeros((3, 1)), floor=1e-9)


def test_constant_offset_of_a_bias_gradient(rng):
    a = rng.standard_normal((5, 1))
    assert diagnose("db1", a + 0.01, a, rng.standard_normal((5, 1))) == \
        "analytic = numeric +0.01 on every entry: a constant offset"


def test_a_few_wrong_entries_are_listed(case):
    noisy, W, a = case
    g = a.copy()
    g[1, 2] += 0.5
    assert diagnose("dW2", g, noisy, W).startswith("wrong in 1 of 15 entries ((1, 2))")


def test_no_simple_pattern_names_the_worst_entry(rng):
    a, g = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    assert diagnose("dW2", g, a, rng.standard_normal((3, 5))).startswith("no simple pattern; worst entry")


def test_checker_diagnoses_a_factor_in_the_hint_and_json():
    result = check_model(reference_model("tanh", backward=broken("dW2", "sign")), seed=0)
    c = result.component("dW2")
    assert c.diagnosis == "analytic = -1 x numeric (a sign flip)"
    assert "Diagnosis: analytic = -1 x numeric (a sign flip)" in result.hint
    assert result.to_dict()["components"][2]["diagnosis"] == c.diagnosis


def test_checker_names_a_missing_regularization_term_with_the_probes_lambd_over_m():
    def no_reg(true_backward):
        return lambda X, Y, cache, lambd=0.0, keep_prob=1.0: true_backward(X, Y, cache, 0.0, keep_prob)
    result = check_model(reference_model("relu", backward=no_reg), seed=0)
    assert result.component("dW3").diagnosis.startswith("missing term 0.07 x W3 (lambd/m = 0.07)")


def test_checker_names_the_dropout_scale():
    def unscaled(true_backward):
        def backward(X, Y, cache, lambd=0.0, keep_prob=1.0):
            grads = true_backward(X, Y, cache, lambd, keep_prob)
            grads["dW1"] = grads["dW1"] * keep_prob
            return grads
        return backward
    result = check_model(reference_model("tanh", backward=unscaled), seed=0)
    assert (result.localized, result.exposed_by) == ("dW1", "dropout")
    assert "x keep_prob" in result.component("dW1").diagnosis


@pytest.mark.parametrize("how", ["scale", "sign", "zeros", "small", "missing", "shape", "int", "nan"])
def test_every_failing_component_carries_a_diagnosis(how):
    result = check_model(reference_model("tanh", backward=broken("dW1", how)), seed=1)
    failing = [c for p in result.probes for c in p.components if c.status is Verdict.FAIL]
    assert failing and all(c.diagnosis for c in failing)
