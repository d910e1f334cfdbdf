"""Arithmetic-operator deletion (PIT's AOD): a + b becomes a, and b (each of + - * / @ ** alike).

The bug class of a forgotten term or factor: the L2 term, the 1/m, the dropout mask.
"""
import libcst as cst

from .base import Context, Operator, as_operand, bare, side_of
from .binary_operator import SWAPPABLE


def mutations(node: cst.BinaryOperation, context: Context) -> list:
    if type(node.operator) not in SWAPPABLE:
        return []
    parent = context.parent(node)
    return [as_operand(bare(operand), parent, side_of(node, parent)) for operand in (node.left, node.right)]


def examples():
    return [
        ("dW = dZ @ A_prev.T / m + lambd / m * W", [
            "dW = dZ @ A_prev.T / m", "dW = lambd / m * W",
            "dW = dZ @ A_prev.T + lambd / m * W", "dW = m + lambd / m * W",
            "dW = dZ / m + lambd / m * W", "dW = A_prev.T / m + lambd / m * W",
            "dW = dZ @ A_prev.T / m + lambd / m", "dW = dZ @ A_prev.T / m + W",
            "dW = dZ @ A_prev.T / m + lambd * W", "dW = dZ @ A_prev.T / m + m * W"]),
        # the author's parentheses go with the operator; new ones only where the grouping needs them
        ("y = dA * s * (1 - s)", ["y = dA * s", "y = 1 - s", "y = dA * (1 - s)", "y = s * (1 - s)",
                                  "y = dA * s * 1", "y = dA * s * s"]),
        ("y = (a + b).T", ["y = a.T", "y = b.T"]),
        ("y = c - (a + b) * d", ["y = c", "y = (a + b) * d", "y = c - (a + b)", "y = c - d", "y = c - a * d",
                                 "y = c - b * d"]),
    ]


OPERATOR = Operator("operator-deletion", "arithmetic-operator deletion", cst.BinaryOperation, mutations, examples)
