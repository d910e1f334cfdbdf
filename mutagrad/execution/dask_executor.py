"""The same isolated calls as isolate.run_each, on a Dask cluster (`mutagrad run --scheduler ADDRESS`).

Each call becomes one Dask task. On the worker it runs in a forked child exactly as run_each
runs it here (isolate.run_isolated: the time and memory limits, a fresh working folder, stdin
closed), and the task returns that child's Isolated record: data, never a verdict. A worker
lost mid-call (killed, out of memory, its machine gone) is the scheduler's to handle: it runs
the task again elsewhere, up to its `distributed.scheduler.allowed-failures`, and then gives up
with KilledWorker; such a call is recorded as crashed, never dropped. dask is imported only
here, and only when a scheduler is given: `import mutagrad` never imports it.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

from ..errors import MutagradError
from .isolate import DEFAULT_MEMORY_MB, Isolated, Status, run_isolated

CONNECT_SECONDS = 30  # to reach the scheduler: a cluster that is still starting gets this long
INSTALL_HINT = "pip install 'mutagrad[dask]'"


class SchedulerError(MutagradError):
    """The Dask scheduler cannot be used: dask is not installed, or the address does not answer."""


def run_each_dask(calls: Iterable[tuple[Callable, tuple]], *, scheduler: str, timeout: float | None,
                  memory_mb: int | None = DEFAULT_MEMORY_MB) -> Iterator[tuple[int, Isolated]]:
    """Run each (fn, args) of `calls` isolated on a worker of `scheduler`; yield (index, Isolated) as each ends.

    fn and args travel to the workers pickled (so every worker needs the same mutagrad
    installed). Closing the generator (or Ctrl-C in the caller) cancels the tasks not yet done.
    """
    client, as_completed = _connect(scheduler)
    futures: dict = {}
    try:
        for index, (fn, args) in enumerate(calls):
            future = client.submit(_isolated_on_worker, fn, args, timeout, memory_mb, pure=False)
            futures[future] = index
        for future in as_completed(list(futures), loop=client.loop):
            yield futures[future], _outcome(future)
    finally:
        try:
            client.cancel([f for f in futures if not f.done()])  # what an interrupt left running
        finally:
            client.close()


def _connect(scheduler: str):
    """(Client, as_completed), or SchedulerError naming the option and the address."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise SchedulerError(f"--scheduler needs dask.distributed, which is not installed: {INSTALL_HINT}") \
            from exc
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SchedulerError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there: "
                             f"{type(exc).__name__}: {exc}") from exc
    return client, as_completed


def _isolated_on_worker(fn: Callable, args: tuple, timeout: float | None, memory_mb: int | None) -> Isolated:
    """The task a worker runs: the call in a child of its own, as run_each would run it."""
    return run_isolated(fn, *args, timeout=timeout, memory_mb=memory_mb)


def _outcome(future) -> Isolated:
    """The record a finished task returned, or `crashed` when the cluster could not run it."""
    if future.status == "finished":
        return future.result()
    try:
        exc = future.exception()
    except BaseException as lost:  # noqa: BLE001 - a cancelled future raises instead of returning
        exc = lost
    if type(exc).__name__ == "KilledWorker":
        return Isolated(Status.CRASHED, error=f"the Dask workers running it were lost, and the scheduler gave "
                                              f"up on it (KilledWorker: {exc})")
    return Isolated(Status.CRASHED, error=f"the Dask task could not run on the worker: {type(exc).__name__}: {exc}")
