"""Layer-index offsets: a read of the layer counter `l` or the depth `L` becomes l + 1, l - 1 (L alike)."""
import libcst as cst

from .base import Context, Operator, as_operand, side_of, spaced

LAYER_NAMES = ("l", "L")


def mutations(node: cst.Name, context: Context) -> list:
    if node.value not in LAYER_NAMES or not context.is_load(node):
        return []
    parent = context.parent(node)
    return [as_operand(cst.BinaryOperation(left=node, operator=spaced(op), right=cst.Integer("1")),
                       parent, side_of(node, parent))
            for op in (cst.Add, cst.Subtract)]


def examples():
    return [
        ("A_prev, W, Z, D = caches[l - 1]", ["A_prev, W, Z, D = caches[l + 1 - 1]",
                                            "A_prev, W, Z, D = caches[l - 1 - 1]"]),
        ('g["dW" + str(L)] = dW', ['g["dW" + str(L + 1)] = dW', 'g["dW" + str(L - 1)] = dW']),
        ("y = m - L", ["y = m - (L + 1)", "y = m - (L - 1)"]),
        ("L = len(caches)", []),
    ]


OPERATOR = Operator("layer-index", "layer-index offset", cst.Name, mutations, examples)
