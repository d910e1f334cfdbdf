"""Comparisons: each of > >= < <= becomes each of the others."""
import libcst as cst

from .base import Context, Operator

ORDERING = (cst.GreaterThan, cst.GreaterThanEqual, cst.LessThan, cst.LessThanEqual)


def mutations(node: cst.Comparison, context: Context) -> list:
    found = []
    for index, target in enumerate(node.comparisons):
        if type(target.operator) not in ORDERING:
            continue
        for other in ORDERING:
            if other is type(target.operator):
                continue
            operator = other(whitespace_before=target.operator.whitespace_before,
                             whitespace_after=target.operator.whitespace_after)
            targets = list(node.comparisons)
            targets[index] = target.with_changes(operator=operator)
            found.append(node.with_changes(comparisons=targets))
    return found


def examples():
    return [
        ("return dA * (Z > 0)", ["return dA * (Z >= 0)", "return dA * (Z < 0)", "return dA * (Z <= 0)"]),
        ("if keep_prob < 1: pass", ["if keep_prob > 1: pass", "if keep_prob >= 1: pass", "if keep_prob <= 1: pass"]),
    ]


OPERATOR = Operator("comparison", "comparison swap", cst.Comparison, mutations, examples)
