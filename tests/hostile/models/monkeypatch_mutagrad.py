"""Hostile: at import, replace mutagrad's verdict functions in sys.modules so everything passes."""
import sys

import numpy as np

LAYER_DIMS = [3, 1]
try:
    import mutagrad.check.gradcheck  # noqa: F401 (whatever the process can import)
except Exception:
    pass
patched = 0
for name, module in list(sys.modules.items()):
    if name.startswith("mutagrad"):
        for attr in ("check_point", "worst", "aggregate", "check_model"):
            if hasattr(module, attr):
                setattr(module, attr, lambda *a, **k: None)
                patched += 1
print(f"patched {patched} functions")


def forward(X, Y, parameters):
    A = parameters["W1"] @ X + parameters["b1"]
    return 0.5 * np.mean((A - Y) ** 2), (A,)


def backward(X, Y, cache):
    (A,) = cache
    dA = (A - Y) / X.shape[1]
    return {"dW1": 2 * dA @ X.T, "db1": np.sum(dA, axis=1, keepdims=True)}
