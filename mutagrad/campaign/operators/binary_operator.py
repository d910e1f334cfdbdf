"""Binary-operator swaps: each of + - * / @ ** becomes each of the others."""
import libcst as cst

from .base import Context, Operator, spaced, with_operator

SWAPPABLE = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.MatrixMultiply, cst.Power)


def mutations(node: cst.BinaryOperation, context: Context) -> list:
    if type(node.operator) not in SWAPPABLE:
        return []
    return [with_operator(node, spaced(other), context.parent(node))
            for other in SWAPPABLE if other is not type(node.operator)]


def examples():
    return [
        ("y = a - b", ["y = a + b", "y = a * b", "y = a / b", "y = a @ b", "y = a ** b"]),
        # the new operator binds differently: parentheses keep the swapped node's meaning
        ("y = lambd / m * W", ["y = lambd / m + W", "y = lambd / m - W", "y = lambd / m / W",
                               "y = lambd / m @ W", "y = (lambd / m) ** W",
                               "y = (lambd + m) * W", "y = (lambd - m) * W", "y = lambd * m * W",
                               "y = lambd @ m * W", "y = lambd ** m * W"]),
    ]


OPERATOR = Operator("binary-operator", "binary-operator swap", cst.BinaryOperation, mutations, examples)
