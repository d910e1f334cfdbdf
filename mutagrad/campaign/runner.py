"""A campaign: the sanity gate, a blind check of every mutant, and the reference's false-alarm runs.

The checker never sees a catalog entry. For each mutant the runner builds the patched module,
binds one configuration (hidden=, output=, layer sizes) into a evaluator.Model, and calls the
same protocol.check_model everyone gets; only afterwards does it compare the verdict and the
localization with the entry. `run_mutant` is a pure function of its arguments: each mutant
runs in its own forked trusted worker (isolate.py), which checks it while the mutant's code runs
in a sandboxed server process (execution/remote.py) with CPU and memory limits, so one that
hangs or kills its process is recorded as `timeout` or `crashed` and the run goes on. The
reference runs are mutagrad's own code and run in the worker.
Results come back in catalog order whatever the number of jobs; each is journaled as it arrives
(journal.py), so an interrupted run can be resumed.
"""
from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
import types

from .catalog import BUILTIN, Entry
from .checkers import MUTAGRAD, Checker, accept, call_checker
from .configs import CONFIGS, REFERENCE_SEEDS, Config
from .file_target import common_target, load_file_model, run_file
from ..errors import MutagradError
from ..execution.isolate import DEFAULT_MEMORY_MB, Isolated, Status, run_each, run_isolated
from ..execution.remote import RemoteError, Server, wall_backstop
from ..execution.sandbox import non_dumpable, resolve as resolve_sandbox
from .journal import Journal, run_identity, task_key
from .mutate import Hunk, apply_patch, build_module, mutant_filename, mutant_source, reference_source
from ..check.protocol import check_model, validate_options
from ..check.evaluator import Model
from ..records.check import CheckResult
from ..records.campaign import ComponentScore, ConfigRun, GateResult, MutantResult, Outcome, RunResult
from ..records.comparison import Comparison

# The gate's deliberately broken gradient: the output delta doubled, wrong at every probe.
FORCED_FAIL = (Hunk("backward", "dZL = AL - Y", "dZL = 2 * (AL - Y)"),)
REFERENCE_NAME = "<reference mutagrad/mlp.py>"
BACKWARD_SIDE = ("backward", "activation_backward", "update_parameters")
TIMEOUT_FLOOR = 10.0  # seconds: the default time limit per mutant is never shorter
TIMEOUT_FACTOR = 20  # default time limit: this many times the gate's reference check, if longer
WORKER_SLACK = 15.0  # seconds beyond a mutant server's wall-clock backstop before its worker is stopped
MUTANT_ROLES = {name: (name,) for name in ("forward", "backward", "make_data", "init_parameters")}
CHECKPOINT_SECONDS = 1.0  # at most this often, `checkpoint` gets the partial result
# ... and only after CHECKPOINT_RATIO times as long as the last checkpoint took: partial reports
# of a long campaign grow with it, and paced this way they cost at most 1/CHECKPOINT_RATIO of
# the run instead of a quadratic total. The journal, written at once, is the durable record.
CHECKPOINT_RATIO = 20
# Without the seconds: the default limit is measured, and report.json stays deterministic.
TIMEOUT_MESSAGE = "no result within the time limit (--timeout): an infinite loop?"
GATE_TIMEOUT = 300.0  # seconds for each gate check of a checker other than mutagrad's (it runs in a child)


class SanityGateError(MutagradError):
    """The harness cannot tell a correct gradient from a wrong one: no mutant is judged."""


class CampaignInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a campaign; `result` is the partial RunResult of what finished."""

    def __init__(self, result: RunResult):
        super().__init__("interrupted")
        self.result = result


def model_for(module, config: Config, name: str, source: str | None = None) -> Model:
    """The module's forward/backward/make_data/init_parameters bound to one configuration."""
    dims = tuple(config.layer_dims)
    bind = {"hidden": config.hidden, "output": config.output}
    return Model(
        forward=functools.partial(module.forward, **bind),
        backward=functools.partial(module.backward, **bind),
        layer_dims=dims,
        make_data=functools.partial(module.make_data, layer_dims=list(dims), output=config.output),
        init_parameters=functools.partial(module.init_parameters, layer_dims=list(dims), hidden=config.hidden),
        name=name, source=source)


