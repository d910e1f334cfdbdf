"""Applying a catalog patch to the reference's source text, and building the mutant module.

A hunk replaces `find` by `replace` inside one top-level function of mutagrad/mlp.py (its
line span is located with `ast`); `find` must occur exactly once in that function. Hunks
apply in order, each to the text the previous ones left. The mutant is real code: it is
compiled under the filename `<mutant ID>` and registered in `linecache`, so tracebacks and
`mutagrad show` print its lines.
"""
from __future__ import annotations

import ast
import difflib
import functools
import importlib.resources
import linecache
import types
from dataclasses import dataclass

from ..errors import MutagradError

REFERENCE_PATH = "mutagrad/mlp.py"  # how diffs and messages name the reference


class PatchError(MutagradError):
    """A hunk that cannot be applied; `hunk` is its index in the patch."""

    def __init__(self, message: str, hunk: int = 0, field: str = "find"):
        super().__init__(message)
        self.hunk = hunk
        self.field = field


@dataclass(frozen=True)
class Hunk:
    """Replace `find` by `replace` inside top-level function `function`."""
    function: str
    find: str
    replace: str


def reference_source() -> str:
    """The source text of mutagrad/mlp.py, as installed."""
    return importlib.resources.files("mutagrad").joinpath("mlp.py").read_text(encoding="utf-8")


def function_span(source: str, name: str, path: str = REFERENCE_PATH) -> tuple[int, int]:
    """(start, end) character offsets of top-level function `name` in `source` (the file at `path`)."""
    spans = _function_spans(source)
    if name not in spans:
        raise PatchError(f"no function {name!r} in {path} (functions: {', '.join(spans)})",
                         field="function")
    return spans[name]


@functools.lru_cache(maxsize=8)  # a catalog patches one source thousands of times: parse it once
def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    """{name: (start, end)} of every top-level function of `source`, in source order."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (offsets[first - 1], offsets[node.end_lineno])
    return spans


def apply_hunk(source: str, hunk: Hunk, index: int = 0) -> str:
    """`source` with `hunk` applied; PatchError unless `find` occurs exactly once in the function."""
    try:
        start, end = function_span(source, hunk.function)
    except PatchError as exc:
        raise PatchError(str(exc), index, "function") from None
    return source[:start] + _patch_body(source[start:end], hunk, index) + source[end:]


def _patch_body(body: str, hunk: Hunk, index: int, path: str = REFERENCE_PATH) -> str:
    """One function's text with `hunk` applied."""
    count = body.count(hunk.find)
    if count != 1:
        where = "does not occur" if count == 0 else f"occurs {count} times"
        raise PatchError(f"find text {_short(hunk.find)} {where} in {hunk.function}() of {path}; "
                         f"it must occur exactly once", index)
    if hunk.find == hunk.replace:
        raise PatchError("replace is the same as find: the hunk changes nothing", index, "replace")
    return body.replace(hunk.find, hunk.replace)


def apply_patch(source: str, hunks, path: str = REFERENCE_PATH) -> str:
    """`source` (the file at `path`) with every hunk applied in order; the result must still compile.

    Only the patched functions are compiled, and the source is parsed once for all patches: the
    rest is the source's own text, so a catalog of thousands of entries scales linearly.
    """
    spans = dict(_function_spans(source))
    patched = []
    for index, hunk in enumerate(hunks):
        if hunk.function not in spans:
            raise PatchError(f"no function {hunk.function!r} in {path} (functions: {', '.join(spans)})",
                             index, "function")
        start, end = spans[hunk.function]
        body = _patch_body(source[start:end], hunk, index, path)
        source, delta = source[:start] + body + source[end:], len(body) - (end - start)
        spans = {name: (a + delta, b + delta) if a >= end else (a, b + delta) if a == start else (a, b)
                 for name, (a, b) in spans.items()}
        patched.append(hunk.function)
    for name in dict.fromkeys(patched):
        start, end = spans[name]
        try:
            compile(source[start:end], "<mutant>", "exec")
        except SyntaxError as exc:
            line = source.count("\n", 0, start) + (exc.lineno or 1)
            raise PatchError(f"the patched source does not compile: {exc.msg} "
                             f"(line {line}: {(exc.text or '').strip()!r})", len(hunks) - 1, "replace") from None
    return source


def build_module(source: str, filename: str, name: str = "mutagrad_mutant") -> types.ModuleType:
    """Execute `source` as a fresh module whose tracebacks show `filename`'s lines."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)  # mtime None: never evicted
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(_compiled(source, filename), module.__dict__)
    return module


COMPILED_KEPT = 4  # a mutant and its autograd twin, built again for every configuration: compiled once


@functools.lru_cache(maxsize=COMPILED_KEPT)
def _compiled(source: str, filename: str) -> types.CodeType:
    """`source` compiled (code objects are immutable: each module still runs it afresh)."""
    return compile(source, filename, "exec")


def mutant_filename(mutant_id: str) -> str:
    return f"<mutant {mutant_id}>"


def mutant_source(entry, reference: str | None = None) -> str:
    """The source of `entry`'s target (mlp.py or its file) with the entry's patch applied."""
    if reference is None:
        reference = entry.target.source if entry.target is not None else reference_source()
    return apply_patch(reference, entry.patch, target_path(entry))


def target_path(entry) -> str:
    """How diffs and messages name the file `entry` patches."""
    return REFERENCE_PATH if entry.target is None else entry.target.name


def mutant_module(entry, reference: str | None = None) -> types.ModuleType:
    """The mutant of `entry` as a fresh, importable-looking module."""
    name = "mutagrad_mutant_" + entry.id.replace("-", "_")
    return build_module(mutant_source(entry, reference), mutant_filename(entry.id), name)


def entry_diff(entry) -> str:
    """The unified diff of the file `entry` patches (mlp.py or its target) against its mutant."""
    reference = reference_source() if entry.target is None else entry.target.source
    return unified_diff(reference, mutant_source(entry, reference), entry.id, path=target_path(entry))


def unified_diff(reference: str, mutant: str, mutant_id: str, context: int = 3, path: str = REFERENCE_PATH) -> str:
    """The reference (the file at `path`) vs the mutant, as a unified diff."""
    return "".join(difflib.unified_diff(
        reference.splitlines(keepends=True), mutant.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}", tofiledate=mutant_filename(mutant_id),
        n=context))  # `patch -p1` or `git apply` can plant the bug in a copy of the repository


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= limit else one[:limit - 3] + "...")
