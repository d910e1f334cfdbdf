"""The blind checker: no false alarms on the reference, and every broken component caught."""
import itertools

import numpy as np
import pytest
from helpers import HIDDEN, OUTPUT_DIMS, TESTS, reference_model

from mutagrad.errors import ProtocolError
from mutagrad.check.gradcheck import component_order
from mutagrad.check.protocol import check_model
from mutagrad.check.evaluator import Model
from mutagrad.records.check import Verdict

COMPONENTS = ["dW3", "db3", "dW2", "db2", "dW1", "db1"]


def broken(component, how):
    """Wrap a backward so that one component of its gradient is wrong in a given way."""
    def wrap(true_backward):
        def backward(*args, **kwargs):
            grads = true_backward(*args, **kwargs)
            g = grads[component]
            grads[component] = {
                "scale": lambda: g * 1.5,
                "sign": lambda: -g,
                "zeros": lambda: np.zeros_like(g),
                "small": lambda: g * (1 + 1e-4),
                "missing": lambda: None,
                "shape": lambda: g[:-1] if g.shape[0] > 1 else np.vstack([g, g]),
                "int": lambda: np.round(g * 100).astype(int),
                "nan": lambda: np.full_like(g, np.nan),
            }[how]()
            if grads[component] is None:
                del grads[component]
            return grads
        return backward
    return wrap


def test_component_order_is_backprop_order():
    assert component_order(["W1", "b1", "W2", "b2", "W3", "b3"]) == ["W3", "b3", "W2", "b2", "W1", "b1"]
    assert component_order(["W10", "W2", "b10", "b2"]) == ["W10", "b10", "W2", "b2"]


@pytest.mark.parametrize("hidden,output", list(itertools.product(HIDDEN, OUTPUT_DIMS)))
def test_reference_never_fails(hidden, output):
    for seed in range(4):
        result = check_model(reference_model(hidden, output), seed=seed)
        assert result.verdict is Verdict.PASS, (seed, result.hint, [c.to_dict() for c in result.components])
        assert [p.name for p in result.probes] == ["initial", "moved", "lambd", "dropout", "lambd+dropout", "batch"]


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("how", ["scale", "sign", "zeros", "small"])
def test_broken_component_fails_and_is_localized(component, how):
    result = check_model(reference_model("tanh", backward=broken(component, how)), seed=0)
    assert result.verdict is Verdict.FAIL
    assert result.localized == component
    assert result.failing == (component,)


@pytest.mark.parametrize("how", ["missing", "shape", "int", "nan"])
def test_malformed_gradient_is_a_failed_component(how):
    result = check_model(reference_model(backward=broken("dW2", how)), seed=0)
    assert result.verdict is Verdict.FAIL
    assert result.localized == "dW2"
    assert result.component("dW2").rel_error is None
    assert result.component("dW2").message.startswith(("grads has no", "dW2 has", "dW2 contains"))


def test_backward_that_raises_is_a_failed_check_with_its_line():
    def backward(X, Y, cache):
        raise ValueError("shapes (3,5) and (4,10) not aligned")
    fwd = reference_model().forward
    result = check_model(Model(fwd, backward, name="m"), X=np.ones((4, 3)), Y=np.ones((1, 3)),
                         parameters=reference_model().init_parameters(0))
    assert result.verdict is Verdict.FAIL
    assert "backward raised ValueError: shapes (3,5)" in result.error
    assert "test_gradcheck.py:" in result.error


def test_gradient_that_is_not_an_array_is_a_protocol_error():
    def wrap(true_backward):
        def backward(*a, **k):
            g = true_backward(*a, **k)
            g["dW1"] = g["dW1"].tolist()
            return g
        return backward
    with pytest.raises(ProtocolError, match="dW1 is a list"):
        check_model(reference_model(backward=wrap), seed=0)


def test_bias_bug_hidden_at_initialization_is_exposed_by_the_moved_point():
    def wrap(true_backward):
        def backward(X, Y, cache, lambd=0.0, keep_prob=1.0):
            g = true_backward(X, Y, cache, lambd, keep_prob)
            b1 = cache[0][0][2] - cache[0][0][1] @ X  # Z1 - W1 X = b1 (broadcast)
            g["db1"] = g["db1"] + 0.5 * b1[:, :1]
            return g
        return backward
    result = check_model(reference_model("tanh", backward=wrap), seed=0)
    assert result.localized == "db1"
    assert result.exposed_by == "moved"
    assert result.probes[0].verdict is Verdict.PASS  # invisible at b = 0


def test_regularization_and_dropout_paths_are_exercised():
    def drop_reg(true_backward):
        return lambda X, Y, cache, lambd=0.0, keep_prob=1.0: true_backward(X, Y, cache, 0.0, keep_prob)
    result = check_model(reference_model("relu", backward=drop_reg), seed=0)
    assert (result.localized, result.exposed_by) == ("dW3", "lambd")

    def no_mask(true_backward):
        return lambda X, Y, cache, lambd=0.0, keep_prob=1.0: true_backward(X, Y, cache, lambd, 1.0)
    result = check_model(reference_model("relu", backward=no_mask), seed=0)
    assert (result.localized, result.exposed_by) == ("dW2", "dropout")


def test_pinned_hyperparameters_skip_their_probes():
    result = check_model(reference_model(), seed=0, lambd=0.3, keep_prob=1.0)
    assert [p.name for p in result.probes] == ["initial", "moved", "batch"]
    assert all(p.lambd == 0.3 for p in result.probes)


def test_relu_kinks_at_exact_zero_are_not_called_bugs():
    model = reference_model("relu")

    def kink_data(seed):
        X, Y = model.make_data(seed)
        X[:, :4] = 0  # with zero biases, every pre-activation of these columns is exactly 0
        Y[:, :4] = 1
        return X, Y
    kinky = Model(model.forward, model.backward, model.layer_dims, kink_data, model.init_parameters)
    for seed in range(3):
        result = check_model(kinky, seed=seed)
        assert result.verdict is Verdict.PASS
        initial = result.probes[0]
        assert sum(c.kinks for c in initial.components) > 0
        # the notes' plain relative error alone would have called this a bug
        assert max(c.rel_error for c in initial.components) > 1e-3


def test_legacy_global_rng_dropout_is_pinned(tmp_path):
    from mutagrad.check.model_file import load_model
    here = TESTS
    model = load_model(f"{here}/models/dropout_course.py")
    assert check_model(model, seed=0).verdict is Verdict.PASS
    source = open(f"{here}/models/dropout_course.py").read()
    buggy = tmp_path / "nomask.py"
    buggy.write_text(source.replace("dA2 = W3.T @ dZ3 * D2 / keep_prob  # MASK2", "dA2 = W3.T @ dZ3 / keep_prob"))
    result = check_model(load_model(buggy), seed=0)
    assert (result.localized, result.exposed_by) == ("dW2", "dropout")


def test_caller_parameters_and_global_rng_are_left_untouched():
    model = reference_model()
    params = model.init_parameters(0)
    before = {k: v.copy() for k, v in params.items()}
    np.random.seed(99)
    expected = np.random.rand()
    np.random.seed(99)
    check_model(model, seed=0, parameters=params)
    assert np.random.rand() == expected
    assert all(np.array_equal(before[k], params[k]) for k in params)


def test_same_seed_same_result():
    a = check_model(reference_model("tanh", backward=broken("dW1", "small")), seed=5).to_dict()
    b = check_model(reference_model("tanh", backward=broken("dW1", "small")), seed=5).to_dict()
    assert a == b
