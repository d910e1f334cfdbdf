"""Operand swaps of the non-commutative operators: a - b becomes b - a (/ @ ** alike)."""
import libcst as cst

from .base import Context, Operator, with_parts

NON_COMMUTATIVE = (cst.Subtract, cst.Divide, cst.MatrixMultiply, cst.Power)


def mutations(node: cst.BinaryOperation, context: Context) -> list:
    if type(node.operator) not in NON_COMMUTATIVE:
        return []
    return [with_parts(node, context.parent(node), left=node.right, right=node.left)]


def examples():
    return [
        ("dZL = AL - Y", ["dZL = Y - AL"]),
        ("dA = W.T @ dZ", ["dA = dZ @ W.T"]),
        # the operands keep their own parentheses; new ones only where the grouping would change
        ("y = lambd / (2 * m) * l2", ["y = (2 * m) / lambd * l2"]),
        ("y = a - b - c", ["y = c - (a - b)", "y = b - a - c"]),
        ("y = (1 - s) ** 2", ["y = 2 ** (1 - s)", "y = (s - 1) ** 2"]),
        ("y = a + b * c", []),
    ]


OPERATOR = Operator("operand-swap", "operand swap", cst.BinaryOperation, mutations, examples)
