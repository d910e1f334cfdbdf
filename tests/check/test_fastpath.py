"""The fast exhaustive evaluator: the plain loop's Differences to round-off, a self-check that
rejects any forward it does not compute, and batches held within the memory budget."""
import functools
import itertools
import tracemalloc
import types
from pathlib import Path

import numpy as np
import pytest
from helpers import reference_model

from mutagrad.check import fastpath
from mutagrad import mlp
from mutagrad.check.numeric import finite_differences
from mutagrad.check.protocol import check_model
from mutagrad.check.evaluator import Evaluator, Model

U = np.finfo(float).eps / 2
FIELDS = ("central", "wide", "forward", "backward", "curvature", "curvature_wide")
SETTINGS = [("relu", "sigmoid", 0.0, 1.0), ("leaky_relu", "softmax", 0.7, 1.0),
            ("tanh", "softmax", 0.0, 0.8), ("sigmoid", "linear", 0.7, 0.8), ("relu", "softmax", 0.7, 0.8)]


def probe_setup(hidden, output, dims, lambd, keep_prob, seed=0, m=10, model=None):
    """(model, evaluator, moved parameters, J0) for one probe of the reference."""
    model = model or reference_model(hidden, output, layer_dims=dims)
    X, Y = mlp.make_data(seed, dims, output, m=m)
    params = mlp.init_parameters(seed, dims, hidden)
    rng = np.random.default_rng(seed)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=seed)
    return model, ev, params, ev.cost(params)


def patched_model(find, replace, hidden="relu", output="sigmoid", dims=(4, 5, 3, 1)):
    """The reference with one line of its source changed (as a catalog mutant is)."""
    source = Path(mlp.__file__).read_text()
    assert source.count(find) == 1
    module = types.ModuleType("patched_mlp")
    exec(compile(source.replace(find, replace), "<patched>", "exec"), module.__dict__)
    return Model(forward=functools.partial(module.forward, hidden=hidden, output=output),
                 backward=functools.partial(module.backward, hidden=hidden, output=output),
                 layer_dims=tuple(dims), make_data=lambda s: mlp.make_data(s, list(dims), output),
                 init_parameters=lambda s: mlp.init_parameters(s, list(dims), hidden), name="patched")


@pytest.mark.parametrize("hidden,output,lambd,keep_prob", SETTINGS)
def test_fast_differences_equal_the_plain_loop_to_roundoff(hidden, output, lambd, keep_prob):
    dims = [6, 5, 4, 3] if output != "sigmoid" else [6, 5, 4, 1]
    model, ev, params, J0 = probe_setup(hidden, output, dims, lambd, keep_prob)
    fast = fastpath.fast_cost(model, ev, params, J0)
    assert fast is not None
    for pname in params:
        quick = fast.differences(pname)
        plain = finite_differences(ev.cost, params, pname)
        # a few units of round-off of J, divided by the step: the plain loop's own noise
        tol = 16 * U * plain.cost_scale / 1e-7
        for field in FIELDS:
            np.testing.assert_allclose(getattr(quick, field), getattr(plain, field), rtol=0, atol=tol,
                                       err_msg=f"{pname}.{field}")


def test_linear_region_shortcut_equals_the_general_path():
    dims = [8, 7, 6, 5, 3]
    model, ev, params, J0 = probe_setup("relu", "softmax", dims, 0.7, 0.8)
    fast = fastpath.fast_cost(model, ev, params, J0)
    general = fastpath.fast_cost(model, ev, params, J0)
    general._linear = {l: None for l in range(1, 5)}  # no shortcut: every layer recomputed
    rng = np.random.default_rng(3)
    for pname in ("W1", "b1", "W2", "b3"):
        idx = rng.integers(params[pname].size, size=12)
        steps = rng.choice([1e-7, -1e-7, 1e-6], size=12)
        np.testing.assert_allclose(fast.entry_costs(pname, idx, steps), general.entry_costs(pname, idx, steps),
                                   rtol=8 * U * 10)
    assert any(v is not None for v in fast._linear.values())