def check_config(module, config: Config, seed: int, name: str, expected=(), source=None,
                 checker: Checker = MUTAGRAD, mode: str = "auto") -> ConfigRun:
    """One blind check of `module` in `config`, summarized; a checker error becomes `error`."""
    return check_bound(model_for(module, config, name, source), config, seed, expected, checker, mode)


def check_bound(model: Model, config: Config, seed: int, expected=(), checker: Checker = MUTAGRAD,
                mode: str = "auto") -> ConfigRun:
    """One blind check of a model already bound to `config` (check_config's), summarized."""
    if not checker.native:
        return call_checker(checker, model, seed, config.name, expected)
    start = time.perf_counter()
    try:
        result = check_model(model, seed=seed, config=config.to_dict(), mode=mode)
    except MutagradError as exc:
        return ConfigRun(config=config.name, seed=seed, verdict=None, expected=tuple(expected),
                         error=str(exc), seconds=time.perf_counter() - start)
    return summarize(result, config.name, seed, expected, time.perf_counter() - start)


def summarize(result: CheckResult, config: str, seed: int, expected=(), seconds: float = 0.0) -> ConfigRun:
    """The part of a CheckResult a campaign keeps."""
    return ConfigRun(
        config=config, seed=seed, verdict=result.verdict, localized=result.localized,
        expected=tuple(expected), exposed_by=result.exposed_by,
        components=tuple(ComponentScore(c.name, c.status, c.rel_error, c.margin, c.probe,
                                         c.diagnosis or (c.message if c.rel_error is None else None),
                                         c.taylor_order)
                         for c in result.components),
        raised=result.error, seconds=seconds)


def run_mutant(entry: Entry, seed: int = 0, configs: tuple[Config, ...] | None = None, *,
               checker: Checker = MUTAGRAD, mode: str = "auto", cpu_seconds: float | None = None,
               memory_mb: int | None = DEFAULT_MEMORY_MB, sandbox: str = "auto") -> MutantResult:
    """Check the mutant of `entry` blind in each configuration its `requires` allows (mode: the checker's).

    The mutant runs in one server process (execution/remote.py) for all its configurations,
    with `cpu_seconds` and `memory_mb` as its limits; the checker runs here. A server that
    hangs or crashes raises remote.ServerLost, which run_each records as timeout or crashed.
    """
    configs = entry.configs() if configs is None else configs
    runs, error = [], None
    name, filename = f"mutant {entry.id}", mutant_filename(entry.id)
    try:
        with Server(sandbox_choice=sandbox, cpu_seconds=cpu_seconds, memory_mb=memory_mb, label=name) as server:
            if entry.target is None:
                try:
                    functions, _ = server.load(mutant_source(entry), filename, MUTANT_ROLES)
                except RemoteError as exc:
                    raise MutagradError(f"loading the mutant raised {type(exc).__name__}: {exc}") from None
                module = types.SimpleNamespace(**functions)
                bind = functools.partial(model_for, module, name=name, source=filename)
            else:  # a user's model file: loaded as `mutagrad check FILE` loads it
                bind = functools.partial(load_file_model, server, mutant_source(entry), filename, name)
            for config in configs:
                runs.append(check_bound(bind(config=config), config, seed, entry.expected_components(config.depth),
                                        checker, mode))
    except MemoryError:
        raise  # the process running the checker crashed (isolate.run_each records it)
    except Exception as exc:  # a broken mutant must not stop the campaign
        error = f"{type(exc).__name__}: {exc}"
    return mutant_result(entry, tuple(runs), error)


def mutant_result(entry: Entry, runs: tuple[ConfigRun, ...], error: str | None = None,
                  halted: Outcome | None = None) -> MutantResult:
    return MutantResult(id=entry.id, title=entry.title, category=entry.category, expect=entry.expect,
                        components=entry.components, runs=runs,
                        difficulty=entry.difficulty.value if entry.difficulty else None,
                        reason=entry.reason, error=error, halted=halted)


def run_reference(config: Config, seed: int, checker: Checker = MUTAGRAD, mode: str = "auto", target=None,
                  limits=None) -> ConfigRun:
    """The unmutated reference (or model file `target`) in one configuration: any failure is a false alarm."""
    if target is not None:
        return run_file(target, config, seed, functools.partial(check_bound, checker=checker, mode=mode), limits)
    module = build_module(reference_source(), REFERENCE_NAME, "mutagrad_reference")
    return check_config(module, config, seed, "reference", source=REFERENCE_NAME, checker=checker, mode=mode)


