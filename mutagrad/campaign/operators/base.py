"""What every mutation operator shares: its record, and parentheses that keep a mutant's meaning.

An operator (one module each, cosmic-ray style) names the libcst node type it mutates and
returns, for one node, the replacement nodes. It carries its own examples: a line of source and
the lines its mutants must read, which one parametrized test runs for every operator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

# Binding strength of Python's expression forms (higher binds tighter), for parentheses.
ATOM = 9
POWER = 8
UNARY = 7
PRODUCT = 6
SUM = 5
COMPARISON = 3
NOT = 2
BOOLEAN = 1
BINARY_PRECEDENCE = {
    cst.Power: POWER,
    cst.Multiply: PRODUCT, cst.Divide: PRODUCT, cst.MatrixMultiply: PRODUCT, cst.FloorDivide: PRODUCT,
    cst.Modulo: PRODUCT,
    cst.Add: SUM, cst.Subtract: SUM,
}


@dataclass(frozen=True)
class Context:
    """What an operator may ask about a node: its parent and how a name is used."""
    parent: Callable[[cst.CSTNode], cst.CSTNode | None]
    is_load: Callable[[cst.CSTNode], bool]


@dataclass(frozen=True)
class Operator:
    """One mutation operator: the node type it mutates, and the replacements for one node."""
    name: str  # kebab-case; the category of its catalog entries
    title: str  # what it does, for descriptions
    node_type: type
    mutations: Callable[[cst.CSTNode, Context], list]
    examples: Callable[[], list]  # [(source line, [mutated lines, in order])]


def precedence(node: cst.CSTNode) -> int:
    """How tightly `node` binds as an operand (parenthesized nodes are atoms)."""
    if getattr(node, "lpar", ()):
        return ATOM
    if isinstance(node, cst.BinaryOperation):
        return BINARY_PRECEDENCE.get(type(node.operator), SUM)
    if isinstance(node, cst.UnaryOperation):
        return NOT if isinstance(node.operator, cst.Not) else UNARY
    if isinstance(node, cst.Comparison):
        return COMPARISON
    if isinstance(node, cst.BooleanOperation):
        return BOOLEAN
    return ATOM


def parenthesize(node: cst.CSTNode) -> cst.CSTNode:
    """`node` wrapped in one pair of parentheses."""
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def as_operand(node: cst.CSTNode, parent: cst.CSTNode | None, side: str = "left") -> cst.CSTNode:
    """`node` placed under `parent` (on `side` of a binary operator), parenthesized only if needed."""
    mine = precedence(node)
    if isinstance(parent, cst.BinaryOperation):
        theirs = precedence(parent.with_changes(lpar=[], rpar=[]))
        right_assoc = isinstance(parent.operator, cst.Power)
        loose = mine < theirs or (mine == theirs and side == ("left" if right_assoc else "right"))
        if right_assoc and side == "left" and mine <= UNARY:
            loose = True  # -x ** 2 is -(x ** 2)
    elif isinstance(parent, cst.UnaryOperation):
        loose = mine < UNARY
    elif isinstance(parent, (cst.Attribute, cst.Call, cst.Subscript)):
        loose = mine < ATOM and side == "left"
    elif isinstance(parent, cst.ComparisonTarget) or isinstance(parent, cst.Comparison):
        loose = mine <= COMPARISON
    else:
        loose = False
    return parenthesize(node) if loose else node


def with_operator(node: cst.BinaryOperation, operator: cst.BaseBinaryOp, parent) -> cst.CSTNode:
    """`node` with its operator replaced, its operands and itself re-parenthesized for the new binding."""
    return with_parts(node, parent, operator=operator)


def with_parts(node: cst.BinaryOperation, parent, **changes) -> cst.CSTNode:
    """`node` with `changes` (operator, left, right), its operands and itself re-parenthesized as needed."""
    unparenthesized = node.with_changes(lpar=[], rpar=[], **changes)
    unparenthesized = unparenthesized.with_changes(left=as_operand(unparenthesized.left, unparenthesized, "left"),
                                                   right=as_operand(unparenthesized.right, unparenthesized, "right"))
    if node.lpar:
        return unparenthesized.with_changes(lpar=node.lpar, rpar=node.rpar)
    return as_operand(unparenthesized, parent, side_of(node, parent))


def side_of(node: cst.CSTNode, parent) -> str:
    """'left' or 'right': where `node` sits under a binary operator (or as an attribute's value)."""
    if isinstance(parent, cst.BinaryOperation) and parent.right is node:
        return "right"
    if isinstance(parent, cst.Subscript) and parent.value is not node:
        return "right"
    if isinstance(parent, cst.Call) and parent.func is not node:
        return "right"
    return "left"


def spaced(operator: type) -> cst.BaseBinaryOp:
    """A binary operator with one space either side."""
    space = cst.SimpleWhitespace(" ")
    return operator(whitespace_before=space, whitespace_after=space)


# Forms that mean the same bare as in parentheses once as_operand re-parenthesizes them as needed
# (a tuple, a lambda or a conditional expression would not).
BARE_SAFE = (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.BooleanOperation, cst.Name,
             cst.Attribute, cst.Call, cst.Subscript, cst.BaseNumber, cst.SimpleString)


def bare(node: cst.CSTNode) -> cst.CSTNode:
    """`node` without its own parentheses, where as_operand can put back any it needs."""
    return node.with_changes(lpar=[], rpar=[]) if isinstance(node, BARE_SAFE) and node.lpar else node



def in_place_of(node: cst.CSTNode, replacement: cst.CSTNode, parent) -> cst.CSTNode:
    """`replacement` where `node` was: inside the author's parentheses, else parenthesized only if needed."""
    if node.lpar:
        return replacement.with_changes(lpar=node.lpar, rpar=node.rpar)
    return as_operand(replacement, parent, side_of(node, parent))