def test_verdicts_and_localization_equal_with_and_without_the_fast_path(monkeypatch):
    def wrong_db2(true_backward):
        def backward(*args, **kwargs):
            grads = true_backward(*args, **kwargs)
            grads["db2"] = grads["db2"] * 1.01
            return grads
        return backward
    for model in (reference_model("relu", "softmax"), reference_model("tanh", backward=wrong_db2)):
        fast = check_model(model, seed=1, mode="exhaustive", taylor=False)
        with monkeypatch.context() as m:
            m.setattr(fastpath, "fast_cost", lambda *a, **k: None)
            plain = check_model(model, seed=1, mode="exhaustive", taylor=False)
        assert fast.verdict is plain.verdict and fast.localized == plain.localized
        assert [c.status for c in fast.components] == [c.status for c in plain.components]
        assert fast.evaluations > plain.evaluations / 2  # the fast costs are counted too


@pytest.mark.parametrize("find,replace,lambd", [
    ("Z = W @ A_prev + b", "Z = W @ A_prev", 0.0),  # forward: hidden bias dropped
    ("lambd / (2 * m) * l2", "lambd / m * l2", 0.7),  # compute_cost: L2 twice as large
    ("return 1 / (1 + np.exp(-Z))", "return 1 / (1 + np.exp(-Z)) + 1e-9", 0.0),  # activation_forward
])
def test_self_check_rejects_a_patched_forward(find, replace, lambd):
    model = patched_model(find, replace)
    _, ev, params, J0 = probe_setup("relu", "sigmoid", [4, 5, 3, 1], lambd, 1.0, model=model)
    assert fastpath.reference_config(model.forward) == ("relu", "sigmoid")  # it looks eligible...
    assert fastpath.fast_cost(model, ev, params, J0) is None  # ...but its cost is another function


def test_forward_mutant_gets_the_plain_loops_result(monkeypatch):
    model = patched_model("ZL = WL @ A + bL", "ZL = WL @ A")
    result = check_model(model, seed=0, mode="exhaustive", taylor=False)
    with monkeypatch.context() as m:
        m.setattr(fastpath, "fast_cost", lambda *a, **k: None)
        plain = check_model(model, seed=0, mode="exhaustive", taylor=False)
    assert result.localized == plain.localized == "db3"
    assert result.to_dict()["components"] == plain.to_dict()["components"]


def test_reference_config_reads_partial_keywords_and_defaults():
    assert fastpath.reference_config(mlp.forward) == ("relu", "sigmoid")
    assert fastpath.reference_config(functools.partial(mlp.forward, hidden="tanh", output="linear")) == ("tanh", "linear")
    assert fastpath.reference_config(lambda X, Y, parameters: (0.0, None)) is None
    assert fastpath.reference_config(functools.partial(mlp.forward, hidden="swish")) is None


def test_batches_stay_within_the_memory_budget():
    dims, budget = [64, 48, 32, 10], 512 * 1024
    X, Y = mlp.make_data(0, dims, "softmax", m=32)
    params = mlp.init_parameters(0, dims, "tanh")  # tanh: the general path, the widest batches
    fast = fastpath.LayeredCost(X, Y, params, "tanh", "softmax", 0.0, 1.0, 0, budget=budget)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for pname in ("W1", "W2", "b1"):
            fast.differences(pname)
        fast.direction_costs("W1", np.ones((6,) + params["W1"].shape), np.array([1e-7, -1e-7]))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    results = 16 * 8 * params["W1"].size  # the (4, n) steps and costs of the largest component
    assert peak < budget + results


@pytest.mark.parametrize("hidden,output", list(itertools.product(["relu", "tanh"], ["sigmoid", "softmax"])))
def test_reference_passes_with_the_fast_path_across_seeds(hidden, output, monkeypatch):
    used = []
    real = fastpath.fast_cost
    monkeypatch.setattr(fastpath, "fast_cost", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    for seed in range(3):
        result = check_model(reference_model(hidden, output), seed=seed, mode="exhaustive", taylor=False)
        assert result.verdict.value == "pass", (seed, result.hint)
    assert len(used) == 18 and all(f is not None for f in used)  # every probe took the fast path