def run_forced_fail(config: Config, seed: int, checker: Checker = MUTAGRAD, mode: str = "auto", target=None,
                    limits=None) -> ConfigRun:
    """The gate's deliberately broken gradient in one configuration: the checker must fail it."""
    if target is not None:
        return run_file(target, config, seed, functools.partial(check_bound, checker=checker, mode=mode), limits,
                        broken=True)
    source = apply_patch(reference_source(), FORCED_FAIL)
    broken = build_module(source, "<forced fail>", "mutagrad_forced_fail")
    return check_config(broken, config, seed, "forced fail", source="<forced fail>", checker=checker, mode=mode)


def _gate_check(fn, config: Config, seed: int, checker: Checker, timeout: float | None, mode: str,
                target=None) -> ConfigRun:
    """One gate check; a checker mutagrad did not write, or a model file, runs in a child, like every mutant."""
    if checker.native and target is None:
        return fn(config, seed, checker, mode)
    isolated = run_isolated(fn, config, seed, checker, mode, timeout=timeout or GATE_TIMEOUT)
    if isolated.ok:
        return isolated.value if checker.native else accept(isolated.value)
    return ConfigRun(config=config.name, seed=seed, verdict=None, error=f"{isolated.status.value}: {isolated.error}")


def sanity_gate(seed: int = 0, config: Config = CONFIGS[0], checker: Checker = MUTAGRAD,
                timeout: float | None = None, mode: str = "auto", target=None, limits=None) -> GateResult:
    """Prove the harness can see a failure before judging any mutant; SanityGateError if not.

    target: a model file (file_target.FileTarget) instead of mlp.py, run in a server with `limits`.
    """
    limits = {"cpu_seconds": timeout or GATE_TIMEOUT, **(limits or {})}
    reference = _gate_check(functools.partial(run_reference, target=target, limits=limits), config, seed, checker,
                            timeout, mode, target)
    forced = _gate_check(functools.partial(run_forced_fail, target=target, limits=limits), config, seed, checker,
                         timeout, mode, target)
    broken = "dZL doubled" if target is None else "every gradient of its backward doubled"
    gate = GateResult(reference=reference, forced_fail=forced, broken=broken)
    if not gate.passed:
        if reference.error or reference.detected:
            what = "reference" if target is None else target.file
            why = (f"the unmutated {what} does not pass in {config.name} (seed {seed}): "
                   f"{reference.error or f'{reference.localized} fails'}")
        else:
            why = (f"a deliberately broken gradient ({broken}) is not caught in {config.name} "
                   f"(seed {seed}): verdict {forced.verdict.value if forced.verdict else forced.error}")
        whose = "" if checker.native else f" for checker {checker.name}"
        raise SanityGateError(f"sanity gate failed{whose}, no mutant was judged: {why}")
    return gate


def default_timeout(gate: GateResult) -> float:
    """Seconds per mutant: TIMEOUT_FACTOR x the gate's reference check, at least TIMEOUT_FLOOR."""
    return max(TIMEOUT_FLOOR, TIMEOUT_FACTOR * gate.reference.seconds)


def _work(task, limits: dict):
    """In a forked trusted worker: a mutant (its code in a server) or a reference run (trusted)."""
    non_dumpable()
    kind, payload, seed, checker = task
    mode = limits["mode"]
    if kind == "mutant":
        return run_mutant(payload, seed, checker=checker, mode=mode, cpu_seconds=limits["cpu_seconds"],
                          memory_mb=limits["memory_mb"], sandbox=limits["sandbox"])
    return run_reference(payload, seed, checker, mode, limits.get("target"), limits)


def _expected_work(task) -> int:
    """Rough cost, to start the longest tasks first: a mutant that patches the forward side
    cannot use the layered fast path (fastpath.py), so its checks run the plain loop.
    Only the order of work changes; results are assembled in catalog order."""
    kind, payload, _, _ = task
    if kind == "reference":
        return 1
    slow = any(h.function not in BACKWARD_SIDE for h in payload.patch)
    return len(payload.configs()) * (4 if slow else 1)


