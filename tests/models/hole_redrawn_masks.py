"""Hides hole 2: backward draws fresh masks from the global RNG instead of reading the cached ones."""
import numpy as np

LAYER_DIMS = [3, 4, 2, 1]


def forward_propagation_n(X, Y, parameters, lambd=0.0, keep_prob=1.0):
    m = X.shape[1]
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = np.tanh(Z1)
    D1 = np.random.rand(*A1.shape) < keep_prob
    A1 = A1 * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    A2 = np.tanh(Z2)
    D2 = np.random.rand(*A2.shape) < keep_prob
    A2 = A2 * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = 1 / (1 + np.exp(-Z3))
    cost = -np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m
    cost += lambd / (2 * m) * (np.sum(W1 ** 2) + np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return cost, (Z1, D1, A1, W1, Z2, D2, A2, W2, A3, W3)


def backward_propagation_n(X, Y, cache, lambd=0.0, keep_prob=1.0):
    m = X.shape[1]
    Z1, D1, A1, W1, Z2, D2, A2, W2, A3, W3 = cache
    # the bug: new masks, drawn as forward drew them, instead of the cached ones
    D1 = np.random.rand(*A1.shape) < keep_prob
    D2 = np.random.rand(*A2.shape) < keep_prob
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m + lambd / m * W3
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3 * D2 / keep_prob
    dZ2 = dA2 * (1 - np.tanh(Z2) ** 2)
    dW2 = dZ2 @ A1.T / m + lambd / m * W2
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2 * D1 / keep_prob
    dZ1 = dA1 * (1 - np.tanh(Z1) ** 2)
    dW1 = dZ1 @ X.T / m + lambd / m * W1
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
