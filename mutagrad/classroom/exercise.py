"""Classroom exercises: the reference network with one hidden backprop bug, and its answer and hint.

An exercise folder holds model.py (mutagrad/mlp.py with one catalogued bug applied, comments
stripped, in the `mutagrad check` protocol), README.md for the student, and .exercise.json:
the mutant id, its hint and components, the configuration and the check seed, as base64 of
zlib-compressed JSON with a checksum (and, in a class set, the instructor's seal: answer_key.py).
That keeps the answer out of sight; it deters, it does not secure (anyone can decode it, and
the reference network ships with mutagrad). Grading is in grading.py, class sets in class_set.py.
"""
from __future__ import annotations

import ast
import base64
import binascii
import hashlib
import io
import json
import re
import string
import tokenize
import zlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..campaign.catalog import COMPONENT, Catalog, Entry, load_catalog
from ..campaign.configs import Config
from ..errors import MutagradError
from ..execution.isolate import run_isolated
from ..campaign.mutate import apply_patch, build_module, reference_source
from ..check.protocol import check_model
from ..check.evaluator import Model
from ..records.check import CheckResult, Verdict

EXERCISE_FILE = ".exercise.json"
FORMAT = 1
CHECK_SEED = 0  # `mutagrad check model.py`'s default seed: the student sees what grade checks
CHECK_TIMEOUT = 60  # seconds for one blind check of a generated model.py (it takes well under one)
DIFFICULTIES = ("easy", "medium", "hard")
# Names or strings a patch adds that would tell the student where to look.
GIVEAWAY = re.compile(r"bug|wrong|fix|mutant|mutagrad|typo|oops|incorrect|broken|todo|hack", re.IGNORECASE)
DOCSTRING = '''"""A small L-layer network with hand-written backprop.

Conventions of the deeplearning.ai course: X is (n_x, m), W{l} is (n_l, n_{l-1}),
b{l} is (n_l, 1), parameters["W1"], grads["dW1"]. The three configuration lines below
fix the network you are graded on: keep them as they are.
"""
'''


@dataclass(frozen=True)
class Exercise:
    """What answer, hint and grade need; stored encoded in .exercise.json."""
    mutant_id: str
    category: str
    difficulty: str
    hint: str
    components: tuple[str, ...]  # the first wrong gradient, resolved for the configuration's depth
    config: Config
    seed: int = CHECK_SEED
    student: str | None = None

    def to_dict(self) -> dict:
        return {"format": FORMAT, "mutant_id": self.mutant_id, "category": self.category,
                "difficulty": self.difficulty, "hint": self.hint, "components": list(self.components),
                "config": self.config.to_dict(), "seed": self.seed, "student": self.student}


def strip_comments(source: str) -> str:
    """`source` without any # comment; lines that held only a comment are dropped."""
    lines = source.splitlines(keepends=True)
    dropped = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            code = lines[row - 1][:col].rstrip()
            if code:
                lines[row - 1] = code + "\n"
            else:
                dropped.add(row - 1)
    return "".join(line for i, line in enumerate(lines) if i not in dropped)


def _words(source: str) -> set[str]:
    return {t.string for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type in (tokenize.NAME, tokenize.STRING)}


