"""The reference L-layer network with hand-written backprop: mutagrad's answer key.

Conventions of the deeplearning.ai course: X is (n_x, m), W{l} is (n_l, n_{l-1}),
b{l} is (n_l, 1), parameters["W1"], grads["dW1"]. This file is itself a model file
for `mutagrad check`, and every catalogued bug is a patch of its source.
"""
import numpy as np

LAYER_DIMS = [4, 5, 3, 1]
HIDDEN_ACTIVATION = "relu"  # relu, leaky_relu, tanh or sigmoid
OUTPUT_ACTIVATION = "sigmoid"  # sigmoid, softmax or linear
LEAKY_SLOPE = 0.01


def init_parameters(seed, layer_dims=None, hidden=None):
    """He initialization for (leaky) relu layers, Xavier for tanh and sigmoid; zero biases."""
    layer_dims = LAYER_DIMS if layer_dims is None else layer_dims
    hidden = HIDDEN_ACTIVATION if hidden is None else hidden
    rng = np.random.default_rng(seed)
    gain = 2.0 if hidden in ("relu", "leaky_relu") else 1.0
    parameters = {}
    for l in range(1, len(layer_dims)):
        scale = np.sqrt(gain / layer_dims[l - 1])
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * scale
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def make_data(seed, layer_dims=None, output=None, m=10):
    """Standard-normal inputs and labels that suit the output layer."""
    layer_dims = LAYER_DIMS if layer_dims is None else layer_dims
    output = OUTPUT_ACTIVATION if output is None else output
    rng = np.random.default_rng(seed)
    n_x, n_y = layer_dims[0], layer_dims[-1]
    X = rng.standard_normal((n_x, m))
    if output == "sigmoid":
        Y = (rng.random((n_y, m)) < 0.5).astype(float)
    elif output == "softmax":
        Y = np.eye(n_y)[:, rng.integers(n_y, size=m)]
    else:
        Y = rng.standard_normal((n_y, m))
    return X, Y


def activation_forward(Z, activation):
    """A = g(Z)."""
    if activation == "relu":
        return np.maximum(0, Z)
    if activation == "leaky_relu":
        return np.where(Z > 0, Z, LEAKY_SLOPE * Z)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-Z))
    if activation == "softmax":
        T = np.exp(Z - np.max(Z, axis=0, keepdims=True))  # shifted for stability
        return T / np.sum(T, axis=0, keepdims=True)
    if activation == "linear":
        return Z
    raise ValueError(f"unknown activation {activation!r}")


def activation_backward(dA, Z, activation):
    """dZ = dA * g'(Z) for a hidden layer."""
    if activation == "relu":
        return dA * (Z > 0)
    if activation == "leaky_relu":
        return dA * np.where(Z > 0, 1, LEAKY_SLOPE)
    if activation == "tanh":
        return dA * (1 - np.tanh(Z) ** 2)
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-Z))
        return dA * s * (1 - s)
    raise ValueError(f"unknown activation {activation!r}")


def compute_cost(AL, Y, parameters, lambd, output):
    """Mean loss over the m examples, plus the L2 penalty lambd/(2m) * sum ||W||^2."""
    m = Y.shape[1]
    if output == "sigmoid":
        loss = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    elif output == "softmax":
        loss = -np.sum(Y * np.log(AL)) / m
    else:
        loss = np.sum((AL - Y) ** 2) / (2 * m)
    L = len(parameters) // 2
    l2 = sum(np.sum(np.square(parameters["W" + str(l)])) for l in range(1, L + 1))
    return loss + lambd / (2 * m) * l2


def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0, rng=None,
            hidden=HIDDEN_ACTIVATION, output=OUTPUT_ACTIVATION):
    """Forward pass: returns the cost and the cache that backward needs."""
    if rng is None:
        rng = np.random.default_rng()
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L):
        A_prev = A
        W = parameters["W" + str(l)]
        b = parameters["b" + str(l)]
        Z = W @ A_prev + b
        A = activation_forward(Z, hidden)
        D = None
        if keep_prob < 1:
            D = rng.random(A.shape) < keep_prob  # inverted dropout: drop, then scale up
            A = A * D / keep_prob
        caches.append((A_prev, W, Z, D))
    WL = parameters["W" + str(L)]
    bL = parameters["b" + str(L)]
    ZL = WL @ A + bL
    AL = activation_forward(ZL, output)
    caches.append((A, WL, ZL, None))
    cost = compute_cost(AL, Y, parameters, lambd, output)
    return cost, (caches, AL)


def backward(X, Y, cache, lambd=0.0, keep_prob=1.0,
             hidden=HIDDEN_ACTIVATION, output=OUTPUT_ACTIVATION):
    """Backward pass: returns grads["dW1"], grads["db1"], ... for the cost of forward."""
    caches, AL = cache
    L = len(caches)
    m = X.shape[1]
    grads = {}
    # Output layer. Sigmoid with cross-entropy, softmax with cross-entropy and
    # linear with squared error all give the same dJ/dZ[L] = (AL - Y) / m.
    A_prev, WL, ZL, _ = caches[L - 1]
    dZL = AL - Y
    grads["dW" + str(L)] = dZL @ A_prev.T / m + lambd / m * WL
    grads["db" + str(L)] = np.sum(dZL, axis=1, keepdims=True) / m
    dA = WL.T @ dZL
    # Hidden layers, last to first: the chain rule one layer at a time.
    for l in reversed(range(1, L)):
        A_prev, W, Z, D = caches[l - 1]
        if keep_prob < 1:
            dA = dA * D / keep_prob  # the same mask and scale as the forward pass
        dZ = activation_backward(dA, Z, hidden)
        grads["dW" + str(l)] = dZ @ A_prev.T / m + lambd / m * W
        grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


def update_parameters(parameters, grads, learning_rate):
    """One step of gradient descent: theta = theta - learning_rate * dtheta."""
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
