"""Taylor-remainder test: order ~2 for a right gradient, ~1 for a wrong one, None at round-off."""
import json

import numpy as np
import pytest
from helpers import reference_model
from test_gradcheck import COMPONENTS, broken

from mutagrad.check.protocol import UNTIMED_PROBES, check_model
from mutagrad.check.evaluator import Model
from mutagrad.report.check_text import plain_text
from mutagrad.check.taylor import RIGHT_ORDER, STEPS, observed_order, taylor_test

F64_ROUNDOFF = 2.0 ** -53


def quartic(parameters):
    """J(w) = sum(w^2) + sum(w^4) / 4, gradient 2 w + w^3."""
    w = parameters["w"]
    return float(np.sum(w ** 2) + np.sum(w ** 4) / 4)


@pytest.fixture
def point(rng):
    return {"w": rng.standard_normal(6)}


def test_right_gradient_has_order_two(point):
    g = 2 * point["w"] + point["w"] ** 3
    result = taylor_test(quartic, point, "w", g, quartic(point), F64_ROUNDOFF)
    assert result.order == pytest.approx(2.0, abs=0.1)


def test_wrong_gradient_has_order_one(point):
    g = (2 * point["w"] + point["w"] ** 3) * 1.01
    result = taylor_test(quartic, point, "w", g, quartic(point), F64_ROUNDOFF)
    assert result.order == pytest.approx(1.0, abs=0.1)


def test_a_few_evaluations_and_the_parameters_are_restored(point):
    before = point["w"].copy()
    calls = []

    def cost(p):
        calls.append(1)
        return quartic(p)
    taylor_test(cost, point, "w", 2 * point["w"] + point["w"] ** 3, quartic(point), F64_ROUNDOFF)
    assert len(calls) <= len(STEPS)
    assert np.array_equal(point["w"], before)


def test_remainder_at_round_off_gives_no_order():
    """A linear cost with its exact gradient: r(h) is round-off for every h."""
    values = [1.0 + 3.0 * h for h in STEPS]
    result = observed_order(STEPS, values, 1.0, 3.0, F64_ROUNDOFF)
    assert result.order is None
    assert result.note == "at round-off for every step"


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_reference_components_have_order_two(hidden):
    result = check_model(reference_model(hidden, "softmax"), seed=3)
    orders = [c.taylor_order for p in result.probes if p.name not in UNTIMED_PROBES for c in p.components]
    assert all(o is not None and o > RIGHT_ORDER for o in orders), orders
    assert all(c.taylor_order is None for p in result.probes if p.name in UNTIMED_PROBES for c in p.components)


@pytest.mark.parametrize("component", COMPONENTS)
def test_broken_component_has_order_one(component):
    result = check_model(reference_model("tanh", backward=broken(component, "scale")), seed=0)
    assert result.probes[0].name == "initial" and len(result.probes[0].components) == len(COMPONENTS)
    for probe in (p for p in result.probes if p.name not in UNTIMED_PROBES and component in {c.name for c in p.components}):
        orders = {c.name: c.taylor_order for c in probe.components}
        assert orders[component] == pytest.approx(1.0, abs=0.2)
        assert all(o > RIGHT_ORDER for name, o in orders.items() if name != component)


def test_order_is_in_the_json_and_the_table():
    result = check_model(reference_model("tanh", backward=broken("dW2", "sign")), seed=0)
    row = next(c for c in json.loads(json.dumps(result.to_dict()))["components"] if c["name"] == "dW2")
    assert row["taylor_order"] == pytest.approx(1.0, abs=0.2)
    text = plain_text(result)
    assert "order" in text and "Taylor-remainder order" in text


def test_no_order_one_is_reported_at_a_kink():
    """At a kink exactly at theta, r(h) is O(h) along d whatever g is: no order, a note instead."""
    model = reference_model("relu")

    def kink_data(seed):
        X, Y = model.make_data(seed)
        X[:, :4] = 0  # zero biases: these columns put every pre-activation exactly at 0
        Y[:, :4] = 1
        return X, Y
    kinky = Model(model.forward, model.backward, model.layer_dims, kink_data, model.init_parameters)
    initial = check_model(kinky, seed=0).probes[0]
    at_kink = [c for c in initial.components if c.kinks]
    assert at_kink and all(c.taylor_order is None or c.taylor_order > RIGHT_ORDER for c in at_kink)
    assert any("no Taylor order: a kink at this point" in c.message for c in at_kink)


def test_taylor_can_be_switched_off():
    result = check_model(reference_model("tanh"), seed=0, taylor=False)
    assert all(c.taylor_order is None for p in result.probes for c in p.components)
