"""The Python API: `mutagrad check` as function calls, returning the records the CLI prints."""
from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import MutagradError
from .records.check import CheckResult

if TYPE_CHECKING:
    from .records.campaign import RunResult

# The checker is imported inside the functions: `import mutagrad` runs at every pytest
# start-up (through the plugin), so it stays free of numpy.


def check(forward: Callable, backward: Callable, parameters: dict, X: Any, Y: Any, *,
          lambd: float | None = None, keep_prob: float | None = None, seed: int = 0,
          method: str = "central", mode: str = "auto") -> CheckResult:
    """Check the gradients of `backward` against finite differences of `forward`'s cost.

    Args:
        forward: forward(X, Y, parameters[, lambd][, keep_prob]) -> (cost, cache).
        backward: backward(X, Y, cache[, lambd][, keep_prob]) -> grads with dW1, db1, ...
        parameters: {"W1": ..., "b1": ..., ...}; never modified.
        X: inputs, shape (n_x, m).
        Y: labels, shape (n_y, m).
        lambd: pin the L2 strength; None checks 0 and, if the functions take it, a lambd > 0.
        keep_prob: pin the dropout keep probability; None checks 1 and, if taken, a value < 1.
        seed: seed of the moved point and of the pinned dropout masks.
        method: "central" (noise-aware centred differences) or "complex-step".
        mode: "exhaustive" (every entry), "directional" (random directions per component) or "auto" (by size).

    Returns:
        The CheckResult: verdict, localized component, per-component errors and diagnoses.
    """
    from .check.protocol import check_model
    from .check.evaluator import Model

    for name, value in (("parameters", parameters), ("X", X), ("Y", Y)):
        if value is None:
            raise MutagradError(f"mutagrad.check: {name} is None; pass the arrays to check at")
    _check_hyperparameters(lambd, keep_prob)
    model = Model(forward=forward, backward=backward, layer_dims=None, name="mutagrad.check")
    return check_model(model, X=X, Y=Y, parameters=parameters, seed=_seed(seed),
                       lambd=lambd, keep_prob=keep_prob, **_checker_options(method, mode))


def check_file(path: str | os.PathLike, *, layers: Sequence[int] | str | None = None,
               lambd: float | None = None, keep_prob: float | None = None, seed: int = 0,
               method: str = "central", mode: str = "auto") -> CheckResult:
    """Check a model file with the protocol of `mutagrad check FILE`, in this process (no time or memory limit).

    Args:
        path: a model file defining forward, backward and LAYER_DIMS (see the README).
        layers: layer sizes [n_x, n_1, ..., n_y] or "4,5,3,1", instead of the file's LAYER_DIMS.
        lambd: pin the L2 strength (as --lambd).
        keep_prob: pin the dropout keep probability (as --keep-prob).
        seed: seed of data, parameters, moved point and dropout masks (as --seed).
        method: "central" (noise-aware centred differences) or "complex-step".
        mode: "exhaustive" (every entry), "directional" (random directions per component) or "auto" (by size).

    Returns:
        The CheckResult; its to_dict() is the JSON of `mutagrad check FILE --json`.
    """
    from .check.model_file import load_model, parse_layers
    from .check.protocol import check_model

    _check_hyperparameters(lambd, keep_prob)
    dims = None if layers is None else parse_layers(layers, option="layers=")
    options = _checker_options(method, mode)
    model = load_model(path, layers=dims)
    return check_model(model, seed=_seed(seed), lambd=lambd, keep_prob=keep_prob,
                       config={"file": str(path), "layer_dims": list(model.layer_dims)}, **options)


def run_catalog(catalog: str | os.PathLike | None = None, ids: Iterable[str] | str | None = None,
                category: Iterable[str] | str | None = None, jobs: int | None = None, *,
                seed: int = 0, timeout: float | None = None, memory_mb: int | None = None,
                progress: bool | None = None) -> RunResult:
    """Plant every selected catalogued bug in the reference network and check each one blind.

    Args:
        catalog: a YAML file or a folder of them; None for the built-in catalog.
        ids: mutant ids to run (all when neither ids nor category is given).
        category: a category, or several, to run.
        jobs: worker processes; None for one per core.
        seed: seed of every check.
        timeout: seconds per mutant before it is recorded as a timeout (None: 20x the reference's check).
        memory_mb: memory limit of each mutant's process (None: the CLI's default).
        progress: draw a progress line with an ETA on stderr (None: in a notebook only).

    Returns:
        The RunResult: the sanity gate, every mutant's result in catalog order, the reference runs.
    """
    from .campaign.catalog import load_catalog
    from .campaign.configs import REFERENCE_SEEDS, task_count
    from .campaign.runner import run_campaign
    from .report.progress_text import text_progress

    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1):
        raise MutagradError(f"jobs={jobs!r}: must be a whole number >= 1 (or None for one per core)")
    from .execution.isolate import DEFAULT_MEMORY_MB

    seed = _seed(seed)
    if seed + REFERENCE_SEEDS - 1 > 2 ** 32 - 1:
        raise MutagradError(f"seed={seed!r}: too large: the reference runs also use seed + 1 .. "
                            f"seed + {REFERENCE_SEEDS - 1}, and seeds end at 2**32 - 1")
    if timeout is not None and not (_is_number(timeout) and math.isfinite(timeout) and timeout > 0):
        raise MutagradError(f"timeout={timeout!r}: must be a number of seconds > 0 (or None)")
    if memory_mb is not None and (not isinstance(memory_mb, numbers.Integral) or memory_mb < 1):
        raise MutagradError(f"memory_mb={memory_mb!r}: must be a whole number of MB >= 1 (or None)")
    chosen = load_catalog(catalog)
    entries = chosen.select(ids=_names(ids), categories=_names(category))
    show = "ipykernel" in sys.modules if progress is None else progress  # a notebook's kernel is loaded
    return run_campaign(entries, seed=seed, jobs=jobs, catalog=chosen.source, timeout=timeout,
                        memory_mb=DEFAULT_MEMORY_MB if memory_mb is None else memory_mb,
                        progress=text_progress(sys.stderr, task_count(entries)) if show else None)


def _names(value) -> tuple[str, ...]:
    """One name or several, as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _check_hyperparameters(lambd, keep_prob) -> None:
    """The CLI's option rules: lambd >= 0, keep_prob in (0, 1]."""
    if lambd is not None and not (_is_number(lambd) and math.isfinite(lambd) and lambd >= 0):
        raise MutagradError(f"lambd={lambd!r}: must be a number >= 0 (or None to probe 0 and > 0)")
    if keep_prob is not None and not (_is_number(keep_prob) and 0 < keep_prob <= 1):
        raise MutagradError(f"keep_prob={keep_prob!r}: must be in (0, 1] (or None to probe 1 and < 1)")


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= 2 ** 32 - 1:
        raise MutagradError(f"seed={seed!r}: must be a whole number from 0 to 2**32 - 1")
    return int(seed)



def _checker_options(method: str, mode: str) -> dict:
    """Validate method and mode before any user code runs."""
    from .check.protocol import validate_options

    validate_options(method, mode)
    return {"method": method, "mode": mode}
