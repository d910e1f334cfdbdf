"""A correct model that prints a lot, as students' files do: at import and on every call."""
import numpy as np

LAYER_DIMS = [3, 2, 1]
print("loading the chatty model")


def forward(X, Y, parameters):
    print("forward called, W1 =", parameters["W1"].ravel())
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    A2 = parameters["W2"] @ A1 + parameters["b2"]
    cost = 0.5 * np.mean((A2 - Y) ** 2)
    return cost, (A1, A2, parameters["W2"])


def backward(X, Y, cache):
    print("backward called")
    A1, A2, W2 = cache
    dA2 = (A2 - Y) / X.shape[1]
    dZ1 = (W2.T @ dA2) * (1 - A1 ** 2)
    return {"dW2": dA2 @ A1.T, "db2": dA2.sum(axis=1, keepdims=True),
            "dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True)}
