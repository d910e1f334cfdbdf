"""Statement deletion: an assignment or expression statement becomes `pass`.

Docstrings, `return`, `raise` and `pass` are left alone: removing a return or a raise changes
what the function gives back, not what it computes, and would only add invalid mutants.
"""
import libcst as cst

from .base import Context, Operator

DELETABLE = (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Expr)


def mutations(node: cst.SimpleStatementLine, context: Context) -> list:
    if len(node.body) != 1 or not isinstance(node.body[0], DELETABLE):
        return []
    statement = node.body[0]
    if isinstance(statement, cst.Expr) and isinstance(statement.value, (cst.SimpleString, cst.ConcatenatedString)):
        return []  # a docstring
    return [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=node.leading_lines)]


def examples():
    return [
        ("dA = dA * D / keep_prob  # the mask", ["pass"]),
        ("caches.append((A, W))", ["pass"]),
        ("return grads", []),
        ('"""A docstring."""', []),
    ]


OPERATOR = Operator("statement-deletion", "statement deletion", cst.SimpleStatementLine, mutations, examples)
