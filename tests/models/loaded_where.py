"""A correct model that records every process that loads it: its pid and path, beside itself and in LOG.

`generate operators --file` must load it only in its sandboxed process: never in mutagrad's own
process (the test's pid), never from its own path (the sandbox loads a copy). The test writes a
copy with LOG set to a file it reads afterwards; under bubblewrap that write is blocked.
"""
import os

import numpy as np

LAYER_DIMS = [3, 2, 1]
LOG = "__LOG__"
for where in (os.path.join(os.path.dirname(os.path.abspath(__file__)), "loaded.marker"), LOG):
    try:
        with open(where, "a") as f:
            f.write(f"{os.getpid()} {os.path.abspath(__file__)}\n")
    except OSError:
        pass


def forward(X, Y, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    A2 = parameters["W2"] @ A1 + parameters["b2"]
    cost = 0.5 * np.mean((A2 - Y) ** 2)
    return cost, (A1, A2, parameters["W2"])


def backward(X, Y, cache):
    A1, A2, W2 = cache
    dA2 = (A2 - Y) / X.shape[1]
    dZ1 = (W2.T @ dA2) * (1 - A1 ** 2)
    dW2 = dA2 @ A1.T
    db2 = dA2.sum(axis=1, keepdims=True)
    dW1 = dZ1 @ X.T
    db1 = dZ1.sum(axis=1, keepdims=True)
    return {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}
