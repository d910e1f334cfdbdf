"""Grading a student's fixed model.py: it must pass the gradient check and match the original network.

A "fix" that bends the cost to fit a wrong backward passes the check but not the comparison:
at every probe of the checker (initial, moved, lambd > 0, keep_prob < 1 with the dropout
masks pinned), the student's cost and gradients must equal the unpatched reference's, in
the exercise's configuration, to GRADE_RTOL. The student's code runs in a sandboxed process.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..campaign.configs import Config
from ..errors import MutagradError, UserCodeError
from .exercise import CHECK_SEED, Exercise, load, model_of, network_source
from ..execution.isolate import DEFAULT_MEMORY_MB, run_isolated
from ..execution.remote import Server, wall_backstop
from ..execution.sandbox import non_dumpable, resolve as resolve_sandbox
from ..campaign.mutate import build_module
from ..check.protocol import check_model, moved_point, own_parameters, probes_for
from ..check.evaluator import Evaluator, Model
from ..records.check import Verdict

GRADE_TIMEOUT = 60  # CPU seconds for model.py's process (the check itself takes well under one)
WORKER_SLACK = 15.0  # seconds beyond the server's wall-clock backstop before the grading worker is stopped
GRADE_RTOL = 1e-10  # a real fix agrees with the reference to round-off (~1e-15); a bent one by far more


@dataclass(frozen=True)
class Grade:
    """grade's verdict: passed, and one line per reason."""
    passed: bool
    reasons: tuple[str, ...]


def reference_model(config: Config) -> Model:
    """The unpatched reference network, set to `config` the way an exercise's model.py is."""
    module = build_module(network_source(config), "<reference model.py>", "mutagrad_exercise_reference")
    return model_of(module, "the reference network")


def _differs(a, b) -> float:
    """Relative difference of two arrays (inf for a shape mismatch)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return np.inf
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return np.inf
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)))
    return float(np.linalg.norm(a - b)) / scale if scale else 0.0


def compare(model: Model, config: Config, seed: int = CHECK_SEED) -> list[str]:
    """Where `model`'s cost or gradients differ from the reference's at the checker's probes."""
    ref = reference_model(config)
    for hyper in ("lambd", "keep_prob"):
        if getattr(ref, f"accepts_{hyper}") and not getattr(model, f"accepts_{hyper}"):
            return [f"forward and backward must still take {hyper}, as the original model.py's do"]
    X, Y = ref.make_data(seed)
    start = own_parameters(ref.init_parameters(seed))
    points = {False: start, True: moved_point(start, seed)}
    problems = []
    for probe, moved, lambd, keep_prob in probes_for(ref, None, None):
        where = f"at the {probe} point" + {"lambd": f" (lambd = {lambd})",
                                           "dropout": f" (keep_prob = {keep_prob})"}.get(probe, "")
        mine, theirs = (Evaluator(m, X, Y, lambd, keep_prob, mask_seed=seed) for m in (model, ref))
        point = points[moved]
        try:
            cost = mine.cost(own_parameters(point))
            grads = mine.backward(own_parameters(point))
        except (UserCodeError, MutagradError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        J = theirs.cost(own_parameters(point))
        if _differs(cost, J) > GRADE_RTOL:
            problems.append(f"the cost differs from the original network's {where}: {cost:.10g} instead of "
                            f"{J:.10g}: fix backward to match the cost, do not change the cost to match backward")
            continue
        for key, value in theirs.backward(own_parameters(point)).items():
            if key not in grads:
                problems.append(f"{where}: grads has no {key!r}")
                break
            if _differs(grads[key], value) > GRADE_RTOL:
                problems.append(f"{key} differs from the original network's {where} "
                                f"(relative difference {_differs(grads[key], value):.1e})")
                break
    return problems


def grade(folder, exercise: Exercise | None = None, *, sandbox: str = "auto",
          memory_mb: int | None = DEFAULT_MEMORY_MB) -> Grade:
    """A student's model.py: it must pass the gradient check and match the reference network.

    The grade is computed in a forked trusted worker that loads the reference first and never
    runs model.py: model.py runs in a sandboxed server process (execution/remote.py, under
    bubblewrap when available: no view of the exercise folder) with GRADE_TIMEOUT CPU seconds
    and `memory_mb`; a crash, an endless loop or a huge allocation there fails the grade.
    `exercise` is the instructor's (answer_key.py); None takes the folder's own: a self-check.
    """
    ex = load(folder) if exercise is None else exercise
    path = (Path(folder) / "model.py").resolve()
    if not path.is_file():
        raise MutagradError(f"{folder}: no model.py here")
    resolve_sandbox(sandbox)  # a bad choice or a missing bwrap is bad input, said here
    done = run_isolated(_grade_in_process, path, ex, sandbox, memory_mb,
                        timeout=wall_backstop(GRADE_TIMEOUT) + WORKER_SLACK, memory_mb=memory_mb)
    if done.ok:
        return done.value
    if isinstance(done.exception, MutagradError):  # model.py does not load: bad input, as for `check`
        raise done.exception
    return Grade(False, (f"model.py could not be graded: {done.error}",))


def _grade_in_process(path: Path, ex: Exercise, sandbox: str, memory_mb) -> Grade:
    from ..check.sandboxed import load_remote_model

    non_dumpable()
    reference_model(ex.config)  # the reference is built before any of the student's code runs
    with Server(sandbox_choice=sandbox, cpu_seconds=GRADE_TIMEOUT, memory_mb=memory_mb, label="model.py") as server:
        model, env = load_remote_model(server, path, constants=("HIDDEN_ACTIVATION", "OUTPUT_ACTIVATION"))
        return _graded(model, env, ex)


def _graded(model: Model, env: dict, ex: Exercise) -> Grade:
    wanted = (list(ex.config.layer_dims), ex.config.hidden, ex.config.output)
    if (list(model.layer_dims), env.get("HIDDEN_ACTIVATION"), env.get("OUTPUT_ACTIVATION")) != wanted:
        return Grade(False, ((f"the configuration lines changed: restore LAYER_DIMS = {wanted[0]}, "
                              f"HIDDEN_ACTIVATION = {wanted[1]!r}, OUTPUT_ACTIVATION = {wanted[2]!r}"),))
    reasons = []
    result = check_model(model, seed=ex.seed)
    if result.verdict is Verdict.FAIL:
        reasons.append(f"the gradient check still fails: {result.hint}")
    problems = compare(model, ex.config, ex.seed)
    if len(problems) > 1:
        problems = [f"{problems[0]}; and at {len(problems) - 1} more probe{'s' if len(problems) > 2 else ''}"]
    reasons += problems
    if reasons:
        return Grade(False, tuple(reasons))
    return Grade(True, ((f"model.py passes the gradient check ({result.verdict.value}) and computes the same "
                         f"cost and gradients as the original network at every probe, to {GRADE_RTOL:g}"),))
