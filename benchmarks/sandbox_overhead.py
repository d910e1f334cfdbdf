"""What running a model file in a sandboxed server costs, side by side with running it in-process.

    python benchmarks/sandbox_overhead.py [--calls N]

Prints one table from one run: the cost of one forward call (in this process, through a plain
server, through a bubblewrap server), of starting a server, and of a whole check of the
example files (in-process check_model vs check_file_isolated). Ratios are to the in-process
figure of the same row, measured in the same run; absolute times depend on the machine's load.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from mutagrad import mlp
from mutagrad.check.model_file import check_file_isolated, load_model
from mutagrad.check.protocol import check_model
from mutagrad.execution import remote, sandbox

ROOT = Path(__file__).resolve().parents[1]
FILES = (ROOT / "examples" / "course_model.py", ROOT / "examples" / "buggy_model.py")
ROLES = {"forward": ("forward",), "make_data": ("make_data",), "init_parameters": ("init_parameters",)}


def per_call(forward, X, Y, parameters, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        parameters["W1"][0, 0] += 1e-9  # one entry changes, as in a finite-difference loop
        forward(X, Y, parameters)
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    calls = parser.parse_args().calls
    kinds = ["none"] + (["bwrap"] if sandbox.bwrap_problem() is None else [])
    rows = []
    X, Y = mlp.make_data(0)
    local = per_call(mlp.forward, X, Y, mlp.init_parameters(0), calls)
    rows.append(("forward call, in-process", local, 1.0))
    source = (ROOT / "mutagrad" / "mlp.py").read_text()
    for kind in kinds:
        start = time.perf_counter()
        with remote.Server(sandbox_choice=kind, cpu_seconds=600) as server:
            functions, _ = server.load(source, "mlp.py", ROLES)
            started = time.perf_counter() - start
            X, Y = functions["make_data"](0)
            cost = per_call(functions["forward"], X, Y, functions["init_parameters"](0), calls)
        rows.append((f"forward call, server ({kind})", cost, cost / local))
        rows.append((f"server start + load ({kind})", started, None))
    for path in FILES:
        start = time.perf_counter()
        model = load_model(path)
        check_model(model, config={"file": str(path), "layer_dims": list(model.layer_dims)})
        inproc = time.perf_counter() - start
        rows.append((f"check {path.name}, in-process", inproc, 1.0))
        for kind in kinds:
            start = time.perf_counter()
            check_file_isolated(path, sandbox=kind)
            took = time.perf_counter() - start
            rows.append((f"check {path.name}, sandboxed ({kind})", took, took / inproc))
    print(f"{'what':45s} {'seconds':>10s} {'ratio':>7s}")
    for what, seconds, ratio in rows:
        print(f"{what:45s} {seconds:10.4g} {'' if ratio is None else f'{ratio:7.2f}'}")
    print(f"load average during the run: {Path('/proc/loadavg').read_text().split()[0]}")


if __name__ == "__main__":
    main()
