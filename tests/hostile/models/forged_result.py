"""Hostile: write a forged 'pass' result to every inherited file descriptor found in /proc/self/fd."""
import json
import os
import pickle
import struct

import numpy as np

LAYER_DIMS = [3, 1]
forged_pickle = pickle.dumps(("ok", {"verdict": "pass"}, None, None))
header = json.dumps({"ok": True, "value": {"$d": {"dW1": 0.0, "db1": 0.0}}, "arrays": []}).encode()
forged_frame = struct.pack("!II", len(header), 0) + header
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    if fd > 2:
        for data in (forged_frame, forged_pickle):
            try:
                os.write(fd, data)
            except OSError:
                pass
print("forged results written")


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A,)


def backward(X, Y, cache):
    (A,) = cache
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True)}