def _settle(task, isolated: Isolated):
    """The record of a task whatever became of its process."""
    kind, payload, seed, checker = task
    if isolated.ok:
        if checker.native:
            return isolated.value
        if kind == "reference":
            return accept(isolated.value)
        value = isolated.value  # a user's checker ran in that child: keep only valid data
        fine = isinstance(value, MutantResult) and value.id == payload.id
        return mutant_result(payload, tuple(accept(r) for r in value.runs) if fine else (),
                             value.error if fine and type(value.error) is str else
                             None if fine else "the checker's result is not valid data")
    error = TIMEOUT_MESSAGE if isolated.status is Status.TIMEOUT else isolated.error
    if kind == "reference":
        return ConfigRun(config=payload.name, seed=seed, verdict=None, error=f"{isolated.status.value}: {error}")
    halted = {Status.TIMEOUT: Outcome.TIMEOUT, Status.CRASHED: Outcome.CRASHED}.get(isolated.status)
    return mutant_result(payload, (), error, halted)


def run_campaign(entries, *, seed: int = 0, jobs: int | None = None, catalog: str = BUILTIN,
                 configs: tuple[Config, ...] = CONFIGS, progress=None, timeout: float | None = None,
                 memory_mb: int | None = DEFAULT_MEMORY_MB, journal=None, resume: bool = False,
                 checkpoint=None, checker: Checker = MUTAGRAD, mode: str = "auto",
                 scheduler: str | None = None, sandbox: str = "auto") -> RunResult:
    """Gate, then every entry and the reference runs (configs x REFERENCE_SEEDS seeds), each isolated.

    timeout: CPU seconds per mutant (None: default_timeout), with a wall-clock backstop;
    memory_mb: the memory limit of each mutant's process; sandbox: "auto", "bwrap" or "none".
    journal: a path to append each result to (journal.jsonl); resume: take the results it
    already holds and run only the rest. `progress(kind, item, done, total)` is called as each
    result arrives; `checkpoint(partial_result)` at the start and then at most every
    CHECKPOINT_SECONDS (and CHECKPOINT_RATIO x its own last cost). Ctrl-C raises
    CampaignInterrupted carrying the partial result. checker: the checker measured
    (checkers.resolve); mutagrad's own by default. mode: the checker's ("auto", "exhaustive",
    "directional"); scheduler: a Dask scheduler's address to run the checks on (None: here).
    """
    return _campaign(entries, (checker,), lambda results: results[0], seed=seed, jobs=jobs, catalog=catalog,
                     configs=configs, progress=progress, timeout=timeout, memory_mb=memory_mb, journal=journal,
                     resume=resume, checkpoint=checkpoint, mode=mode, scheduler=scheduler, sandbox=sandbox)


def run_comparison(entries, checkers: tuple[Checker, ...], **options) -> Comparison:
    """One campaign measuring several checkers on the same mutants and reference runs, side by side.

    Every gate runs first (SanityGateError names the checker that fails it); then every
    (checker, task) pair runs in its own child, in one pool. Options as run_campaign's.
    """
    return _campaign(entries, tuple(checkers), Comparison, **options)


