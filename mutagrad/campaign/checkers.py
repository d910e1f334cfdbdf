"""Which gradient checker a campaign measures: mutagrad's own, a built-in peer, or one the user wrote.

A checker is a callable `check(forward, backward, parameters, X, Y)` that gets the mutant's
functions (bound to one configuration) and answers True / False (True: the gradients look
right) or {"verdict": "pass" | "fail", "localized": "dW2" | None}. A user's checker is
untrusted code: the parent only checks that its file parses and defines the function; the
file is executed in the child that runs the mutant, and `call_checker` is the one place that
calls it. Its answer comes back as plain data and is validated (`parse_answer`); a checker
that raises, or answers anything else, gives an error status, never a detection.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MutagradError
from ..records.check import Verdict
from ..records.campaign import ConfigRun

DEFAULT = "mutagrad"  # the checker a campaign measures when no --checker is given
BUILTIN = {  # name -> function in builtin_checkers.py (mutagrad's own runs check/protocol.py directly)
    "course": "course_check",
    "notes-1e-3": "notes_check",
    "torch-gradcheck": "torch_gradcheck",
    "torch-gradcheck-fast": "torch_gradcheck_fast",
}
NEEDS_TORCH = ("torch-gradcheck", "torch-gradcheck-fast")
TORCH_PIN = "torch==2.13.0"  # the `bench` extra's pin: a local CPU wheel, never an unpinned CUDA build
COMPONENT = re.compile(r"d[A-Za-z_]+\d+")  # dW2, db1: what a checker may name as the first wrong gradient
ANSWER_KEYS = {"verdict", "localized"}


class CheckerError(MutagradError):
    """A --checker SPEC that cannot be used: unknown name, missing file or function, torch absent."""


class CheckerAnswerError(Exception):
    """A checker that raised or answered something other than the protocol's data (an error status)."""


