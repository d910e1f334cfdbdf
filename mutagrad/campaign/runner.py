"""A campaign: the sanity gate, a blind check of every mutant, and the reference's false-alarm runs.

The checker never sees a catalog entry. For each mutant the runner builds the patched module,
binds one configuration (hidden=, output=, layer sizes) into a protocol.Model, and calls the
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
from .configs import CONFIGS, REFERENCE_SEEDS, Config
from ..errors import MutagradError
from ..execution.isolate import DEFAULT_MEMORY_MB, Isolated, Status, run_each
from ..execution.remote import RemoteError, Server, wall_backstop
from ..execution.sandbox import non_dumpable, resolve as resolve_sandbox
from .journal import Journal, run_identity, task_key
from .mutate import Hunk, apply_patch, build_module, mutant_filename, mutant_source, reference_source
from ..check.protocol import Model, check_model
from ..records.check import CheckResult
from ..records.campaign import ComponentScore, ConfigRun, GateResult, MutantResult, Outcome, RunResult

# The gate's deliberately broken gradient: the output delta doubled, wrong at every probe.
FORCED_FAIL = (Hunk("backward", "dZL = AL - Y", "dZL = 2 * (AL - Y)"),)
REFERENCE_NAME = "<reference mutagrad/mlp.py>"
BACKWARD_SIDE = ("backward", "activation_backward", "update_parameters")
TIMEOUT_FLOOR = 10.0  # seconds: the default time limit per mutant is never shorter
TIMEOUT_FACTOR = 20  # default time limit: this many times the gate's reference check, if longer
WORKER_SLACK = 15.0  # seconds beyond a mutant server's wall-clock backstop before its worker is stopped
MUTANT_ROLES = {name: (name,) for name in ("forward", "backward", "make_data", "init_parameters")}
CHECKPOINT_SECONDS = 1.0  # at most this often, `checkpoint` gets the partial result
# Without the seconds: the default limit is measured, and report.json stays deterministic.
TIMEOUT_MESSAGE = "no result within the time limit (--timeout): an infinite loop?"


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


def check_config(module, config: Config, seed: int, name: str, expected=(), source=None) -> ConfigRun:
    """One blind check of `module` in `config`, summarized; a checker error becomes `error`."""
    start = time.perf_counter()
    try:
        result = check_model(model_for(module, config, name, source), seed=seed, config=config.to_dict())
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
               cpu_seconds: float | None = None, memory_mb: int | None = DEFAULT_MEMORY_MB,
               sandbox: str = "auto") -> MutantResult:
    """Check the mutant of `entry` blind in each configuration its `requires` allows.

    The mutant runs in one server process (execution/remote.py) for all its configurations,
    with `cpu_seconds` and `memory_mb` as its limits; the checker runs here. A server that
    hangs or crashes raises remote.ServerLost, which run_each records as timeout or crashed.
    """
    configs = entry.configs() if configs is None else configs
    runs, error = [], None
    try:
        with Server(sandbox_choice=sandbox, cpu_seconds=cpu_seconds, memory_mb=memory_mb,
                    label=f"mutant {entry.id}") as server:
            try:
                functions, _ = server.load(mutant_source(entry), mutant_filename(entry.id), MUTANT_ROLES)
            except RemoteError as exc:
                raise MutagradError(f"loading the mutant raised {type(exc).__name__}: {exc}") from None
            module = types.SimpleNamespace(**functions)
            for config in configs:
                runs.append(check_config(module, config, seed, f"mutant {entry.id}",
                                         entry.expected_components(config.depth), mutant_filename(entry.id)))
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


def run_reference(config: Config, seed: int) -> ConfigRun:
    """The unmutated reference in one configuration: any failure is a false alarm."""
    module = build_module(reference_source(), REFERENCE_NAME, "mutagrad_reference")
    return check_config(module, config, seed, "reference", source=REFERENCE_NAME)


def sanity_gate(seed: int = 0, config: Config = CONFIGS[0]) -> GateResult:
    """Prove the harness can see a failure before judging any mutant; SanityGateError if not."""
    reference = run_reference(config, seed)
    source = apply_patch(reference_source(), FORCED_FAIL)
    broken = build_module(source, "<forced fail>", "mutagrad_forced_fail")
    forced = check_config(broken, config, seed, "forced fail", source="<forced fail>")
    gate = GateResult(reference=reference, forced_fail=forced)
    if not gate.passed:
        if reference.error or reference.detected:
            why = (f"the unmutated reference does not pass in {config.name} (seed {seed}): "
                   f"{reference.error or f'{reference.localized} fails'}")
        else:
            why = (f"a deliberately broken gradient (dZL doubled) is not caught in {config.name} "
                   f"(seed {seed}): verdict {forced.verdict.value if forced.verdict else forced.error}")
        raise SanityGateError(f"sanity gate failed, no mutant was judged: {why}")
    return gate


def default_timeout(gate: GateResult) -> float:
    """Seconds per mutant: TIMEOUT_FACTOR x the gate's reference check, at least TIMEOUT_FLOOR."""
    return max(TIMEOUT_FLOOR, TIMEOUT_FACTOR * gate.reference.seconds)


def _work(task, limits: dict):
    """In a forked trusted worker: a mutant (its code in a server) or a reference run (trusted)."""
    non_dumpable()
    kind, payload, seed = task
    return run_mutant(payload, seed, **limits) if kind == "mutant" else run_reference(payload, seed)


