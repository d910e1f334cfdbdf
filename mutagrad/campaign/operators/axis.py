"""The axis of a reduction: axis=0 <-> axis=1."""
import libcst as cst

from .base import Context, Operator

FLIP = {"0": "1", "1": "0"}


def mutations(node: cst.Arg, context: Context) -> list:
    if (node.keyword is None or node.keyword.value != "axis" or not isinstance(node.value, cst.Integer)
            or node.value.value not in FLIP):
        return []
    return [node.with_changes(value=node.value.with_changes(value=FLIP[node.value.value]))]


def examples():
    return [
        ("db = np.sum(dZ, axis=1, keepdims=True) / m", ["db = np.sum(dZ, axis=0, keepdims=True) / m"]),
        ("T = np.max(Z, axis=0)", ["T = np.max(Z, axis=1)"]),
        ("T = np.max(Z, 0)", []),  # positional axes are the number operator's
    ]


OPERATOR = Operator("axis", "axis=0 <-> axis=1", cst.Arg, mutations, examples)
