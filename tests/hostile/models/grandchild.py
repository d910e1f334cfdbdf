"""Hostile: start a process that would outlive the check (its command line carries MARKER)."""
import os
import sys

import numpy as np

LAYER_DIMS = [3, 1]
MARKER = "__MARKER__"
if os.fork() == 0:
    os.execv(sys.executable, [sys.executable, "-c", f"import time; time.sleep(600)  # {MARKER}"])


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A,)


def backward(X, Y, cache):
    (A,) = cache
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True)}