def _expected_work(task) -> int:
    """Rough cost, to start the longest tasks first: a mutant that patches the forward side
    cannot use the layered fast path (fastpath.py), so its checks run the plain loop.
    Only the order of work changes; results are assembled in catalog order."""
    kind, payload, _ = task
    if kind == "reference":
        return 1
    slow = any(h.function not in BACKWARD_SIDE for h in payload.patch)
    return len(payload.configs()) * (4 if slow else 1)


def _settle(task, isolated: Isolated):
    """The record of a task whatever became of its process."""
    kind, payload, seed = task
    if isolated.ok:
        return isolated.value
    error = TIMEOUT_MESSAGE if isolated.status is Status.TIMEOUT else isolated.error
    if kind == "reference":
        return ConfigRun(config=payload.name, seed=seed, verdict=None, error=f"{isolated.status.value}: {error}")
    halted = {Status.TIMEOUT: Outcome.TIMEOUT, Status.CRASHED: Outcome.CRASHED}.get(isolated.status)
    return mutant_result(payload, (), error, halted)


def run_campaign(entries, *, seed: int = 0, jobs: int | None = None, catalog: str = BUILTIN,
                 configs: tuple[Config, ...] = CONFIGS, progress=None, timeout: float | None = None,
                 memory_mb: int | None = DEFAULT_MEMORY_MB, journal=None, resume: bool = False,
                 checkpoint=None, sandbox: str = "auto") -> RunResult:
    """Gate, then every entry and the reference runs (configs x REFERENCE_SEEDS seeds), each isolated.

    timeout: CPU seconds per mutant (None: default_timeout), with a wall-clock backstop;
    memory_mb: the memory limit of each mutant's process; sandbox: "auto", "bwrap" or "none".
    journal: a path to append each result to (journal.jsonl); resume: take the results it
    already holds and run only the rest. `progress(kind, item, done, total)` is called as each
    result arrives; `checkpoint(partial_result)` at the start and then at most every
    CHECKPOINT_SECONDS. Ctrl-C raises CampaignInterrupted carrying the partial result.
    """
    started = time.perf_counter()
    resolve_sandbox(sandbox)  # bad input before anything runs
    tasks = [("mutant", e, seed) for e in entries]
    tasks += [("reference", c, seed + k) for c in configs for k in range(REFERENCE_SEEDS)]
    keys = [task_key(*t) for t in tasks]
    with contextlib.ExitStack() as stack:
        book = None
        if journal is not None:
            identity = run_identity(entries, seed=seed, catalog=catalog, configs=configs,
                                    options={"timeout": timeout, "memory_mb": memory_mb})
            book = stack.enter_context(Journal(journal, identity, resume=resume))
        gate = sanity_gate(seed, configs[0])
        limit = default_timeout(gate) if timeout is None else timeout
        done = {i: book.done[k] for i, k in enumerate(keys) if book is not None and k in book.done}
        todo = sorted((i for i in range(len(tasks)) if i not in done), key=lambda i: -_expected_work(tasks[i]))
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))

        def result() -> RunResult:
            return _assemble(tasks, keys, done, seed=seed, catalog=catalog, configs=configs, gate=gate, jobs=jobs,
                             limit=limit, wall=time.perf_counter() - started)

        if checkpoint is not None:
            checkpoint(result())
        last = time.monotonic()
        try:
            limits = {"cpu_seconds": limit, "memory_mb": memory_mb, "sandbox": sandbox}
            calls = [(_work, (tasks[i], limits)) for i in todo]
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="mutagrad-run-"))  # every child's cwd
            results = run_each(calls, jobs=jobs, timeout=wall_backstop(limit) + WORKER_SLACK, memory_mb=memory_mb,
                               cwd=folder)
            with contextlib.closing(results):  # on any exit, kill the children still running
                for j, isolated in results:
                    i = todo[j]
                    record = _settle(tasks[i], isolated)
                    if book is not None:  # journal first: a report never holds a result the journal lacks
                        book.record(keys[i], record)
                    done[i] = record
                    if progress is not None:
                        progress(tasks[i][0], done[i], len(done), len(tasks))
                    if checkpoint is not None and time.monotonic() - last >= CHECKPOINT_SECONDS:
                        checkpoint(result())
                        last = time.monotonic()
        except KeyboardInterrupt:
            if book is not None:  # a result journaled just before the interrupt belongs in the report too
                done.update((i, book.done[k]) for i, k in enumerate(keys) if k in book.done and i not in done)
            raise CampaignInterrupted(result()) from None
        return result()


def _assemble(tasks, keys, done: dict, *, seed, catalog, configs, gate, jobs, limit, wall) -> RunResult:
    """The RunResult of the finished tasks, in catalog order; the missing ones listed in not_run."""
    finished = [(tasks[i][0], done[i]) for i in range(len(tasks)) if i in done]
    return RunResult(
        seed=seed, catalog=catalog, configs=tuple(configs), gate=gate,
        mutants=tuple(r for kind, r in finished if kind == "mutant"),
        reference=tuple(r for kind, r in finished if kind == "reference"),
        wall_seconds=wall, jobs=jobs, not_run=tuple(k for i, k in enumerate(keys) if i not in done),
        timeout=limit)
