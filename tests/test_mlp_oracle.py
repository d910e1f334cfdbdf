"""The reference network's backprop against HIPS autograd, an independent autodiff library."""
import itertools

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from mutagrad import mlp

HIDDEN = ("relu", "leaky_relu", "tanh", "sigmoid")
OUTPUTS = ("sigmoid", "softmax", "linear")
SHAPES = ([3, 1], [4, 5, 3, 2], [5, 4, 4, 3, 3])  # depths 1, 3 and 4 (output size set per case)
RTOL = 1e-10


def oracle_cost(parameters, X, Y, hidden, output, lambd, masks, keep_prob):
    """The same cost, written independently in autograd.numpy."""
    act = {
        "relu": lambda z: anp.maximum(z, 0.0),
        "leaky_relu": lambda z: anp.where(z > 0, z, mlp.LEAKY_SLOPE * z),
        "tanh": anp.tanh,
        "sigmoid": lambda z: 0.5 * (anp.tanh(z / 2) + 1),
    }
    L = len(parameters) // 2
    m = X.shape[1]
    A = X
    for l in range(1, L + 1):
        Z = anp.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        if l < L:
            A = act[hidden](Z)
            if masks:
                A = A * masks[l - 1] / keep_prob
    if output == "sigmoid":
        loss = anp.mean(anp.sum(anp.logaddexp(0, -Z) * Y + anp.logaddexp(0, Z) * (1 - Y), axis=0))
    elif output == "softmax":
        logp = Z - anp.log(anp.sum(anp.exp(Z), axis=0))
        loss = -anp.mean(anp.sum(Y * logp, axis=0))
    else:
        loss = 0.5 * anp.mean(anp.sum((Z - Y) ** 2, axis=0))
    return loss + lambd / (2 * m) * sum(anp.sum(parameters[f"W{l}"] ** 2) for l in range(1, L + 1))


def draw_masks(seed, dims, m, keep_prob):
    """The masks the reference draws from rng = default_rng(seed), in the same order."""
    if keep_prob >= 1:
        return None
    rng = np.random.default_rng(seed)
    return [rng.random((n, m)) < keep_prob for n in dims[1:-1]]


CASES = list(itertools.product(HIDDEN, OUTPUTS, (0.0, 0.8), (1.0, 0.7), range(len(SHAPES))))
N_Y = {"sigmoid": (1, 3), "softmax": (3,), "linear": (2,)}  # several independent sigmoid outputs too
BATCHES = (7, 1)  # m = 1: one example, every mean and sum over a single column


@pytest.mark.parametrize("hidden,output,lambd,keep_prob,shape", CASES)
@pytest.mark.parametrize("m", BATCHES)
def test_reference_gradients_match_autograd(hidden, output, lambd, keep_prob, shape, m):
    for seed, n_y in itertools.product((0, 1, 2), N_Y[output]):
        dims = list(SHAPES[shape])
        dims[-1] = n_y
        X, Y = mlp.make_data(seed, dims, output, m=m)
        params = mlp.init_parameters(seed, dims, hidden)
        moved = np.random.default_rng(seed + 100)
        params = {k: v + 0.3 * moved.standard_normal(v.shape) for k, v in params.items()}
        cost, cache = mlp.forward(X, Y, params, lambd, keep_prob, rng=np.random.default_rng(seed),
                                  hidden=hidden, output=output)
        grads = mlp.backward(X, Y, cache, lambd, keep_prob, hidden=hidden, output=output)

        masks = draw_masks(seed, dims, m, keep_prob)
        args = (X, Y, hidden, output, lambd, masks, keep_prob)
        want = grad(oracle_cost)(params, *args)
        assert np.isclose(cost, oracle_cost(params, *args), rtol=RTOL, atol=0)
        for k in params:
            g, w = grads["d" + k], want[k]
            err = np.linalg.norm(g - w) / (np.linalg.norm(w) + 1e-300)
            assert err < RTOL, f"d{k}: reference {g.ravel()[:4]} vs autograd {w.ravel()[:4]}, rel {err:.1e}"


def test_init_is_seeded_and_scaled():
    a = mlp.init_parameters(3, [100, 50, 1], "relu")
    b = mlp.init_parameters(3, [100, 50, 1], "relu")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.std(a["W1"]) == pytest.approx(np.sqrt(2 / 100), rel=0.1)  # He
    t = mlp.init_parameters(3, [100, 50, 1], "tanh")
    assert np.std(t["W1"]) == pytest.approx(np.sqrt(1 / 100), rel=0.1)  # Xavier
    assert not a["b1"].any()


def test_dropout_masks_come_from_the_given_generator():
    X, Y = mlp.make_data(0)
    params = mlp.init_parameters(0)
    c1, _ = mlp.forward(X, Y, params, keep_prob=0.5, rng=np.random.default_rng(7))
    c2, _ = mlp.forward(X, Y, params, keep_prob=0.5, rng=np.random.default_rng(7))
    c3, _ = mlp.forward(X, Y, params, keep_prob=0.5, rng=np.random.default_rng(8))
    assert c1 == c2 and c1 != c3
