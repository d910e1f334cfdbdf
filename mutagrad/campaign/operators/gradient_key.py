"""Gradient-key swaps: the key "dW" <-> "db" (so dW{l} and db{l} trade places)."""
import libcst as cst

from .base import Context, Operator

SWAP = {"dW": "db", "db": "dW"}


def mutations(node: cst.SimpleString, context: Context) -> list:
    quote, body = node.value[0], node.value[1:-1]
    if node.value[:1] not in "'\"" or body not in SWAP:
        return []
    return [node.with_changes(value=quote + SWAP[body] + quote)]


def examples():
    return [
        ('grads["dW" + str(l)] = dW', ['grads["db" + str(l)] = dW']),
        ("grads['db' + str(L)] = db", ["grads['dW' + str(L)] = db"]),
        ('W = parameters["W" + str(l)]', []),
    ]


OPERATOR = Operator("gradient-key", "gradient-key swap", cst.SimpleString, mutations, examples)