def _docstrings(source: str) -> dict[str, str | None]:
    return {n.name: ast.get_docstring(n) for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


def giveaways(entry: Entry, reference: str | None = None) -> list[str]:
    """What in `entry`'s patch would point a student at the bug (comments are stripped anyway)."""
    reference = reference_source() if reference is None else reference
    mutant = apply_patch(reference, entry.patch)
    found = [f"adds {w!r}" for w in sorted(_words(mutant) - _words(reference)) if GIVEAWAY.search(w)]
    before = _docstrings(reference)
    changed = [name for name, doc in _docstrings(mutant).items() if doc != before.get(name)]
    return found + [f"changes the docstring of {name}()" for name in changed]


def network_source(config: Config, patch=()) -> str:
    """mlp.py with `patch` applied, set to `config`, without comments and with an exercise docstring."""
    source = strip_comments(apply_patch(reference_source(), patch) if patch else reference_source())
    doc = ast.parse(source).body[0]
    lines = source.splitlines(keepends=True)
    source = DOCSTRING + "".join(lines[doc.end_lineno:])
    for name, value in (("LAYER_DIMS", list(config.layer_dims)), ("HIDDEN_ACTIVATION", config.hidden),
                        ("OUTPUT_ACTIVATION", config.output)):
        line = f"{name} = " + repr(value).replace("'", '"')
        source, count = re.subn(rf"^{name} = .*$", lambda _, line=line: line, source, flags=re.MULTILINE)
        if count != 1:
            raise MutagradError(f"mutagrad/mlp.py: expected one line `{name} = ...`, found {count}")
    return source


def model_of(module, name: str) -> Model:
    """A module's functions as `mutagrad check` loads them from a model file."""
    return Model(forward=module.forward, backward=module.backward, layer_dims=tuple(module.LAYER_DIMS),
                 make_data=module.make_data, init_parameters=module.init_parameters, name=name,
                 source=module.__file__)


def blind_check(source: str, seed: int = CHECK_SEED) -> CheckResult:
    """What `mutagrad check model.py` says about `source`."""
    return check_model(model_of(build_module(source, "<exercise model.py>", "mutagrad_exercise"), "model.py"),
                       seed=seed)


def derived_difficulty(localized: str, depth: int, exposed_by: str | None) -> str:
    """easy/medium/hard from how deep the first wrong gradient is and which probe exposes it."""
    back = depth - int(localized[2:])  # 0 at the output layer
    score = min(back, 2) + (exposed_by not in (None, "initial"))  # needs lambd, dropout or the moved point
    return DIFFICULTIES[min(score, 2)]


class Chooser:
    """Picks usable (entry, configuration) pairs; remembers each blind check it ran."""

    def __init__(self, catalog: Catalog):
        if catalog.target is not None:
            raise MutagradError(f"--catalog {catalog.source}: its mutants patch {catalog.target.name}; "
                                f"exercises plant bugs in mutagrad/mlp.py")
        self.catalog = catalog
        self.reference = reference_source()
        self.checked: dict = {}

    def pool(self, category=None, difficulty=None) -> list[Entry]:
        entries = [e for e in self.catalog.select(categories=(category,) if category else ()) if e.detectable]
        return [e for e in entries if difficulty is None or self.difficulty(e) == difficulty]

    def check(self, entry: Entry, config: Config) -> CheckResult | None:
        """The blind check of the exercise, if nothing gives the bug away and the check finds it."""
        key = (entry.id, config.name)
        if key not in self.checked:
            if giveaways(entry, self.reference):
                self.checked[key] = None
                return None
            done = run_isolated(blind_check, network_source(config, entry.patch), timeout=CHECK_TIMEOUT)
            result = done.value if done.ok else None  # a catalog may be the user's: its code runs isolated
            found = (result is not None and result.verdict is Verdict.FAIL
                     and result.localized in entry.expected_components(config.depth))
            self.checked[key] = result if found else None
        return self.checked[key]

    def difficulty(self, entry: Entry) -> str:
        if entry.difficulty is not None:
            return entry.difficulty.value
        config = entry.configs()[0]
        result = self.check(entry, config)
        return "hard" if result is None else derived_difficulty(result.localized, config.depth, result.exposed_by)

    def pick(self, pool: list[Entry], rng: np.random.Generator) -> tuple[Entry, Config]:
        for i in rng.permutation(len(pool)):
            configs = pool[i].configs()
            for j in rng.permutation(len(configs)):
                if self.check(pool[i], configs[j]) is not None:
                    return pool[i], configs[j]
        raise MutagradError("no catalog entry fits: none is both caught by the checker and matches "
                            "the --category and --difficulty given")


def make(out, entry: Entry, config: Config, difficulty: str, student: str | None = None, seal=None) -> Exercise:
    """Write model.py, README.md and .exercise.json (sealed by `seal`, if given) into the folder `out`."""
    out = Path(out)
    ex = Exercise(mutant_id=entry.id, category=entry.category, difficulty=difficulty, hint=entry.hint,
                  components=entry.expected_components(config.depth), config=config, student=student)
    readme = string.Template(files("mutagrad.classroom").joinpath("templates/exercise_README.md").read_text(encoding="utf-8"))
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "model.py").write_text(network_source(config, entry.patch), encoding="utf-8")
        (out / "README.md").write_text(readme.substitute(
            who=f"For {student}.\n\n" if student else "", layers=list(config.layer_dims), hidden=config.hidden,
            output=config.output), encoding="utf-8")
        (out / EXERCISE_FILE).write_text(encode(ex, seal), encoding="utf-8")
    except OSError as exc:
        raise MutagradError(f"{out}: cannot write the exercise: {exc}") from exc
    return ex


