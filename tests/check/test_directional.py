"""Directional mode: per-component verdicts along random directions, bisection to the worst
entry, no false alarms on the reference, and the automatic choice of mode."""
import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import HIDDEN, OUTPUT_DIMS, reference_model

from mutagrad.check import directional, fastpath
from mutagrad.cli import cli
from mutagrad.check.protocol import check_model, moved_point, own_parameters
from mutagrad.check.evaluator import Evaluator
from mutagrad.records.check import Verdict

from helpers import EXAMPLES  # noqa: E402
WIDE = {"sigmoid": [12, 9, 7, 1], "softmax": [12, 9, 7, 4], "linear": [12, 9, 7, 2]}
COMPONENTS = ["dW3", "db3", "dW2", "db2", "dW1", "db1"]


def altered(component, how, index=None):
    """Wrap a backward so that one component is scaled, or one entry of it is wrong."""
    def wrap(true_backward):
        def backward(*args, **kwargs):
            grads = true_backward(*args, **kwargs)
            g = grads[component].copy()
            if how == "scale":
                g = g * 1.5
            else:
                g[index] += 0.05 * np.max(np.abs(g)) + 1e-3
            grads[component] = g
            return grads
        return backward
    return wrap


@pytest.fixture(params=["fast", "plain"])
def path(request, monkeypatch):
    """Run with the fast evaluator, and with the model's own forward only."""
    if request.param == "plain":
        monkeypatch.setattr(fastpath, "fast_cost", lambda *a, **k: None)
    return request.param


@pytest.mark.parametrize("hidden,output", list(itertools.product(HIDDEN, OUTPUT_DIMS)))
def test_reference_never_fails_in_directional_mode(hidden, output, path):
    for seed in range(8):
        dims = WIDE[output] if seed % 2 else OUTPUT_DIMS[output][:1] + [6, 6, 5] + OUTPUT_DIMS[output][-1:]
        model = reference_model(hidden, output, layer_dims=dims)
        result = check_model(model, seed=seed, mode="directional", taylor=False)
        assert result.mode == "directional"
        assert result.verdict is Verdict.PASS, (seed, result.hint, [c.to_dict() for c in result.components])


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_round_off_steps_in_the_cost_are_not_a_failure(hidden, path):
    """Seed 17 saturates a sigmoid under dropout: log(1 - a) moves J in round-off steps."""
    result = check_model(reference_model(hidden, "sigmoid", layer_dims=[3, 4, 4, 3, 1]), seed=17,
                         mode="directional", taylor=False)
    assert result.verdict is not Verdict.FAIL, result.hint


@pytest.mark.parametrize("component", COMPONENTS)
def test_scaled_component_fails_and_is_localized(component, path):
    model = reference_model("tanh", "softmax", layer_dims=WIDE["softmax"], backward=altered(component, "scale"))
    result = check_model(model, seed=0, mode="directional", taylor=False)
    assert result.localized == component
    assert result.failing == (component,)
    assert result.component(component).worst_index is not None


@pytest.mark.parametrize("component,index", [("dW1", (7, 10)), ("db1", (3, 0)), ("dW2", (0, 0)),
                                             ("dW3", (3, 6)), ("db3", (2, 0))])
def test_one_wrong_entry_is_failed_and_named(component, index, path):
    model = reference_model("relu", "softmax", layer_dims=WIDE["softmax"],
                            backward=altered(component, "entry", index))
    result = check_model(model, seed=2, mode="directional", taylor=False)
    assert result.failing == (component,)
    assert result.component(component).worst_index == index


@pytest.mark.parametrize("hidden,output,lambd,keep_prob", [("relu", "softmax", 0.7, 0.8), ("tanh", "sigmoid", 0.0, 1.0)])
def test_fast_and_model_lines_give_the_same_differences(hidden, output, lambd, keep_prob):
    dims = WIDE[output]
    model = reference_model(hidden, output, layer_dims=dims)
    X, Y = model.make_data(0)
    params = own_parameters(moved_point(own_parameters(model.init_parameters(0)), 0))
    ev = Evaluator(model, X, Y, lambd, keep_prob, mask_seed=0)
    J0 = ev.cost(params)
    fast = fastpath.fast_cost(model, ev, params, J0, use="directions")
    assert fast is not None
    for index, pname in enumerate(params):
        D = directional.Directions(params[pname].shape, directional.DIRECTIONS, 0, index)
        quick = directional.differences(directional.FastLine(fast), pname, D, J0, 1e-7, 1e-6)
        plain = directional.differences(directional.ModelLine(ev.cost, params), pname, D, J0, 1e-7, 1e-6)
        tol = 64 * np.finfo(float).eps * plain.cost_scale / 1e-7  # round-off of J over the step
        for field in ("central", "wide", "forward", "backward"):
            np.testing.assert_allclose(getattr(quick, field), getattr(plain, field), rtol=0, atol=tol,
                                       err_msg=f"{pname}.{field}")


def test_drill_down_finds_the_entry_of_a_large_component():
    g = np.zeros((40, 30))
    true = np.random.default_rng(0).standard_normal(g.shape)

    class Line:  # J = true . theta, so the numeric slope along v is true . v
        def costs(self, pname, V, steps, rows=None):
            slope = V.reshape(len(V), -1) @ true.reshape(-1)
            return slope[:, None] * np.asarray(steps)[None, :], np.broadcast_to(steps, (len(V), len(steps)))
    wrong = true.copy()
    wrong[31, 17] += 0.5
    worst, mismatch = directional.drill_down(wrong, "W1", Line(), 1e-7, seed=0, index=0)
    assert worst == (31, 17) and mismatch == pytest.approx(-0.5)


def test_directional_cost_grows_with_components_not_parameters(monkeypatch):
    monkeypatch.setattr(fastpath, "fast_cost", lambda *a, **k: None)  # count the model's forward calls
    small = check_model(reference_model(layer_dims=[4, 5, 3, 1]), seed=0, mode="directional", taylor=False)
    large = check_model(reference_model(layer_dims=[40, 30, 20, 1]), seed=0, mode="directional", taylor=False)
    # 27x the parameters; the count varies only with how many components the screen settles at +-eps
    assert large.evaluations <= 1.5 * small.evaluations, (small.evaluations, large.evaluations)


def test_auto_mode_screens_a_model_without_the_layered_evaluator():
    assert directional.choose_mode("auto", directional.AUTO_PLAIN_EXHAUSTIVE_MAX, layered=False) == "exhaustive"
    assert directional.choose_mode("auto", directional.AUTO_PLAIN_EXHAUSTIVE_MAX + 1, layered=False) == "directional"
    assert directional.choose_mode("auto", directional.AUTO_PLAIN_EXHAUSTIVE_MAX + 1) == "exhaustive"


def test_auto_mode_picks_by_parameter_count():
    limit = directional.AUTO_EXHAUSTIVE_MAX
    assert directional.choose_mode("auto", limit) == "exhaustive"
    assert directional.choose_mode("auto", limit + 1) == "directional"
    assert directional.choose_mode("exhaustive", 10 * limit) == "exhaustive"
    assert check_model(reference_model(), seed=0, taylor=False).mode == "exhaustive"
    assert check_model(reference_model(layer_dims=[120, 90, 1]), seed=0, taylor=False).mode == "directional"


def test_cli_mode_option_is_recorded_in_the_json():
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "buggy_model.py"), "--mode", "directional", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["mode"] == "directional" and report["localized"] == "dW2"
    bad = CliRunner().invoke(cli, ["check", str(EXAMPLES / "course_model.py"), "--mode", "sideways"])
    assert bad.exit_code == 2 and "sideways" in bad.output
