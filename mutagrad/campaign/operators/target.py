"""What the operators mutate: the reference mlp.py in the campaign's configurations, or a user's model file.

A Target holds the source text, the settings it is classified in (each campaign configuration
for mlp.py; the file's own LAYER_DIMS for a model file), and how a module built from a source
becomes a evaluator.Model in one setting. `autograd_source` is the same code with `np` bound to
autograd.numpy, the oracle's way to differentiate the mutant's own cost.
"""
from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..configs import CONFIGS, Config
from ..file_target import FILE_CONFIG, decode, digest
from ..mutate import REFERENCE_PATH, build_module, reference_source
from ...check.model_file import load_model
from ...check.protocol import moved_point, own_parameters, probes_for
from ...check.evaluator import Evaluator, Model
from ...errors import MutagradError

NUMPY_IMPORT = "import numpy as np"
AUTOGRAD_IMPORT = "import autograd.numpy as np"


@dataclass(frozen=True)
class Target:
    """A source to mutate, the settings to classify its mutants in, and how to build a Model."""
    label: str  # how messages and entries name it
    source: str
    settings: tuple[Config, ...]
    build: Callable[[str, str, Config], Model]  # (source, name, setting) -> Model
    is_reference: bool = True  # mutants of mlp.py; else of the file at `path`
    path: str | None = None  # a model file's resolved path
    sha256: str | None = None  # of the file's bytes: `mutagrad run` refuses a changed file

    def model(self, source: str, name: str, setting: Config) -> Model:
        return self.build(source, name, setting)


def reference_target() -> Target:
    """mutagrad/mlp.py in every campaign configuration."""
    return Target(REFERENCE_PATH, reference_source(), CONFIGS, _build_reference)


def _build_reference(source: str, name: str, config: Config) -> Model:
    from ..runner import model_for  # the runner binds a configuration exactly this way
    return model_for(build_module(source, f"<{name}>", "mutagrad_operator_mutant"), config, name, f"<{name}>")


def file_target(path, label: str | None = None) -> Target:
    """A user's model file (the `mutagrad check` protocol) in its own layer sizes.

    It runs the file in this process: `generate operators --file` calls it only inside the sandbox
    (operators/inside.py). label: how messages name the file (default: `path` as given).
    """
    path = Path(path)
    model = load_model(path, label=label)  # raises a one-line MutagradError for a bad file
    setting = Config(FILE_CONFIG, "", "", tuple(model.layer_dims))
    raw = path.read_bytes()
    return Target(label or str(path), decode(raw), (setting,), _build_file, is_reference=False,
                  path=str(path.resolve()), sha256=digest(raw))


def _build_file(source: str, name: str, setting: Config) -> Model:
    with tempfile.TemporaryDirectory(prefix="mutagrad-operators-") as folder:
        path = os.path.join(folder, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        return load_model(path, layers=setting.layer_dims, label=name)  # executed now: the file can go


def autograd_source(source: str, label: str) -> str:
    """`source` with its numpy import bound to autograd.numpy; MutagradError if it has none."""
    if source.count(NUMPY_IMPORT + "\n") != 1:
        raise MutagradError(f"{label}: the oracle needs exactly one line `{NUMPY_IMPORT}` to bind np to "
                            f"autograd.numpy")
    return source.replace(NUMPY_IMPORT + "\n", AUTOGRAD_IMPORT + "\n", 1)


@dataclass(frozen=True)
class Point:
    """One probe of the checker: data, parameters and hyperparameters, at one seed."""
    probe: str
    seed: int
    X: object
    Y: object
    parameters: dict
    lambd: float
    keep_prob: float


def points(model: Model, seeds) -> list[Point]:
    """Every probe the checker runs on `model`, at each seed, in its order."""
    found = []
    for seed in seeds:
        X, Y = model.make_data(seed)
        start = own_parameters(model.init_parameters(seed))
        moved = moved_point(start, seed)
        for name, is_moved, lambd, keep_prob in probes_for(model, None, None):
            found.append(Point(name, seed, X, Y, moved if is_moved else start, lambd, keep_prob))
    return found


def evaluator(model: Model, point: Point) -> Evaluator:
    """The checker's evaluator at `point`: dropout masks pinned by reseeding before every call."""
    return Evaluator(model, point.X, point.Y, point.lambd, point.keep_prob, mask_seed=point.seed)


def covered_lines(model: Model, seeds) -> set[int]:
    """Lines of the model's own source that forward and backward run at the checker's probes."""
    lines, mine = set(), {}
    wanted = os.path.realpath(model.source)

    def tracer(frame, event, arg):
        name = frame.f_code.co_filename
        if name not in mine:
            mine[name] = os.path.realpath(name) == wanted
        if not mine[name]:
            return None
        if event == "line":
            lines.add(frame.f_lineno)
        return tracer

    for point in points(model, seeds):
        ev = evaluator(model, point)
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            ev.backward(point.parameters)
        finally:
            sys.settrace(previous)
    return lines
