"""True <-> False."""
import libcst as cst

from .base import Context, Operator

FLIP = {"True": "False", "False": "True"}


def mutations(node: cst.Name, context: Context) -> list:
    return [node.with_changes(value=FLIP[node.value])] if node.value in FLIP else []


def examples():
    return [("s = np.sum(dZ, axis=1, keepdims=True)", ["s = np.sum(dZ, axis=1, keepdims=False)"])]


OPERATOR = Operator("boolean", "True <-> False", cst.Name, mutations, examples)
