"""A user's own model file, as a student writes it: relu hidden layers, softmax output, L2 and dropout.

It is not the reference network (no `hidden=`/`output=` keywords), so `mutagrad check` cannot use
the layered fast path on it. benchmarks/run.py copies it with other LAYER_DIMS and M;
tests/check/test_user_file.py checks its forward and backward.
"""
import numpy as np

LAYER_DIMS = [100, 64, 32, 10]
M = 64  # examples


def make_data(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LAYER_DIMS[0], M))
    Y = np.eye(LAYER_DIMS[-1])[:, rng.integers(LAYER_DIMS[-1], size=M)]
    return X, Y


def init_parameters(seed):
    rng = np.random.default_rng([seed, 3])
    parameters = {}
    for l in range(1, len(LAYER_DIMS)):
        parameters["W" + str(l)] = rng.standard_normal((LAYER_DIMS[l], LAYER_DIMS[l - 1])) * np.sqrt(2 / LAYER_DIMS[l - 1])
        parameters["b" + str(l)] = rng.standard_normal((LAYER_DIMS[l], 1)) * 0.1
    return parameters


def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0):
    L = len(parameters) // 2
    m = X.shape[1]
    A, caches = X, []
    for l in range(1, L):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        A_next = np.maximum(0, Z)
        D = np.random.rand(*A_next.shape) < keep_prob
        A_next = A_next * D / keep_prob
        caches.append((A, W, Z, D))
        A = A_next
    W, b = parameters["W" + str(L)], parameters["b" + str(L)]
    Z = W @ A + b
    T = np.exp(Z - Z.max(axis=0, keepdims=True))
    AL = T / T.sum(axis=0, keepdims=True)
    caches.append((A, W, Z, None))
    cost = -np.sum(Y * np.log(AL)) / m
    cost += lambd / (2 * m) * sum(np.sum(np.square(parameters["W" + str(l)])) for l in range(1, L + 1))
    return cost, (caches, AL)


def backward(X, Y, cache, lambd=0.0, keep_prob=1.0):
    caches, AL = cache
    L = len(caches)
    m = X.shape[1]
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, W, Z, _ = caches[l - 1]
        grads["dW" + str(l)] = dZ @ A_prev.T / m + lambd / m * W
        grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            _, _, Z_prev, D_prev = caches[l - 2]
            dA = W.T @ dZ * D_prev / keep_prob
            dZ = dA * (Z_prev > 0)
    return grads
