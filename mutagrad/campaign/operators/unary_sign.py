"""Removal of a unary sign: -x becomes x (and +x becomes x)."""
import libcst as cst

from .base import Context, Operator, as_operand, side_of


def mutations(node: cst.UnaryOperation, context: Context) -> list:
    if not isinstance(node.operator, (cst.Minus, cst.Plus)):
        return []
    parent = context.parent(node)
    inner = node.expression
    if node.lpar:  # the author's parentheses stay
        return [inner.with_changes(lpar=node.lpar, rpar=node.rpar) if not inner.lpar else inner]
    return [as_operand(inner, parent, side_of(node, parent))]


def examples():
    return [
        ("s = 1 / (1 + np.exp(-Z))", ["s = 1 / (1 + np.exp(Z))"]),
        ("loss = -np.sum(Y * np.log(AL)) / m", ["loss = np.sum(Y * np.log(AL)) / m"]),
        ("y = -(a + b) * c", ["y = (a + b) * c"]),
    ]


OPERATOR = Operator("unary-sign", "removal of a unary sign", cst.UnaryOperation, mutations, examples)
