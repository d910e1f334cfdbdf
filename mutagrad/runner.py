"""A campaign: the sanity gate, a blind check of every mutant, and the reference's false-alarm runs.

The checker never sees a catalog entry. For each mutant the runner builds the patched module,
binds one configuration (hidden=, output=, layer sizes) into a protocol.Model, and calls the
same protocol.check_model everyone gets; only afterwards does it compare the verdict and the
localization with the entry. `run_mutant` is a pure function of its arguments, so it can run
in a worker process; results come back in catalog order whatever the number of workers.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
import time

from .catalog import BUILTIN, Entry
from .configs import CONFIGS, REFERENCE_SEEDS, Config
from .errors import MutagradError
from .mutate import Hunk, apply_patch, build_module, mutant_filename, mutant_module, reference_source
from .protocol import Model, check_model
from .records import CheckResult
from .results import ComponentScore, ConfigRun, GateResult, MutantResult, RunResult

# The gate's deliberately broken gradient: the output delta doubled, wrong at every probe.
FORCED_FAIL = (Hunk("backward", "dZL = AL - Y", "dZL = 2 * (AL - Y)"),)
REFERENCE_NAME = "<reference mutagrad/mlp.py>"


class SanityGateError(MutagradError):
    """The harness cannot tell a correct gradient from a wrong one: no mutant is judged."""


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


def run_mutant(entry: Entry, seed: int = 0, configs: tuple[Config, ...] | None = None) -> MutantResult:
    """Check the mutant of `entry` blind in each configuration its `requires` allows."""
    configs = entry.configs() if configs is None else configs
    runs, error = [], None
    try:
        module = mutant_module(entry)
        for config in configs:
            runs.append(check_config(module, config, seed, f"mutant {entry.id}",
                                     entry.expected_components(config.depth), mutant_filename(entry.id)))
    except Exception as exc:  # a broken mutant must not stop the campaign
        error = f"{type(exc).__name__}: {exc}"
    return MutantResult(id=entry.id, title=entry.title, category=entry.category, expect=entry.expect,
                        components=entry.components, runs=tuple(runs),
                        difficulty=entry.difficulty.value if entry.difficulty else None,
                        reason=entry.reason, error=error)


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


def _work(task):
    index, (kind, payload, seed) = task
    if kind == "mutant":
        return index, kind, run_mutant(payload, seed)
    return index, kind, run_reference(payload, seed)


def run_campaign(entries, *, seed: int = 0, jobs: int | None = None, catalog: str = BUILTIN,
                 configs: tuple[Config, ...] = CONFIGS, progress=None) -> RunResult:
    """Gate, then every entry and the reference runs (configs x REFERENCE_SEEDS seeds).

    `progress(kind, item, done, total)` is called as each result arrives.
    """
    started = time.perf_counter()
    gate = sanity_gate(seed, configs[0])
    tasks = [("mutant", e, seed) for e in entries]
    tasks += [("reference", c, seed + k) for c in configs for k in range(REFERENCE_SEEDS)]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    done = {}
    if jobs == 1:
        results = map(_work, enumerate(tasks))
        done = _collect(results, len(tasks), progress)
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = _collect(pool.imap_unordered(_work, enumerate(tasks)), len(tasks), progress)
    ordered = [done[i] for i in range(len(tasks))]
    return RunResult(
        seed=seed, catalog=catalog, configs=tuple(configs), gate=gate,
        mutants=tuple(r for kind, r in ordered if kind == "mutant"),
        reference=tuple(r for kind, r in ordered if kind == "reference"),
        wall_seconds=time.perf_counter() - started, jobs=jobs)


def _collect(results, total: int, progress) -> dict:
    done = {}
    for index, kind, result in results:
        done[index] = (kind, result)
        if progress is not None:
            progress(kind, result, len(done), total)
    return done

