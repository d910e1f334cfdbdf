"""Low precision: a float32 cost is `warn`, never a false `fail`; a real bug far above its noise still fails."""
import functools

import numpy as np
import pytest
from helpers import reference_model

from mutagrad import mlp
from mutagrad.check import precision
from mutagrad.check.protocol import check_model, own_parameters
from mutagrad.check.evaluator import Evaluator, Model
from mutagrad.records.check import Verdict

INCONCLUSIVE = "computes in float32: the check is inconclusive at this eps; cast to float64"


def low_precision_model(hidden="tanh", output="sigmoid", dtype=np.float32, returns=None, bug=None):
    """The reference computed in `dtype` inside; the cost returned as `returns` (default: dtype)."""
    base = reference_model(hidden, output)
    run = functools.partial(mlp.forward, hidden=hidden, output=output)

    def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0):
        low = {k: np.asarray(v, dtype=dtype) for k, v in parameters.items()}
        cost, cache = run(X.astype(dtype), Y.astype(dtype), low, dtype(lambd), keep_prob,
                          rng=np.random.default_rng(0))
        return (cost if returns is None else returns(cost)), cache

    def backward(X, Y, cache, lambd=0.0, keep_prob=1.0):
        grads = mlp.backward(X.astype(dtype), Y.astype(dtype), cache, dtype(lambd), keep_prob,
                             hidden=hidden, output=output)
        if bug:
            grads[bug] = grads[bug] * 2
        return grads
    return Model(forward, backward, base.layer_dims, base.make_data, base.init_parameters, name=f"{dtype.__name__}")


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_float32_reference_warns_and_never_fails(hidden, output):
    result = check_model(low_precision_model(hidden, output), seed=0)
    assert result.verdict is Verdict.INCONCLUSIVE, result.hint
    assert INCONCLUSIVE in result.warnings[0]
    assert INCONCLUSIVE in result.hint


def test_float64_cost_computed_in_float32_inside_warns():
    result = check_model(low_precision_model(returns=float), seed=0)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert all(INCONCLUSIVE in w for w in result.warnings)


@pytest.mark.parametrize("returns", [None, float])
def test_float32_bug_far_above_the_noise_still_fails(returns):
    result = check_model(low_precision_model(bug="dW1", returns=returns), seed=0)
    assert (result.verdict, result.localized) == (Verdict.FAIL, "dW1")
    assert "a factor 2" in result.component("dW1").diagnosis


def test_float16_never_fails():
    result = check_model(low_precision_model(dtype=np.float16), seed=0)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "computes in float16" in result.warnings[0]


def test_float64_reference_is_measured_as_float64():
    model = reference_model("relu", "softmax")
    X, Y = model.make_data(0)
    ev = Evaluator(model, X, Y, 0.0, 1.0, mask_seed=0)
    params = own_parameters(model.init_parameters(0))
    found = precision.measure(ev.cost, params, ev.cost(params), np.float64)
    assert (found.name, found.eps, found.warning) == ("float64", 1e-7, None)
    assert 0 < found.cost_noise < 1e-14  # a few units of round-off of |J|


def test_cost_unchanged_under_eps_is_low_precision():
    def coarse(p):
        return float(np.round(np.sum(p["w"] ** 2), 4))  # resolves 1e-4, not the 1e-7 steps
    p = {"w": np.linspace(-1, 1, 5)}
    found = precision.measure(coarse, p, coarse(p))
    assert found.low and "does not change" in found.warning


def test_noisy_cost_is_reported_as_noisy(rng):
    def noisy(p):
        return float(np.sum(p["w"] ** 2) * (1 + 0.05 * rng.standard_normal()))
    p = {"w": np.linspace(-1, 1, 5)}
    found = precision.measure(noisy, p, noisy(p))
    assert not found.low and "the cost is noisy" in found.warning
