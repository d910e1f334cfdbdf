"""Removal of a keyword argument: np.sum(x, axis=1, keepdims=True) loses keepdims=True, or axis=1.

The bug class of a forgotten keepdims (a (n,) where (n, 1) was meant) or axis (a sum over everything).
"""
import libcst as cst

from .base import Context, Operator


def mutations(node: cst.Call, context: Context) -> list:
    found = []
    for index, arg in enumerate(node.args):
        if arg.keyword is None:
            continue
        args = list(node.args)
        del args[index]
        if index == len(args) and args:  # the last one went: its neighbour takes its (absent) trailing comma
            args[-1] = args[-1].with_changes(comma=arg.comma)
        found.append(node.with_changes(args=args))
    return found


def examples():
    return [
        ("db = np.sum(dZ, axis=1, keepdims=True) / m", ["db = np.sum(dZ, keepdims=True) / m",
                                                       "db = np.sum(dZ, axis=1) / m"]),
        ("T = np.max(Z, axis=0)", ["T = np.max(Z)"]),
        ("y = f(a, b=1, c=2,)", ["y = f(a, c=2,)", "y = f(a, b=1,)"]),
        ("y = f(a, 0)", []),
    ]


OPERATOR = Operator("keyword-removal", "keyword-argument removal", cst.Call, mutations, examples)
