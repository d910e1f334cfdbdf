"""mutagrad.testing.assert_gradients_ok: silent on correct gradients, the CLI's table on a wrong one."""
import warnings

import numpy as np
import pytest

import mutagrad
from mutagrad.errors import InconclusiveWarning
from mutagrad.records.check import Verdict
from mutagrad.mlp import backward, forward, init_parameters, make_data
from mutagrad.testing import assert_gradients_ok


def backward_dW2_doubled(X, Y, cache, lambd=0.0, keep_prob=1.0):
    grads = backward(X, Y, cache, lambd=lambd, keep_prob=keep_prob)
    grads["dW2"] = 2 * grads["dW2"]
    return grads


def backward_dW2_transposed(X, Y, cache, lambd=0.0, keep_prob=1.0):
    grads = backward(X, Y, cache, lambd=lambd, keep_prob=keep_prob)
    grads["dW2"] = grads["dW2"].T
    return grads


def backward_raises(X, Y, cache):
    raise ValueError("shapes do not align")


def forward_without_options(X, Y, parameters):
    return forward(X, Y, parameters)


@pytest.fixture
def data():
    X, Y = make_data(seed=0)
    return X, Y, init_parameters(seed=0)


def failure(backward_fn, data, **options):
    X, Y, parameters = data
    with pytest.raises(AssertionError) as info:
        assert_gradients_ok(forward, backward_fn, parameters, X, Y, **options)
    return str(info.value), mutagrad.check(forward, backward_fn, parameters, X, Y, **options)


def row(message, name) -> list[str]:
    """The cells of one component's table row, with their wrapped lines joined."""
    lines = message.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"│ {name} "))
    cells = [c.strip() for c in lines[i].strip("│").split("│")]
    for line in lines[i + 1:]:
        more = [c.strip() for c in line.strip("│").split("│")]
        if not line.startswith("│") or more[0]:
            break
        cells = [f"{a} {b}".strip() for a, b in zip(cells, more)]
    return cells


def test_correct_gradients_pass_and_return_the_result(data):
    X, Y, parameters = data
    result = assert_gradients_ok(forward, backward, parameters, X, Y)
    assert result.verdict is not mutagrad.Verdict.FAIL
    assert result.localized is None


def test_a_wrong_gradient_fails_with_the_table_naming_it(data):
    message, result = failure(backward_dW2_doubled, data)
    assert result.localized == "dW2"
    assert "dW2" in message.splitlines()[0]  # pytest's one-line summary names it
    for c in result.components:
        assert row(message, c.name)[1] == c.status.value
    dW2 = result.component("dW2")
    assert (dW2.diagnosis or dW2.message) in " ".join(row(message, "dW2"))
    assert f"localized: {result.localized}" in message
    assert f"hint: {result.hint}" in message.splitlines()


def test_the_message_carries_the_diagnosis(data):
    message, result = failure(backward_dW2_transposed, data)
    diagnosis = result.component("dW2").diagnosis
    assert diagnosis and diagnosis in " ".join(row(message, "dW2"))
    assert f"Diagnosis: {diagnosis}" in message


def test_the_options_reach_the_check(data):
    message, result = failure(backward_dW2_doubled, data, seed=4, lambd=0.1)
    assert "seed 4" in message.splitlines()[0]
    assert {p.lambd for p in result.probes} == {0.1}


def test_code_that_raises_fails_with_the_error(data):
    X, Y, parameters = data
    with pytest.raises(AssertionError, match="backward raised ValueError: shapes do not align"):
        assert_gradients_ok(forward_without_options, backward_raises, parameters, X, Y)


def test_bad_input_is_a_mutagrad_error_not_a_failed_assertion(data):
    X, Y, parameters = data
    with pytest.raises(mutagrad.MutagradError, match="keep_prob"):
        assert_gradients_ok(forward, backward, parameters, X, Y, keep_prob=2.0)


def forward_with_unpinned_masks(X, Y, parameters, keep_prob=1.0):
    """Fresh masks on every call from a Generator nobody can seed: no finite difference is reliable."""
    return forward(X, Y, parameters, keep_prob=keep_prob, rng=np.random.default_rng())


def test_inconclusive_warns_and_does_not_fail_unless_accepted(data):
    X, Y, parameters = data

    def backward_keep(X, Y, cache, keep_prob=1.0):
        return backward(X, Y, cache, keep_prob=keep_prob)
    with pytest.warns(InconclusiveWarning, match="inconclusive"):
        result = assert_gradients_ok(forward_with_unpinned_masks, backward_keep, parameters, X, Y)
    assert result.verdict is Verdict.INCONCLUSIVE
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_gradients_ok(forward_with_unpinned_masks, backward_keep, parameters, X, Y, accept_inconclusive=True)
