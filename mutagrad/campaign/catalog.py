"""Reading and validating the YAML catalog of backprop bugs into frozen records.

A catalog is a YAML file, or a folder of them, each holding a list of entries. Every entry
is checked against catalog_schema.json, its patch is applied to the reference's source, and
its `requires` must leave at least one campaign configuration; a bad entry raises
CatalogError naming the file, the line and the field. The built-in catalog is the package
`mutagrad.mutants` (the top-level folder mutants/ of the repository).
"""
from __future__ import annotations

import functools
import importlib.resources
import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import jsonschema
import yaml

from .catalog_yaml import child, explain, line_of, parse
from .configs import CONFIGS, configs_for, suits
from ..errors import CatalogError
from ..records.campaign import Expect  # noqa: F401 (re-exported: the catalog's field)
from .file_target import FileTarget, common_target, read_target
from .mutate import (REFERENCE_PATH, Hunk, PatchError, apply_patch, mutant_source, reference_source, target_path,
                     unified_diff)

BUILTIN = "built-in"  # how reports name the packaged catalog
COMPONENT = re.compile(r"d([Wb])(?:(\d+)|\{L(?:-(\d+))?\}|\{(l)\})")


class Difficulty(str, Enum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


@dataclass(frozen=True)
class Requires:
    """The model configuration in which the mutated line is live."""
    hidden: tuple[str, ...] | None = None  # None: any hidden activation
    output: tuple[str, ...] | None = None
    lambd: bool = False  # live only with lambd > 0
    keep_prob: bool = False  # live only with keep_prob < 1
    min_depth: int | None = None
    square_hidden: bool = False


@dataclass(frozen=True)
class Entry:
    """One catalogued bug: a patch of mutagrad/mlp.py (or of `target`) and what the checker should say about it."""
    id: str
    title: str
    category: str
    description: str
    hint: str
    patch: tuple[Hunk, ...]
    components: tuple[str, ...] = ()  # e.g. ("dW{L}",); empty for undetectable entries
    requires: Requires = Requires()
    expect: Expect = Expect.DETECTED
    difficulty: Difficulty | None = None
    reason: str | None = None  # why an undetectable entry is not a gradient bug
    location: str = ""  # "file:line" of the entry
    target: FileTarget | None = None  # the model file the patch applies to; None: mutagrad/mlp.py

    @property
    def detectable(self) -> bool:
        return self.expect is Expect.DETECTED

    def expected_components(self, depth: int) -> tuple[str, ...]:
        """`components` resolved for a network with `depth` weight layers."""
        return resolve_components(self.components, depth)

    def configs(self):
        """The campaign configurations this entry runs in (a file target's: its own, if `requires` allows)."""
        if self.target is not None:
            return tuple(c for c in (self.target.config,) if suits(c, self.requires, min_depth_of(self.components)))
        return configs_for(self.requires, min_depth_of(self.components))


@dataclass(frozen=True)
class Catalog:
    """Entries in file order, files in name order."""
    entries: tuple[Entry, ...]
    source: str = BUILTIN

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.category for e in self.entries))

    def get(self, mutant_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == mutant_id:
                return entry
        raise CatalogError(f"unknown mutant id {mutant_id!r} in the {self.source} catalog "
                           f"(`mutagrad list` shows the ids)")

    def select(self, ids=(), categories=()) -> tuple[Entry, ...]:
        """Entries named by id or in one of the categories (all of them when neither is given)."""
        for category in categories:
            if category not in self.categories:
                raise CatalogError(f"unknown category {category!r} in the {self.source} catalog "
                                   f"(categories: {', '.join(self.categories)})")
        wanted = {self.get(i).id for i in ids}
        if not ids and not categories:
            return self.entries
        return tuple(e for e in self.entries if e.id in wanted or e.category in categories)

    def details(self) -> dict[str, tuple[str, str]]:
        """{id: (description, diff against the file it patches)}: what report.html shows of each entry."""
        reference, found = reference_source(), {}
        for e in self.entries:
            source = e.target.source if e.target else reference
            found[e.id] = (e.description, unified_diff(source, mutant_source(e, source), e.id, path=target_path(e)))
        return found

    @property
    def target(self) -> FileTarget | None:
        """The model file every entry patches; None for mutagrad/mlp.py."""
        return common_target(self.entries)


def resolve_components(components, depth: int) -> tuple[str, ...]:
    """'dW{L}', 'db{L-1}', 'dW2', 'dW{l}' (any hidden layer) -> concrete names for depth L."""
    names = []
    for text in components:
        kind, literal, minus, any_hidden = COMPONENT.fullmatch(text).groups()
        if any_hidden:
            layers = range(depth - 1, 0, -1)
        elif literal:
            layers = [int(literal)]
        else:
            layers = [depth - int(minus or 0)]
        names += [f"d{kind}{l}" for l in layers if 1 <= l <= depth]
    return tuple(dict.fromkeys(names))


def min_depth_of(components) -> int:
    """The least depth L at which every component names a layer."""
    need = 1
    for text in components:
        _, literal, minus, any_hidden = COMPONENT.fullmatch(text).groups()
        if literal:
            need = max(need, int(literal))
        elif any_hidden:
            need = max(need, 2)  # at least one hidden layer
        else:
            need = max(need, int(minus or 0) + 1)
    return need


def builtin_catalog():
    """The packaged catalog folder (a Traversable; a real folder for ordinary installs)."""
    return importlib.resources.files("mutagrad.mutants")


def load_catalog(path=None) -> Catalog:
    """Load and validate a catalog: a YAML file, a folder of them, or the built-in one."""
    if path is None:
        files = sorted((f for f in builtin_catalog().iterdir() if f.name.endswith((".yaml", ".yml"))),
                       key=lambda f: f.name)
        source = BUILTIN
    else:
        root = Path(path)
        try:
            root.stat()
        except FileNotFoundError:
            raise CatalogError(f"{root}: no such file or folder") from None
        except OSError as exc:  # a symlink loop, a folder without permission, ...
            raise CatalogError(f"{root}: cannot read it: {exc.strerror}") from None
        if root.is_dir():
            files = sorted(list(root.glob("*.yaml")) + list(root.glob("*.yml")), key=lambda f: f.name)
            if not files:
                raise CatalogError(f"{root}: no .yaml files in this folder")
        elif root.is_file():
            files = [root]
        else:
            raise CatalogError(f"{root}: no such file or folder")
        source = str(root)
    reference = reference_source()
    entries, seen, first = [], {}, None  # first: (target, YAML file) of the first file with entries
    for f in files:
        loaded = load_file(f, reference)
        if first is None and loaded:
            first = (loaded[0].target, f)
        if loaded and loaded[0].target != first[0]:  # one file's mutants per catalog
            raise CatalogError(f"{f}: its entries patch {_target_name(loaded[0].target)}, those of {first[1]} "
                               f"patch {_target_name(first[0])}: a catalog holds one file's mutants")
        for entry in loaded:
            if entry.id in seen:
                raise CatalogError(f"{entry.location}: entry {entry.id!r}: field 'id': duplicate id, "
                                   f"first defined at {seen[entry.id]}")
            seen[entry.id] = entry.location
            entries.append(entry)
    if not entries:
        raise CatalogError(f"{source}: the catalog has no entries")
    return Catalog(entries=tuple(entries), source=source)


def _target_name(target: FileTarget | None) -> str:
    return REFERENCE_PATH if target is None else target.name


def load_file(path, reference: str | None = None) -> list[Entry]:
    """The validated entries of one YAML file."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{label}: cannot read it: {exc}") from exc
    root, data = parse(text, label)
    target = None
    if isinstance(data, dict) and isinstance(root, yaml.MappingNode) and "target" in data:
        target = read_target(data, root, label, Path(str(path)))  # a user's model file's mutants
        data, root = data["entries"], child(root, "entries")
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise CatalogError(f"{label}:{line_of(root)}: expected a list of entries (each starting with '- id:')")
    reference = target.source if target else reference_source() if reference is None else reference
    return [_entry(item, node, label, reference, target) for item, node in zip(data, root.value)]


@functools.cache  # the parsed schema never changes
def _validator() -> jsonschema.Draft202012Validator:
    text = importlib.resources.files("mutagrad.campaign").joinpath("catalog_schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _entry(item, node, label: str, reference: str, target: FileTarget | None = None) -> Entry:
    """Validate one entry (schema, patch, configurations) and build its record; `reference`: the target's text."""
    where = f"{label}:{line_of(node)}"
    name = repr(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) else "without an id"
    error = jsonschema.exceptions.best_match(_validator().iter_errors(item))
    if error is not None:
        line, field, message = explain(error, node)
        raise CatalogError(f"{label}:{line}: entry {name}: {field}{message}")
    hunks = item["patch"] if isinstance(item["patch"], list) else [item["patch"]]
    patch = tuple(Hunk(h["function"], h["find"], h["replace"]) for h in hunks)
    try:
        apply_patch(reference, patch, _target_name(target))
    except PatchError as exc:
        patch_node = child(node, "patch")
        hunk_node = patch_node.value[exc.hunk] if isinstance(patch_node, yaml.SequenceNode) else patch_node
        field = "patch" + (f"[{exc.hunk}]" if isinstance(patch_node, yaml.SequenceNode) else "") + "." + exc.field
        raise CatalogError(f"{label}:{line_of(child(hunk_node, exc.field))}: entry {name}: "
                           f"field {field!r}: {exc}") from None
    req = item.get("requires", {})
    entry = Entry(
        id=item["id"], title=item["title"].strip(), category=item["category"],
        description=item["description"].strip(), hint=item["hint"].strip(), patch=patch,
        components=tuple(item.get("components", ())),
        requires=Requires(hidden=tuple(req["hidden"]) if "hidden" in req else None,
                          output=tuple(req["output"]) if "output" in req else None,
                          lambd=req.get("lambd", False), keep_prob=req.get("keep_prob", False),
                          min_depth=req.get("min_depth"), square_hidden=req.get("square_hidden", False)),
        expect=Expect(item.get("expect", "detected")),
        difficulty=Difficulty(item["difficulty"]) if "difficulty" in item else None,
        reason=item.get("reason", "").strip() or None, location=where, target=target)
    if not entry.configs():
        known = (f"{target.file} in its layer sizes {list(target.layer_dims)}" if target
                 else ", ".join(c.name for c in CONFIGS))
        raise CatalogError(f"{label}:{line_of(child(node, 'requires') or node)}: entry {name}: field 'requires': "
                           f"no campaign configuration satisfies it with components {list(entry.components)} "
                           f"(configurations: {known})")
    return entry
