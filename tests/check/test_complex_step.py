"""Complex-step checking: exact to round-off where the forward is complex-analytic, refused elsewhere."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import OUTPUT_DIMS, reference_model
from test_gradcheck import broken

from mutagrad.cli import cli
from mutagrad.check.complex_step import ComplexStepUnavailable
from mutagrad.errors import MutagradError
from mutagrad.check.protocol import check_model
from mutagrad.check.evaluator import Model
from mutagrad.records.check import Verdict

from helpers import EXAMPLES as _EXAMPLES  # noqa: E402
EXAMPLES = str(_EXAMPLES)


def tiny(component, delta):
    """Scale one gradient component by (1 + delta)."""
    def wrap(true_backward):
        def backward(*args, **kwargs):
            grads = true_backward(*args, **kwargs)
            grads[component] = grads[component] * (1 + delta)
            return grads
        return backward
    return wrap


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
@pytest.mark.parametrize("output", list(OUTPUT_DIMS))
def test_reference_passes_to_round_off(hidden, output):
    result = check_model(reference_model(hidden, output), seed=1, method="complex-step")
    assert result.verdict is Verdict.PASS and result.method == "complex-step"
    assert not result.notes
    assert max(c.rel_error for p in result.probes for c in p.components) < 1e-13


def test_catches_an_error_far_below_what_central_differences_can_see():
    model = reference_model("tanh", backward=tiny("dW1", 1e-9))
    assert check_model(model, seed=0).verdict is not Verdict.FAIL
    result = check_model(model, seed=0, method="complex-step")
    assert (result.verdict, result.localized) == (Verdict.FAIL, "dW1")
    assert "a small constant scale error" in result.component("dW1").diagnosis


@pytest.mark.parametrize("component", ["dW3", "db2", "dW1"])
def test_localizes_a_planted_bug(component):
    result = check_model(reference_model("sigmoid", backward=broken(component, "scale")), seed=0,
                         method="complex-step")
    assert result.localized == component and result.failing == (component,)


def test_forward_that_drops_the_imaginary_part_is_a_clear_error():
    model = reference_model("tanh")
    real = Model(lambda X, Y, p: (float(np.real(model.forward(X, Y, p)[0])), model.forward(X, Y, p)[1]),
                 model.backward, model.layer_dims, model.make_data, model.init_parameters, name="real.py")
    with pytest.raises(ComplexStepUnavailable, match="real.py: forward drops the imaginary part.*--method central"):
        check_model(real, seed=0, method="complex-step")


def test_forward_that_rejects_complex_input_is_a_clear_error():
    model = reference_model("tanh")

    def forward(X, Y, parameters):
        if np.iscomplexobj(parameters["W1"]):
            raise TypeError("complex parameters are not supported")
        return model.forward(X, Y, parameters)
    picky = Model(forward, model.backward, model.layer_dims, model.make_data, model.init_parameters, name="picky")
    with pytest.raises(MutagradError, match="accepts complex parameters.*TypeError: complex parameters"):
        check_model(picky, seed=0, method="complex-step")


def test_non_analytic_forward_falls_back_to_central_differences():
    """|W| is not complex-analytic: complex steps would call the right gradient of an L1 term wrong."""
    model = reference_model("tanh")

    def forward(X, Y, parameters):
        cost, cache = model.forward(X, Y, parameters)
        return cost + 0.01 * np.sum(np.abs(parameters["W1"])), cache

    def backward(X, Y, cache):
        grads = model.backward(X, Y, cache)
        grads["dW1"] = grads["dW1"] + 0.01 * np.sign(cache[0][0][1])
        return grads
    l1 = Model(forward, backward, model.layer_dims, model.make_data, model.init_parameters, name="l1")
    result = check_model(l1, seed=0, method="complex-step")
    assert result.verdict is Verdict.PASS
    assert all("complex-step does not apply" in n and "used central differences" in n for n in result.notes)


def test_relu_kinks_exactly_at_the_point_fall_back_instead_of_failing():
    model = reference_model("relu")

    def kink_data(seed):
        X, Y = model.make_data(seed)
        X[:, :4], Y[:, :4] = 0, 1
        return X, Y
    kinky = Model(model.forward, model.backward, model.layer_dims, kink_data, model.init_parameters)
    result = check_model(kinky, seed=0, method="complex-step")
    assert result.verdict is Verdict.PASS
    assert result.probes[0].notes and result.kinks > 0


def test_cli_method_option(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", f"{EXAMPLES}/course_model.py", "--method", "complex-step", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["method"] == "complex-step"
    bad = runner.invoke(cli, ["check", f"{EXAMPLES}/buggy_model.py", "--method", "complex-step"])
    assert bad.exit_code == 1 and "dW2" in bad.output
