"""YAML with line numbers for the catalog: parse keeping node marks, and name the line of an error.

PyYAML's safe loader composes a node tree (every node knows its line) and constructs the data
from it; a jsonschema error's path is then walked down the same tree to the offending line.
"""
from __future__ import annotations

import re

import yaml

from ..errors import CatalogError


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases: nested ones ("billion laughs") expand exponentially."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event)
        return super().compose_node(parent, index)


class _AliasFound(Exception):
    def __init__(self, event):
        super().__init__(event.anchor)
        self.event = event


def parse(text: str, label: str):
    """(root node, data) of one YAML document; CatalogError with the line if it is not valid YAML."""
    loader = None
    try:
        loader = _NoAliasLoader(text)  # it already reads the text: a control character fails here
        root = loader.get_single_node()
        if root is None:
            raise CatalogError(f"{label}:1: the file is empty; expected a list of entries")
        reject_duplicate_keys(root, label)
        return root, loader.construct_document(root)
    except _AliasFound as found:
        mark = found.event.start_mark
        raise CatalogError(f"{label}:{mark.line + 1}:{mark.column + 1}: alias *{found.event.anchor} is not allowed "
                           f"in a catalog: write the value out") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise CatalogError(f"{label}:{line}:{column}: not valid YAML: character #x{exc.character:04x} "
                           f"is not allowed") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1"
        raise CatalogError(f"{label}:{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()


def reject_duplicate_keys(node, label: str) -> None:
    """PyYAML keeps the last of two equal keys silently; the catalog refuses them."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise CatalogError(f"{label}:{line_of(key)}: field {key.value!r}: duplicate key")
                seen.add(key.value)
            reject_duplicate_keys(value, label)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            reject_duplicate_keys(item, label)


def explain(error, node) -> tuple[int, str, str]:
    """(line, "field 'x': ", message) for a jsonschema error on the entry at `node`."""
    path = list(error.absolute_path)
    target = node_at(node, path)
    field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        key = next((k for k, _ in target.value if k.value == unknown[0]), target) \
            if isinstance(target, yaml.MappingNode) else target
        prefix = f"{field}." if field else ""
        return line_of(key), f"field {prefix + unknown[0]!r}: ", f"unknown key (allowed: {', '.join(allowed)})"
    if kind == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else error.message
        prefix = f"{field}." if field else ""
        return line_of(target), f"field {prefix + name!r}: ", "missing"
    label = f"field {field!r}: " if field else ""
    if kind == "pattern" and path and path[0] in ("id", "category"):
        return line_of(target), label, f"{error.instance!r} is not kebab-case (lowercase words joined by '-')"
    if kind == "pattern" and path and path[0] == "components":
        return line_of(target), label, (f"{error.instance!r} is not a component: write dW3, db1, dW{{L}}, "
                                      f"db{{L-1}} or dW{{l}} (any hidden layer)")
    if kind == "enum":
        return line_of(target), label, f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if kind == "maxItems" and path and path[0] == "components":
        return line_of(target), label, "an undetectable entry has no components: leave the field out"
    if kind == "not" and path == ["reason"]:
        return line_of(target), label, "only an entry with expect: undetectable has a reason"
    return line_of(target), label, error.message


def child(node, key: str):
    """The value node of `key` in a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def node_at(node, path):
    """The deepest node along a jsonschema error path (keys and indices)."""
    for key in path:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            below = child(node, key)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            below = node.value[key]
        else:
            below = None
        if below is None:
            break
        node = below
    return node


def line_of(node) -> int:
    """1-based line where `node` starts."""
    return node.start_mark.line + 1 if node is not None else 1
