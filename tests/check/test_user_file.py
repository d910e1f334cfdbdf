"""A user's own model file, which the layered fast path cannot serve: sparse bugs caught in both
modes, auto mode screens by directions, and a correct model's component ends as pass."""
import functools
import importlib.util

import numpy as np
import pytest
from helpers import ROOT, reference_model

from mutagrad.check import directional
from mutagrad.check.gradcheck import component_order
from mutagrad.check.protocol import check_model, own_parameters
from mutagrad.check.evaluator import Evaluator, Model
from mutagrad.records.check import Verdict

DIMS = (40, 24, 12, 4)  # W1 has 960 entries


def user_module():
    # The benchmark's user file: its forward and backward; make_data and init_parameters come from user_model.
    spec = importlib.util.spec_from_file_location("user_mlp", ROOT / "benchmarks" / "models" / "user_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def user_model(dims=DIMS, m=16, backward=None):
    """The user file's forward and backward with layer sizes `dims` and `m` examples."""
    module = user_module()

    def make_data(seed):
        rng = np.random.default_rng(seed)
        return rng.standard_normal((dims[0], m)), np.eye(dims[-1])[:, rng.integers(dims[-1], size=m)]

    def init_parameters(seed):
        rng = np.random.default_rng([seed, 3])
        parameters = {}
        for l in range(1, len(dims)):
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
            parameters[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.1
        return parameters

    return Model(forward=module.forward, backward=backward(module.backward) if backward else module.backward,
                 layer_dims=tuple(dims), make_data=make_data, init_parameters=init_parameters, name="user file")


def wrong(component, rows=None, entry=None, relative=1e-3):
    """A backward whose `component` is off in one row or one entry, by `relative` of its largest value."""
    def wrap(true_backward):
        @functools.wraps(true_backward)  # keeps its signature: the protocol sees lambd, keep_prob
        def backward(*args, **kwargs):
            grads = true_backward(*args, **kwargs)
            g = grads[component].copy()
            delta = relative * np.max(np.abs(g)) + 1e-12
            if entry is not None:
                g[entry] += delta
            else:
                g[rows] += delta * np.linspace(1.0, 2.0, g.shape[1])
            grads[component] = g
            return grads
        return backward
    return wrap


def test_the_user_model_agrees_with_autograd():
    """The test model itself is right, by HIPS autograd (an independent oracle), with L2 on."""
    anp = pytest.importorskip("autograd.numpy")
    from autograd import grad
    model = user_model()
    X, Y = model.make_data(0)
    parameters = model.init_parameters(0)
    L = len(DIMS) - 1

    def cost(p):
        A = X
        for l in range(1, L):
            A = anp.maximum(0, anp.dot(p[f"W{l}"], A) + p[f"b{l}"])
        Z = anp.dot(p[f"W{L}"], A) + p[f"b{L}"]
        log_softmax = Z - anp.max(Z, axis=0) - anp.log(anp.sum(anp.exp(Z - anp.max(Z, axis=0)), axis=0))
        penalty = sum(anp.sum(p[f"W{l}"] ** 2) for l in range(1, L + 1))
        return -anp.sum(Y * log_softmax) / X.shape[1] + 0.7 / (2 * X.shape[1]) * penalty

    expected = grad(cost)(parameters)
    _, cache = model.forward(X, Y, parameters, lambd=0.7)
    grads = model.backward(X, Y, cache, lambd=0.7)
    for k, want in expected.items():
        np.testing.assert_allclose(grads["d" + k], want, rtol=1e-9, atol=1e-12, err_msg=k)


def test_auto_mode_screens_a_user_file_by_directions():
    result = check_model(user_model(), seed=0, lambd=0.0, keep_prob=1.0)
    assert result.mode == "directional"
    assert result.verdict is Verdict.PASS, result.hint
    n = sum(DIMS[l] * (DIMS[l - 1] + 1) for l in range(1, len(DIMS)))
    assert result.evaluations < n  # fewer model calls than the lecture notes' 2 per parameter


def test_auto_mode_stays_exhaustive_for_the_reference():
    result = check_model(reference_model("relu", "softmax", layer_dims=list(DIMS)), seed=0, lambd=0.0,
                         keep_prob=1.0, taylor=False)
    assert result.mode == "exhaustive"


@pytest.mark.parametrize("mode", ["exhaustive", "directional"])
@pytest.mark.parametrize("component,entry", [("dW1", (17, 29)), ("dW1", (0, 0)), ("dW2", (11, 3)),
                                             ("db1", (5, 0))])
def test_one_wrong_entry_of_a_user_file_fails_and_is_named(mode, component, entry):
    model = user_model(backward=wrong(component, entry=entry, relative=1e-4))
    result = check_model(model, seed=1, mode=mode, lambd=0.0, keep_prob=1.0, taylor=False)
    assert result.failing == (component,), result.hint
    assert result.localized == component
    assert result.component(component).worst_index == entry


@pytest.mark.parametrize("mode", ["exhaustive", "directional"])
@pytest.mark.parametrize("component,row", [("dW1", 9), ("dW2", 0), ("dW3", 3)])
def test_one_wrong_row_of_a_user_file_fails_and_is_named(mode, component, row):
    model = user_model(backward=wrong(component, rows=row, relative=1e-4))
    result = check_model(model, seed=2, mode=mode, lambd=0.0, keep_prob=1.0, taylor=False)
    assert result.failing == (component,), result.hint
    assert result.component(component).worst_index[0] == row


@pytest.mark.parametrize("mode", ["exhaustive", "directional"])
def test_a_wrong_entry_under_dropout_fails_in_its_probe(mode):
    model = user_model(backward=wrong("dW2", entry=(4, 7), relative=1e-4))
    result = check_model(model, seed=3, mode=mode, lambd=0.0, keep_prob=0.8, taylor=False)
    assert result.failing == ("dW2",), result.hint
    assert result.component("dW2").worst_index == (4, 7)


def first_layer_case():
    """784-256-128-10 at its initial point: a random direction in W1 crosses a relu kink within +-1e-7."""
    model = user_model(dims=(784, 256, 128, 10), m=32)
    X, Y = model.make_data(0)
    parameters = own_parameters(model.init_parameters(0))
    ev = Evaluator(model, X, Y, 0.0, 1.0, mask_seed=0)
    J0 = ev.cost(parameters)
    g = ev.backward(parameters)["dW1"]
    index = component_order(list(parameters)).index("W1")
    line = directional.ModelLine(ev.cost, parameters)
    return lambda: directional.check_component("dW1", g, "W1", line, J0, seed=0, index=index,
                                               unit_roundoff=np.finfo(float).eps / 2)


def test_a_correct_component_is_resolved_not_left_inconclusive(monkeypatch):
    check = first_layer_case()
    monkeypatch.setattr(directional.ModelLine, "screens", False)  # the full check at +-1e-7 and +-1e-6
    monkeypatch.setattr(directional, "RESOLVE_STEPS", ())
    assert check().status is Verdict.WARN  # the inconclusive answer a correct model used to get
    monkeypatch.undo()
    monkeypatch.setattr(directional.ModelLine, "screens", False)
    resolved = check()
    assert resolved.status is Verdict.PASS, resolved.message
    assert "a step chosen for this component" in resolved.message
    monkeypatch.undo()
    assert check().status is Verdict.PASS


def test_resolution_keeps_a_real_bug_failing(monkeypatch):
    """A bug at 1e-3 of dW1 fails, whether the screen or the step ladder judges it."""
    model = user_model(dims=(784, 256, 128, 10), m=32, backward=wrong("dW1", entry=(100, 300), relative=1e-3))
    monkeypatch.setattr(directional.ModelLine, "screens", False)
    result = check_model(model, seed=0, mode="directional", lambd=0.0, keep_prob=1.0)
    assert result.failing == ("dW1",), result.hint
    assert result.component("dW1").worst_index == (100, 300)


def planted_error(component, kind, delta):
    """A backward with sensitivity.planted's error of relative size delta in `component`."""
    from mutagrad.campaign.sensitivity import planted

    def wrap(true_backward):
        @functools.wraps(true_backward)  # keeps its signature: the protocol sees lambd, keep_prob
        def backward(X, Y, cache, **kwargs):
            grads = true_backward(X, Y, cache, **kwargs)
            pname = component[1:]
            theta = cache[0][int(pname[1:]) - 1][1] if pname.startswith("W") else None
            grads[component] = planted(kind, pname, grads[component], theta, delta)
            return grads
        return backward
    return wrap


@pytest.mark.parametrize("component,kind", [(c, k) for c in ("dW3", "db3", "dW2", "db2", "dW1", "db1")
                                            for k in ("scale", "term", "shift")
                                            if (k == "scale") or (k == "term") == c.startswith("dW")])
def test_directional_screen_detects_at_the_sensitivity_limit(component, kind):
    """README's sensitivity table: errors of relative size 1e-5 are detected (exhaustive, reference)."""
    model = user_model(backward=planted_error(component, kind, 1e-5))
    for seed in range(2):
        result = check_model(model, seed=seed, mode="directional", lambd=0.0, keep_prob=1.0)
        assert result.failing == (component,), (seed, result.hint)


def test_no_false_alarm_on_a_correct_user_file_in_any_probe():
    """Every probe (initial, moved, lambd, dropout), screened by directions: nothing fails or warns."""
    for seed in range(10):
        result = check_model(user_model(), seed=seed, mode="directional")
        assert [p.name for p in result.probes] == ["initial", "moved", "lambd", "dropout", "lambd+dropout", "batch"]
        assert result.verdict is Verdict.PASS, (seed, result.hint)
