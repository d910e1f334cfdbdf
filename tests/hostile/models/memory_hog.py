"""Hostile: exhaust the memory limit on every call."""
import numpy as np

LAYER_DIMS = [3, 1]


def forward(X, Y, parameters):
    hog = np.ones((1 << 33,))  # 64 GB
    return float(hog[0]), None


def backward(X, Y, cache):
    return {}
