"""Numeric constants: 0 -> 1, 1 -> 0, any other n -> n + 1 and n - 1 (2 -> 3, 1), as cosmic-ray's; floats alike."""
import libcst as cst

from .base import Context, Operator, in_place_of


def replacements(value) -> list:
    """The constants mutants put in place of `value`."""
    if value == 0:
        return [type(value)(1)]
    if value == 1:
        return [type(value)(0)]
    return [value + 1, value - 1]


def mutations(node, context: Context) -> list:
    if isinstance(node, cst.Integer):
        return [literal(node, str(new), context) for new in replacements(int(node.value, 0))]
    if isinstance(node, cst.Float):
        return [literal(node, repr(new), context) for new in replacements(float(node.value))]
    return []


def literal(node, text: str, context: Context):
    """`node` with the value `text`; a negative one as a unary minus, parenthesized where it must be."""
    if not text.startswith("-"):
        return node.with_changes(value=text)
    parent = context.parent(node)
    negative = cst.UnaryOperation(operator=cst.Minus(), expression=node.with_changes(value=text[1:], lpar=[], rpar=[]))
    return in_place_of(node, negative, parent)


def examples():
    return [
        ("m = Y.shape[1]", ["m = Y.shape[0]"]),
        ("x = y[0]", ["x = y[1]"]),
        ("return loss + lambd / (2 * m) * l2", ["return loss + lambd / (3 * m) * l2",
                                                "return loss + lambd / (1 * m) * l2"]),
        ("y = 0.5 * x", ["y = 1.5 * x", "y = -0.5 * x"]),
        ("y = 1.0 - x", ["y = 0.0 - x"]),
        ("y = x ** 0.5", ["y = x ** 1.5", "y = x ** (-0.5)"]),
        ("y = 0.5 ** x", ["y = 1.5 ** x", "y = (-0.5) ** x"]),  # -0.5 ** x would be -(0.5 ** x)
    ]


OPERATOR = Operator("number", "numeric constant", cst.BaseNumber, mutations, examples)
