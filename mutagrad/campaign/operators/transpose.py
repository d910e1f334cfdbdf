"""Removal of a transpose: x.T becomes x."""
import libcst as cst

from .base import Context, Operator


def mutations(node: cst.Attribute, context: Context) -> list:
    if node.attr.value != "T":
        return []
    inner = node.value
    return [inner.with_changes(lpar=node.lpar, rpar=node.rpar) if node.lpar and not inner.lpar else inner]


def examples():
    return [
        ("dW = dZ @ A_prev.T / m", ["dW = dZ @ A_prev / m"]),
        ("dA = W.T @ dZ", ["dA = W @ dZ"]),
        ("n = A.Tx", []),
    ]


OPERATOR = Operator("transpose", "removal of .T", cst.Attribute, mutations, examples)
