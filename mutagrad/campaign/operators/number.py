"""Numeric constants: 0 -> 1, 1 -> 0, any other n -> n + 1 (2 -> 3); floats alike."""
import libcst as cst

from .base import Context, Operator


def replacement(value):
    """The constant a mutant puts in place of `value`."""
    if value == 0:
        return type(value)(1)
    if value == 1:
        return type(value)(0)
    return value + 1


def mutations(node, context: Context) -> list:
    if isinstance(node, cst.Integer):
        return [node.with_changes(value=str(replacement(int(node.value, 0))))]
    if isinstance(node, cst.Float):
        return [node.with_changes(value=repr(replacement(float(node.value))))]
    return []


def examples():
    return [
        ("m = Y.shape[1]", ["m = Y.shape[0]"]),
        ("x = y[0]", ["x = y[1]"]),
        ("return loss + lambd / (2 * m) * l2", ["return loss + lambd / (3 * m) * l2"]),
        ("y = 0.5 * x", ["y = 1.5 * x"]),
        ("y = 1.0 - x", ["y = 0.0 - x"]),
    ]


OPERATOR = Operator("number", "numeric constant", cst.BaseNumber, mutations, examples)
