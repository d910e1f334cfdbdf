"""Hostile: send back objects whose unpickling would run code (create MARKER) in mutagrad's process."""
import os
import pickle

import numpy as np

LAYER_DIMS = [3, 1]
MARKER = "__MARKER__"  # the test writes a copy with a real path


class Bomb:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


BOMB = pickle.dumps(Bomb())
for name in os.listdir("/proc/self/fd"):  # also straight down every pipe it can find
    if int(name) > 2:
        try:
            os.write(int(name), BOMB)
        except OSError:
            pass


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A, Bomb())


def backward(X, Y, cache):
    A = cache[0]
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True), "bomb": Bomb()}