@dataclass(frozen=True)
class Checker:
    """A checker by name: a built-in, or `file.py:function` / `package.module:function`."""
    name: str  # as the user wrote it: the name in tables, report.json and the journal
    path: str | None = None  # a user's file
    module: str | None = None  # a user's (or builtin_checkers') module
    function: str | None = None

    @property
    def native(self) -> bool:
        """mutagrad's own checker, which gets the whole Model (probes, moved points, lambd, dropout)."""
        return self.name == DEFAULT

    @property
    def builtin(self) -> bool:
        return self.native or self.name in BUILTIN

    def load(self):
        """The callable: executes the user's file or imports the module (in the child, for a user's)."""
        if self.path is not None:
            spec = importlib.util.spec_from_file_location(f"mutagrad_user_checker_{Path(self.path).stem}", self.path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(self.module)
        fn = getattr(module, self.function, None)
        if not callable(fn):
            raise CheckerAnswerError(f"{self.name}: {self.function} is not a function")
        return fn


MUTAGRAD = Checker(DEFAULT)


def resolve(spec: str) -> Checker:
    """The Checker a --checker SPEC names; CheckerError (one line) when it cannot be used.

    A user's file is parsed, not executed: it runs only in the child that runs each mutant.
    """
    spec = spec.strip()
    if spec == DEFAULT:
        return MUTAGRAD
    if spec in BUILTIN:
        if spec in NEEDS_TORCH:
            try:
                import torch  # noqa: F401 (imported once here, so every forked child has it loaded)
            except ImportError:
                raise CheckerError(f"--checker {spec}: needs torch, which is not installed "
                                   f"(pip install '{TORCH_PIN}', or pip install -e '.[bench]')") from None
        return Checker(spec, module=f"{__package__}.builtin_checkers", function=BUILTIN[spec])
    where, sep, function = spec.rpartition(":")
    if not sep or not where or not function.isidentifier():
        raise CheckerError(f"--checker {spec}: expected a built-in name ({', '.join([DEFAULT, *BUILTIN])}), "
                           f"path/to/file.py:function or package.module:function")
    if where.endswith(".py") or "/" in where or "\\" in where:
        return Checker(spec, path=str(Path(where).resolve()), function=_defined_in_file(spec, Path(where), function))
    found = _module_file(where)
    if found is None:
        raise CheckerError(f"--checker {spec}: no Python module {where} on the path")
    _defined_in_file(spec, found, function)
    return Checker(spec, module=where, function=function)


def _module_file(name: str) -> Path | None:
    """The .py file of module `name`, found without importing it or its packages (their code is untrusted)."""
    top, *rest = name.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: located, not imported
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    for folder in spec.submodule_search_locations or ():
        path = Path(folder, *rest)
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _defined_in_file(spec: str, path: Path, function: str) -> str:
    """`function` if `path` parses and defines it at top level (the file is not executed)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckerError(f"--checker {spec}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        tree = ast.parse(source, str(path))
    except SyntaxError as exc:
        raise CheckerError(f"--checker {spec}: {path}:{exc.lineno}: {exc.msg}") from None
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    bound = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    bound |= {(a.asname or a.name).split(".")[0] for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
              for a in n.names}
    if function not in names and function not in bound:
        raise CheckerError(f"--checker {spec}: {path} defines no function {function!r} "
                           f"(functions: {', '.join(names) or 'none'})")
    return function


def resolve_all(specs) -> tuple[Checker, ...]:
    """The checkers of repeated --checker options, in order; mutagrad's alone when none is given."""
    checkers = tuple(resolve(s) for s in specs) or (MUTAGRAD,)
    names = [c.name for c in checkers]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CheckerError(f"--checker {twice[0]} is given twice")
    return checkers


def parse_answer(raw, gradients) -> tuple[Verdict, str | None]:
    """(verdict, localized) from a checker's answer; CheckerAnswerError unless it is the protocol's data."""
    if isinstance(raw, (bool, np.bool_)):
        return (Verdict.PASS if raw else Verdict.FAIL), None
    if not isinstance(raw, dict) or not set(raw) <= ANSWER_KEYS or "verdict" not in raw:
        raise CheckerAnswerError(f"the checker answered {_short(raw)}: expected True/False or "
                                 f'{{"verdict": "pass"|"fail", "localized": "dW2"|None}}')
    verdict, localized = raw["verdict"], raw.get("localized")
    if verdict not in ("pass", "fail"):
        raise CheckerAnswerError(f'the checker answered verdict {_short(verdict)}: expected "pass" or "fail"')
    if localized is not None and (type(localized) is not str or localized not in gradients):
        raise CheckerAnswerError(f"the checker localized {_short(localized)}: expected one of "
                                 f"{', '.join(gradients)} or None")
    if verdict == "pass" and localized is not None:
        raise CheckerAnswerError(f"the checker passed the gradients but localized {localized}")
    return Verdict(verdict), localized


def call_checker(checker: Checker, model, seed: int, config: str, expected=()) -> ConfigRun:
    """Run a (non-native) checker on one model in its child; only its validated answer is kept.

    The checker gets the mutant's forward and backward, private copies of the parameters at
    initialization and the data, all from `seed`; dropout masks are pinned (every forward call
    draws the same ones), so what it sees is reproducible.
    """
    start = time.perf_counter()
    try:
        X, Y = model.make_data(seed)
        parameters = model.init_parameters(seed)
        gradients = tuple("d" + k for k in parameters)
        fn = checker.load()
        np.random.seed(seed)  # a checker drawing from the legacy global RNG is reproducible too
        raw = fn(_pinned(model.forward, seed), model.backward, {k: np.array(v, copy=True) for k, v in
                                                                 parameters.items()}, X, Y)
        verdict, localized = parse_answer(raw, gradients)
    except MemoryError:
        raise  # the process crashed (isolate.py records it)
    except CheckerAnswerError as exc:
        return ConfigRun(config=config, seed=seed, verdict=None, expected=tuple(expected),
                         error=f"{checker.name}: {exc}", seconds=time.perf_counter() - start)
    except Exception as exc:  # the checker (or the code it called) raised: an error, not a detection
        return ConfigRun(config=config, seed=seed, verdict=None, expected=tuple(expected),
                         error=f"{checker.name} raised {type(exc).__name__}: {exc}{_where(exc)}",
                         seconds=time.perf_counter() - start)
    return ConfigRun(config=config, seed=seed, verdict=verdict, localized=localized, expected=tuple(expected),
                     seconds=time.perf_counter() - start)


def accept(run: ConfigRun) -> ConfigRun:
    """A run that came back from a child, kept only if it is the data call_checker builds."""
    fine = (isinstance(run, ConfigRun) and (run.verdict is None or isinstance(run.verdict, Verdict))
            and (run.localized is None or (type(run.localized) is str and COMPONENT.fullmatch(run.localized)))
            and (run.verdict is Verdict.FAIL or run.localized is None) and not run.components)
    if fine:
        return run
    config = getattr(run, "config", "?")
    return ConfigRun(config=config if type(config) is str else "?", seed=0, verdict=None,
                     error="the checker's result is not valid data")


def _pinned(forward, seed: int):
    """forward with its dropout RNG pinned to `seed` on every call, unless the caller passes one."""
    try:
        takes_rng = "rng" in inspect.signature(forward).parameters
    except (TypeError, ValueError):
        takes_rng = False
    if not takes_rng:
        return forward

    def pinned_forward(X, Y, parameters, *args, **kwargs):
        if len(args) < 3:  # forward(X, Y, parameters, lambd, keep_prob, rng): rng not given by position
            kwargs.setdefault("rng", np.random.default_rng(seed))
        return forward(X, Y, parameters, *args, **kwargs)
    return pinned_forward


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
