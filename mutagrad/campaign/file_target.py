"""A catalog whose patches apply to a user's model file instead of mutagrad/mlp.py.

`mutagrad generate operators --file F` writes each catalog file as a mapping: `target` names the
file (its path relative to the catalog file), the sha256 of its bytes and its LAYER_DIMS, and
`entries` holds the entries as usual. Loading checks the digest, so a file changed since the
mutants were generated is a one-line error instead of wrong results. The file is read here,
never run: it runs only in a sandboxed server (execution/remote.py), mutated or not.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np

from .catalog_yaml import child, explain, line_of
from .configs import Config
from ..check.model_file import MAX_MODEL_BYTES
from ..errors import CatalogError, MutagradError

FILE_CONFIG = "file"  # the one configuration of a file target: the file's own LAYER_DIMS, data and parameters
FORCED_FACTOR = 2.0  # the gate's broken gradient: every array the file's backward returns, doubled
HEADER_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["target", "entries"],
    "properties": {
        "target": {
            "type": "object",
            "additionalProperties": False,
            "required": ["file", "sha256", "layer_dims"],
            "properties": {
                "file": {"type": "string", "minLength": 1},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "layer_dims": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1}},
            },
        },
        "entries": {"type": "array"},
    },
}


@dataclass(frozen=True)
class FileTarget:
    """The model file a catalog's patches apply to, as verified when the catalog was loaded."""
    file: str  # as messages and diffs name it: the path written in the catalog
    path: str  # resolved
    sha256: str
    layer_dims: tuple[int, ...]
    source: str = field(repr=False, compare=False)  # the verified text (the digest stands for it)

    @property
    def name(self) -> str:
        """The file's name, as diffs name it (`git apply` in its folder plants the mutant)."""
        return Path(self.file).name

    @property
    def config(self) -> Config:
        """The one configuration its mutants run in: the file's own sizes (hidden/output are the file's)."""
        return Config(FILE_CONFIG, "", "", self.layer_dims)

    def header(self) -> dict:
        """The `target` mapping of a catalog file."""
        return {"file": self.file, "sha256": self.sha256, "layer_dims": list(self.layer_dims)}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> str:
    """The file's text as Path.read_text gives it (universal newlines), so patches find the same text."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def read_target(data: dict, node, label: str, catalog_file: Path) -> FileTarget:
    """The verified target of a catalog file written as {target, entries}; CatalogError naming the line."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(HEADER_SCHEMA).iter_errors(data))
    if error is not None:
        line, name, message = explain(error, node)
        raise CatalogError(f"{label}:{line}: {name}{message}")
    header, where = data["target"], child(node, "target")
    file_line = line_of(child(where, "file"))
    path = Path(catalog_file).parent / header["file"]
    try:
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise CatalogError(f"{label}:{file_line}: field 'target.file': {path}: too large for a model file "
                               f"(at most {MAX_MODEL_BYTES // 2 ** 20} MB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{label}:{file_line}: field 'target.file': {path}: no such file "
                           f"(the path is relative to the catalog file)") from None
    except OSError as exc:
        raise CatalogError(f"{label}:{file_line}: field 'target.file': {path}: cannot read it: "
                           f"{exc.strerror or exc}") from None
    if digest(raw) != header["sha256"]:
        raise CatalogError(f"{label}:{line_of(child(where, 'sha256'))}: field 'target.sha256': {path} changed "
                           f"since its mutants were generated (sha256 {digest(raw)[:12]}..., the catalog has "
                           f"{header['sha256'][:12]}...); generate them again")
    try:
        source = decode(raw)
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{label}:{file_line}: field 'target.file': {path}: not UTF-8 text: {exc.reason}") \
            from None
    return FileTarget(file=header["file"], path=str(path.resolve()), sha256=header["sha256"],
                      layer_dims=tuple(header["layer_dims"]), source=source)


def common_target(entries) -> FileTarget | None:
    """The one target of `entries` (None: mlp.py); CatalogError when they patch different files."""
    targets = {e.target for e in entries}
    if len(targets) > 1:
        names = sorted(t.file if t is not None else "mutagrad/mlp.py" for t in targets)
        raise CatalogError(f"the catalog mixes entries for {names[0]} and {names[1]}: "
                           f"run each file's catalog on its own (--catalog)")
    return next(iter(targets), None)


def load_file_model(server, source: str, filename: str, name: str, config: Config):
    """The Model of `source` (a model file, or its mutant) loaded in `server`, as `mutagrad check` builds it."""
    from ..check.sandboxed import load_source_model

    model, _ = load_source_model(server, source, filename, name)
    if tuple(model.layer_dims) != tuple(config.layer_dims):
        raise MutagradError(f"{name}: LAYER_DIMS is {list(model.layer_dims)}, the catalog's target has "
                            f"{list(config.layer_dims)}")
    return model


def forced_fail(model):
    """`model` with a wrong gradient made here from its own backward: every array it returns, doubled.

    No patch of the file is needed, so the gate proves the harness can fail any file's gradient.
    """
    backward = model.backward

    @functools.wraps(backward, assigned=("__name__", "__qualname__"), updated=())
    def doubled(*args, **kwargs):
        grads = backward(*args, **kwargs)
        if not isinstance(grads, dict):
            return grads  # the checker reports what the file returned
        return {k: FORCED_FACTOR * v if isinstance(v, np.ndarray) else v for k, v in grads.items()}

    doubled.__signature__ = inspect.signature(backward)
    return dataclasses.replace(model, backward=doubled, name="forced fail")


def run_file(target: FileTarget, config: Config, seed: int, check, limits: dict | None,
             broken: bool = False):
    """The unpatched file in its own server, checked by `check(model, config, seed)` as is or forced_fail'ed.

    limits: the server's cpu_seconds, memory_mb and sandbox. A file that raises while loading
    gives a ConfigRun with the error (no verdict).
    """
    from ..execution.remote import Server
    from ..records.campaign import ConfigRun

    limits, name = limits or {}, "forced fail" if broken else "reference"
    try:
        with Server(sandbox_choice=limits.get("sandbox", "auto"), cpu_seconds=limits.get("cpu_seconds"),
                    memory_mb=limits.get("memory_mb"), label=f"{name} {target.file}") as server:
            model = load_file_model(server, target.source, target.name, name, config)
            return check(forced_fail(model) if broken else model, config, seed)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the file raised while loading: no verdict
        return ConfigRun(config=config.name, seed=seed, verdict=None, error=f"{type(exc).__name__}: {exc}")