def _campaign(entries, checkers, combine, *, seed: int = 0, jobs: int | None = None, catalog: str = BUILTIN,
              configs: tuple[Config, ...] = CONFIGS, progress=None, timeout: float | None = None,
              memory_mb: int | None = DEFAULT_MEMORY_MB, journal=None, resume: bool = False, checkpoint=None,
              mode: str = "auto", scheduler: str | None = None, sandbox: str = "auto"):
    validate_options("central", mode)
    started = time.perf_counter()
    resolve_sandbox(sandbox)  # bad input before anything runs
    target = common_target(entries)  # a user's model file: its own configuration only
    configs = configs if target is None else (target.config,)
    tasks = []
    for checker in checkers:
        tasks += [("mutant", e, seed, checker) for e in entries]
        tasks += [("reference", c, seed + k, checker) for c in configs for k in range(REFERENCE_SEEDS)]
    keys = [_key(t) for t in tasks]
    with contextlib.ExitStack() as stack:
        book = None
        if journal is not None:
            options = {"timeout": timeout, "memory_mb": memory_mb, "mode": mode}
            if checkers != (MUTAGRAD,):
                options["checkers"] = [c.name for c in checkers]
            identity = run_identity(entries, seed=seed, catalog=catalog, configs=configs, options=options)
            book = stack.enter_context(Journal(journal, identity, resume=resume))
        server = {"memory_mb": memory_mb, "sandbox": sandbox}
        gates = {c.name: sanity_gate(seed, configs[0], c, timeout, mode, target, server) for c in checkers}
        limit = max(default_timeout(g) for g in gates.values()) if timeout is None else timeout
        done = {i: book.done[k] for i, k in enumerate(keys) if book is not None and k in book.done}
        todo = sorted((i for i in range(len(tasks)) if i not in done), key=lambda i: -_expected_work(tasks[i]))
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))

        per = len(tasks) // len(checkers)  # each checker's tasks are one block, in the same order

        def result():
            return combine(tuple(
                _assemble(tasks[b * per:(b + 1) * per], keys[b * per:(b + 1) * per],
                          {i - b * per: r for i, r in done.items() if b * per <= i < (b + 1) * per},
                          seed=seed, catalog=catalog, configs=configs, gate=gates[c.name], jobs=jobs, limit=limit,
                          wall=time.perf_counter() - started, checker=c.name)
                for b, c in enumerate(checkers)))

        last, pause = time.monotonic(), CHECKPOINT_SECONDS
        if checkpoint is not None:
            checkpoint(result())
            last, pause = _paced(last)
        try:
            limits = {"cpu_seconds": limit, "memory_mb": memory_mb, "sandbox": sandbox, "mode": mode, "target": target}
            calls = [(_work, (tasks[i], limits)) for i in todo]
            backstop = wall_backstop(limit) + WORKER_SLACK  # the worker's wall clock: past its server's backstop
            if scheduler is None:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="mutagrad-run-"))  # every child's cwd
                results = run_each(calls, jobs=jobs, timeout=backstop, memory_mb=memory_mb, cwd=folder)
            else:  # each worker runs the same isolated call in a child of its own (fresh cwd)
                from ..execution.dask_executor import run_each_dask
                results = run_each_dask(calls, scheduler=scheduler, timeout=backstop, memory_mb=memory_mb)
            with contextlib.closing(results):  # on any exit, kill the children still running
                for j, isolated in results:
                    i = todo[j]
                    record = _settle(tasks[i], isolated)
                    if book is not None:  # journal first: a report never holds a result the journal lacks
                        book.record(keys[i], record)
                    done[i] = record
                    if progress is not None:
                        progress(tasks[i][0], done[i], len(done), len(tasks))
                    if checkpoint is not None and time.monotonic() - last >= pause:
                        began = time.monotonic()
                        checkpoint(result())
                        last, pause = _paced(began)
        except KeyboardInterrupt:
            if book is not None:  # a result journaled just before the interrupt belongs in the report too
                done.update((i, book.done[k]) for i, k in enumerate(keys) if k in book.done and i not in done)
            raise CampaignInterrupted(result()) from None
        return result()


def _key(task) -> str:
    """The task's name in the journal; prefixed by the checker's unless it is mutagrad's."""
    kind, payload, seed, checker = task
    key = task_key(kind, payload, seed)
    return key if checker.native else f"{checker.name}: {key}"


def _paced(started: float) -> tuple[float, float]:
    """(now, the pause before the next checkpoint): CHECKPOINT_RATIO x what this one cost."""
    now = time.monotonic()
    return now, max(CHECKPOINT_SECONDS, CHECKPOINT_RATIO * (now - started))


def _assemble(tasks, keys, done: dict, *, seed, catalog, configs, gate, jobs, limit, wall,
              checker: str = MUTAGRAD.name) -> RunResult:
    """The RunResult of the finished tasks, in catalog order; the missing ones listed in not_run."""
    finished = [(tasks[i][0], done[i]) for i in range(len(tasks)) if i in done]
    return RunResult(
        seed=seed, catalog=catalog, configs=tuple(configs), gate=gate,
        mutants=tuple(r for kind, r in finished if kind == "mutant"),
        reference=tuple(r for kind, r in finished if kind == "reference"),
        wall_seconds=wall, jobs=jobs, not_run=tuple(k for i, k in enumerate(keys) if i not in done),
        timeout=limit, checker=checker)
