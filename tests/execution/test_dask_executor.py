"""The Dask executor: the same Isolated records as run_each, from a LocalCluster of worker processes."""
import os
import signal
import subprocess
import sys

import pytest

from mutagrad.execution.dask_executor import SchedulerError, run_each_dask
from mutagrad.execution.isolate import Status, run_each

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore")  # dask's own warnings about ports and killed workers

TIMEOUT = 60.0  # seconds per call: generous, a busy machine must not turn a result into a timeout


def square(x):
    return x * x


def fails(message):
    raise ValueError(message)


def exits():
    os._exit(3)


def kills_its_worker_once(marker):
    """The first attempt kills the worker process running it (the child's parent); the next returns."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getppid(), signal.SIGKILL)
    return "second attempt"


def kills_its_worker(marker):
    with open(marker, "a") as f:
        f.write("x")
    os.kill(os.getppid(), signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each; a lost task is tried on at most 2 workers."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=":0") as c:
            yield c


@pytest.mark.slow
def test_same_records_as_run_each(cluster):
    calls = [(square, (3,)), (fails, ("no",)), (exits, ()), (square, (5,))]
    remote = dict(run_each_dask(calls, scheduler=cluster.scheduler_address, timeout=TIMEOUT))
    local = dict(run_each(calls, jobs=2, timeout=TIMEOUT))
    assert sorted(remote) == [0, 1, 2, 3]
    assert [remote[i].status for i in range(4)] == [local[i].status for i in range(4)] == [
        Status.OK, Status.RAISED, Status.CRASHED, Status.OK]
    assert (remote[0].value, remote[3].value) == (9, 25)
    assert remote[1].error.startswith("ValueError: no")
    assert remote[2].error == local[2].error


@pytest.mark.slow
def test_a_worker_lost_mid_call_is_retried(cluster, tmp_path):
    marker = str(tmp_path / "attempted")
    [(index, outcome)] = run_each_dask([(kills_its_worker_once, (marker,))],
                                       scheduler=cluster.scheduler_address, timeout=TIMEOUT)
    assert os.path.exists(marker)  # the first attempt ran and took its worker down
    assert (index, outcome.status, outcome.value) == (0, Status.OK, "second attempt")


@pytest.mark.slow
def test_a_call_that_keeps_losing_workers_is_recorded_as_crashed(cluster, tmp_path):
    marker = tmp_path / "attempts"
    results = list(run_each_dask([(kills_its_worker, (str(marker),))], scheduler=cluster.scheduler_address,
                                 timeout=TIMEOUT))
    assert [i for i, _ in results] == [0]  # not dropped
    assert results[0][1].status is Status.CRASHED and "KilledWorker" in results[0][1].error
    assert len(marker.read_text()) == 2  # tried, retried once (allowed-failures 1), then recorded
    # the cluster's nannies restart the lost workers: the next calls run as usual
    assert [o.value for _, o in run_each_dask([(square, (4,))], scheduler=cluster.scheduler_address,
                                              timeout=TIMEOUT)] == [16]


def test_an_address_without_a_scheduler_is_a_clear_error(monkeypatch):
    import socket

    import mutagrad.execution.dask_executor as executor

    with socket.socket() as s:  # a free loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 1)
    with pytest.raises(SchedulerError, match=rf"--scheduler tcp://127.0.0.1:{port}: cannot reach"):
        next(run_each_dask([(square, (1,))], scheduler=f"tcp://127.0.0.1:{port}", timeout=TIMEOUT))


def test_import_mutagrad_does_not_import_dask():
    code = "import sys, mutagrad, mutagrad.campaign.runner, mutagrad.cli; print('distributed' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
