"""numpy function swaps that are slips of the same shape: np.sum <-> np.mean, np.exp <-> np.log, ...

Pairs in the manner of Stryker's method-expression mutator (min <-> max): each result has the
shape of the original, so the mutant computes a wrong value rather than failing on a shape.
"""
import libcst as cst

from .base import Context, Operator

NUMPY = "np"  # the one numpy alias the oracle can rebind to autograd.numpy
SWAPS = {
    "sum": "mean", "mean": "sum",  # a total for an average, or the reverse
    "max": "min", "min": "max",
    "maximum": "minimum", "minimum": "maximum",
    "exp": "log", "log": "exp",  # inverse functions
    "square": "sqrt", "sqrt": "square",
}


def mutations(node: cst.Attribute, context: Context) -> list:
    if not (isinstance(node.value, cst.Name) and node.value.value == NUMPY and node.attr.value in SWAPS):
        return []
    return [node.with_changes(attr=node.attr.with_changes(value=SWAPS[node.attr.value]))]


def examples():
    return [
        ("db = np.sum(dZ, axis=1, keepdims=True) / m", ["db = np.mean(dZ, axis=1, keepdims=True) / m"]),
        ("return np.maximum(0, Z)", ["return np.minimum(0, Z)"]),
        ("loss = -np.sum(Y * np.log(AL)) / m", ["loss = -np.mean(Y * np.log(AL)) / m",
                                                "loss = -np.sum(Y * np.exp(AL)) / m"]),
        ("l2 = np.sum(np.square(W))", ["l2 = np.mean(np.square(W))", "l2 = np.sum(np.sqrt(W))"]),
        ("y = np.tanh(Z) + sum(a) + x.sum()", []),  # no pair for tanh; builtins and methods are left alone
    ]


OPERATOR = Operator("numpy-function", "numpy function swap", cst.Attribute, mutations, examples)
