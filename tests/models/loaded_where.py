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
    W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
    A1 = 1 / (1 + np.exp(-(W1 @ X + b1)))
    A2 = W2 @ A1 + b2
    cost = np.sum((A2 - Y) ** 2) / (2 * X.shape[1])
    return cost, (A1, A2, W2)


def backward(X, Y, cache):
    A1, A2, W2 = cache
    dZ2 = (A2 - Y) / X.shape[1]
    dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}
