"""Hostile: reach the network, write outside its folder, read a secret; it prints what it managed."""
import socket

import numpy as np

LAYER_DIMS = [3, 1]
PORT = 0  # the test writes a copy with the port it listens on, and the paths below
OUTSIDE = "__OUTSIDE__"
SECRET = "__SECRET__"
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=5).close()
    print("network: reached")
except OSError as exc:
    print(f"network: blocked ({exc})")
try:
    with open(OUTSIDE, "w") as f:
        f.write("escaped")
    print("write: done")
except OSError as exc:
    print(f"write: blocked ({exc})")
try:
    with open(SECRET) as f:
        print("read: " + f.read())
except OSError as exc:
    print(f"read: blocked ({exc})")


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A,)


def backward(X, Y, cache):
    (A,) = cache
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True)}
