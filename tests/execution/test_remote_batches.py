"""Many costs in one request: the same numbers as the same calls made one at a time."""
from pathlib import Path

import numpy as np
import pytest

from mutagrad import mlp
from mutagrad.check.lines import Directions, ModelLine
from mutagrad.check.protocol import own_parameters
from mutagrad.check.evaluator import Evaluator
from mutagrad.check.sandboxed import load_remote_model
from mutagrad.execution import process, sandbox
from mutagrad.execution.remote import Server

MLP = Path(mlp.__file__)
STEPS = (1e-7, -1e-7, 1e-6, -1e-6)


@pytest.fixture(scope="module")
def remote_model():
    with Server(sandbox_choice="none", cpu_seconds=60) as server:
        model, _ = load_remote_model(server, MLP)
        yield model


def evaluator(model, keep_prob):
    X, Y = mlp.make_data(0)
    return Evaluator(model, X, Y, lambd=0.1, keep_prob=keep_prob, mask_seed=3)


@pytest.mark.parametrize("keep_prob", [1.0, 0.8])  # with dropout, every cost must see the same pinned masks
@pytest.mark.parametrize("name", ["W1", "b2"])
def test_directions_in_one_request_give_the_costs_and_steps_of_one_call_each(remote_model, name, keep_prob,
                                                                             monkeypatch):
    ev = evaluator(remote_model, keep_prob)
    parameters = own_parameters(mlp.init_parameters(0))
    V = Directions(parameters[name].shape, 3, seed=0, index=1).dense()
    requests, request = [], Server._request
    monkeypatch.setattr(Server, "_request", lambda self, *a: requests.append(a[0]["op"]) or request(self, *a))
    calls = ev.calls
    batched, taken = ModelLine(ev.cost, parameters).costs(name, V, STEPS)
    assert ev.calls - calls == V.shape[0] * len(STEPS) and requests == ["call"]
    monkeypatch.undo()

    one_at_a_time = ModelLine(lambda p: ev.cost(p), parameters)  # not a bound method: no batching
    expected, expected_taken = one_at_a_time.costs(name, V, STEPS)
    assert np.array_equal(batched, expected) and np.array_equal(taken, expected_taken)
    assert np.array_equal(parameters[name], own_parameters(mlp.init_parameters(0))[name])  # restored


def test_a_server_started_early_is_used_as_it_is():
    started = process.start(sandbox.Kind.NONE, 60, None)
    with Server(cpu_seconds=60, label="early", started=started) as server:
        assert server.process is started.popen and server.kind is sandbox.Kind.NONE
        model, _ = load_remote_model(server, MLP)
        X, Y = mlp.make_data(0)
        cost, _ = model.forward(X, Y, mlp.init_parameters(0))
        assert cost == mlp.forward(X, Y, mlp.init_parameters(0))[0]
    assert started.popen.poll() is not None  # closing the server ended the process
