"""Hostile: lift the memory and CPU limits; hard = soft, so both attempts must fail."""
import resource

import numpy as np

LAYER_DIMS = [3, 1]
for which, name in ((resource.RLIMIT_AS, "memory"), (resource.RLIMIT_CPU, "cpu")):
    try:
        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print(f"lifted the {name} limit")
    except (ValueError, OSError) as exc:
        print(f"could not lift the {name} limit: {exc}")


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A,)


def backward(X, Y, cache):
    (A,) = cache
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True)}
