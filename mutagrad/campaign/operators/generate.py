"""Applying the operators to a model's source: one minimal, readable text patch per mutant.

libcst parses the source; every node inside the bodies of the chosen top-level functions is
offered to every operator, in source order. Each replacement gives a mutated module, whose
changed lines become one hunk (function, find, replace) in the catalog's schema; `find` is
widened by a line at a time until it occurs once in its function, and the hunk must rebuild the
mutant exactly. The same source and options always give the same mutants, in the same order.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (ExpressionContext, ExpressionContextProvider, MetadataWrapper, ParentNodeProvider,
                             PositionProvider)

from . import OPERATORS
from .base import Context
from ..mutate import Hunk, function_span
from ...errors import MutagradError

# The functions whose code the checker's cost and gradients run through (mlp.py's names).
DEFAULT_FUNCTIONS = ("activation_forward", "activation_backward", "compute_cost", "forward", "backward")


@dataclass(frozen=True)
class Mutant:
    """One operator mutant: where, which operator, and the patch that plants it."""
    id: str
    operator: str
    function: str
    lines: tuple[int, int]  # first and last line of the source that the mutation changes
    hunk: Hunk
    source: str  # the whole mutated source

    @property
    def before(self) -> str:
        return self.hunk.find

    @property
    def after(self) -> str:
        return self.hunk.replace


def generate(source: str, functions=DEFAULT_FUNCTIONS, operators=OPERATORS, label: str = "the source") -> list[Mutant]:
    """Every operator mutant of `functions` in `source`, in source order, each distinct mutant once."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise MutagradError(f"{label}:{exc.raw_line}: syntax error: {exc.message}") from None
    defined = [n.name.value for n in module.body if isinstance(n, cst.FunctionDef)]
    missing = [f for f in functions if f not in defined]
    if missing:
        raise MutagradError(f"--functions: {', '.join(missing)} not defined at the top level of {label} "
                            f"(functions: {', '.join(defined)})")
    wrapper = MetadataWrapper(module)
    sites = _Sites(wrapper, set(functions), operators)
    wrapper.visit(sites)
    mutants, seen, counters, spans = [], {source}, {}, {}
    text_lines = source.splitlines(keepends=True)
    for function, operator, node, replacement, holder in sites.found:
        mutated = _mutated_source(wrapper.module, text_lines, holder, node, replacement)
        if mutated in seen:
            continue  # the same code as another mutant (or no change at all)
        seen.add(mutated)
        if function not in spans:
            spans[function] = function_span(source, function)
        hunk, lines = minimal_hunk(source, mutated, function, spans[function])
        counters[function, operator.name] = counters.get((function, operator.name), 0) + 1
        mutant_id = f"{function.replace('_', '-')}-{operator.name}-{counters[function, operator.name]}".lower()
        mutants.append(Mutant(mutant_id, operator.name, function, lines, hunk, mutated))
    return mutants


def _mutated_source(module, lines, statement, node, replacement) -> str:
    """`lines` with `node` replaced; only the statement line (or the function) holding it is rendered again."""
    holder, (first, last), indent = statement
    new = holder.visit(_Replace(node, replacement)).with_changes(leading_lines=[])
    return "".join(lines[:first - 1]) + indent + module.code_for_node(new) + "".join(lines[last:])


def minimal_hunk(source: str, mutated: str, function: str,
                 span: tuple[int, int] | None = None) -> tuple[Hunk, tuple[int, int]]:
    """The smallest whole-line hunk of `function` that turns `source` into `mutated`, and its line span."""
    old, new = source.splitlines(keepends=True), mutated.splitlines(keepends=True)
    first = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
    tail = 0
    while tail < min(len(old), len(new)) - first and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start, end = span or function_span(source, function)
    body = source[start:end]
    top = first
    while True:
        find = "".join(old[top:len(old) - tail]).strip()
        replace = "".join(new[top:len(new) - tail]).strip()
        if body.count(find) == 1 or top == 0:
            break
        top -= 1  # one more line of context, until `find` is unique in the function
    hunk = Hunk(function, find, replace)
    # What mutate.apply_hunk will do with it must give the mutant back exactly.
    if body.count(find) != 1 or source[:start] + body.replace(find, replace) + source[end:] != mutated:
        raise MutagradError(f"{function}(), line {first + 1}: cannot write the mutant as a patch")
    return hunk, (first + 1, len(old) - tail)


class _Sites(cst.CSTVisitor):
    """Collects (function, operator, node, replacement, holder) inside the chosen functions' bodies."""
    METADATA_DEPENDENCIES = (ParentNodeProvider, ExpressionContextProvider, PositionProvider)

    def __init__(self, wrapper, functions, operators):
        super().__init__()
        self.functions, self.operators = functions, operators
        self.function = None  # the chosen top-level function being visited
        self.found = []
        self.definitions = {}  # function name -> (its FunctionDef, (first line, last line), "")
        self.lines = wrapper.module.code.splitlines()
        self.context = Context(parent=lambda n: self.get_metadata(ParentNodeProvider, n, None),
                               is_load=lambda n: self.get_metadata(ExpressionContextProvider, n, None)
                               is ExpressionContext.LOAD)

    def visit_FunctionDef(self, node):
        if self.function is None and node.name.value in self.functions:
            self.function = node.name.value
            where = self.get_metadata(PositionProvider, node)
            self.definitions[self.function] = (node, (where.start.line, where.end.line), "")
            for statement in node.body.body:  # the body only: not the signature's defaults
                statement.visit(self)
            self.function = None
        return False

    def holder(self, node, function):
        """(node to render again, its line span, the indentation of its first line)."""
        while node is not None and not isinstance(node, cst.SimpleStatementLine):
            node = self.get_metadata(ParentNodeProvider, node, None)
        if node is None:  # inside a compound statement's header: render the whole function
            return self.definitions[function]
        where = self.get_metadata(PositionProvider, node)
        if where.end.line > where.start.line:  # its continuation lines take their indentation from the
            return self.definitions[function]  # enclosing block: only the function renders them as written
        line = self.lines[where.start.line - 1]
        return node, (where.start.line, where.end.line), line[:len(line) - len(line.lstrip())]

    def on_visit(self, node):
        if isinstance(node, cst.FunctionDef):
            return self.visit_FunctionDef(node)
        if self.function is not None:
            for operator in self.operators:
                if isinstance(node, operator.node_type):
                    for replacement in operator.mutations(node, self.context):
                        self.found.append((self.function, operator, node, replacement,
                                           self.holder(node, self.function)))
        return True


class _Replace(cst.CSTTransformer):
    """Puts `replacement` in place of the one node `target` (by identity)."""

    def __init__(self, target, replacement):
        super().__init__()
        self.target, self.replacement = target, replacement

    def on_leave(self, original_node, updated_node):
        return self.replacement if original_node is self.target else updated_node


def function_names(source: str) -> list[str]:
    """The top-level functions of `source`."""
    return [n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
