"""A gradient checker in mutagrad's checker protocol, to measure with
`mutagrad run --all --checker examples/my_checker.py:check`.

It compares each gradient with central differences, first as given and then with L2
regularization switched on (lambd > 0), and names the first wrong gradient in backprop order.
"""
import numpy as np

EPSILON = 1e-6  # central-difference step
THRESHOLD = 1e-5  # relative error above which a gradient is wrong
LAMBDAS = (0.0, 0.7)  # also probe the regularization terms


def relative_error(grad, approx):
    """||grad - approx|| / (||grad|| + ||approx||)"""
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    return np.linalg.norm(grad - approx) / denominator if denominator else 0.0


def numerical_gradient(forward, X, Y, parameters, name, lambd):
    """(J(theta + eps) - J(theta - eps)) / (2 eps) for every entry of parameters[name]."""
    approx = np.zeros_like(parameters[name])
    for i in np.ndindex(approx.shape):
        costs = []
        for step in (EPSILON, -EPSILON):
            moved = {k: v.copy() for k, v in parameters.items()}
            moved[name][i] += step
            cost, _ = forward(X, Y, moved, lambd=lambd)
            costs.append(cost)
        approx[i] = (costs[0] - costs[1]) / (2 * EPSILON)
    return approx


def check(forward, backward, parameters, X, Y):
    """True when every gradient matches; otherwise the verdict and the first wrong gradient."""
    layers = len(parameters) // 2
    backprop_order = [f"{p}{l}" for l in range(layers, 0, -1) for p in ("W", "b")]
    for lambd in LAMBDAS:
        _, cache = forward(X, Y, parameters, lambd=lambd)
        grads = backward(X, Y, cache, lambd=lambd)
        for name in backprop_order:
            grad = grads.get("d" + name)
            if grad is None or np.shape(grad) != parameters[name].shape:
                return {"verdict": "fail", "localized": "d" + name}
            approx = numerical_gradient(forward, X, Y, parameters, name, lambd)
            if relative_error(grad, approx) > THRESHOLD:
                return {"verdict": "fail", "localized": "d" + name}
    return True