def folder_is_free(out: Path) -> None:
    """Refuse to write over an exercise (a student's work, perhaps)."""
    if (out / "model.py").exists() or (out / EXERCISE_FILE).exists():
        raise MutagradError(f"{out}: already holds an exercise (model.py); choose another folder")


def new(out, *, seed: int = 0, category: str | None = None, difficulty: str | None = None,
        catalog=None) -> Exercise:
    """Create one exercise in `out` from a gradient bug of the catalog."""
    folder_is_free(Path(out))
    chooser = Chooser(load_catalog(catalog))
    entry, config = chooser.pick(chooser.pool(category, difficulty), np.random.default_rng(seed))
    return make(out, entry, config, chooser.difficulty(entry))


def _checksum(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def encode(ex: Exercise, seal=None) -> str:
    """.exercise.json's text: base64 of zlib of the JSON, a checksum against damage, and seal(payload) if given."""
    payload = base64.b64encode(zlib.compress(json.dumps(ex.to_dict(), sort_keys=True).encode())).decode()
    box = {"exercise": FORMAT, "payload": payload, "checksum": _checksum(payload)}
    if seal is not None:
        box["seal"] = seal(payload)
    return json.dumps(box, indent=2) + "\n"


def load(folder) -> Exercise:
    """The exercise of `folder`, from its .exercise.json."""
    path = Path(folder) / EXERCISE_FILE
    if not path.is_file():
        raise MutagradError(f"{folder}: no {EXERCISE_FILE} here: not an exercise folder "
                            f"(`mutagrad exercise new` makes one)")
    try:
        box = json.loads(path.read_text(encoding="utf-8"))
        if box.get("exercise") != FORMAT or _checksum(box["payload"]) != box["checksum"]:
            raise ValueError("checksum or format")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MutagradError(f"{path}: damaged ({type(exc).__name__}); ask for the exercise again") from exc
    return decode(box["payload"], path)


def decode(payload: str, path) -> Exercise:
    """The exercise in an .exercise.json payload (`path` names the file in errors)."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(payload, validate=True)))
        config = Config(data["config"]["name"], data["config"]["hidden"], data["config"]["output"],
                        tuple(data["config"]["layer_dims"]))
        return Exercise(mutant_id=data["mutant_id"], category=data["category"], difficulty=data["difficulty"],
                        hint=data["hint"], components=tuple(data["components"]), config=config,
                        seed=data["seed"], student=data["student"])
    except (ValueError, KeyError, TypeError, AttributeError, zlib.error, binascii.Error) as exc:
        raise MutagradError(f"{path}: damaged ({type(exc).__name__}); ask for the exercise again") from exc


def answer(folder, component: str) -> tuple[bool, str]:
    """Whether `component` (e.g. 'dW2') is the first wrong gradient, and the message to show."""
    ex = load(folder)
    depth = ex.config.depth
    match = COMPONENT.fullmatch(component)
    if not match or not match.group(2) or not 1 <= int(match.group(2)) <= depth:
        raise MutagradError(f"COMPONENT {component!r}: name a gradient as the check prints it, "
                            f"from dW1, db1 to dW{depth}, db{depth}")
    if component in ex.components:
        return True, f"right: {component} is the first wrong gradient in backprop order. Now fix it."
    return False, (f"wrong: {component} is not the first wrong gradient. Run `mutagrad check model.py`: "
                   f"the first failing component in backprop order (dW{depth}, db{depth}, dW{depth - 1}, ...) "
                   f"is the one")


def hint(folder) -> str:
    return load(folder).hint
