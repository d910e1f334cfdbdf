"""mutagrad against the course-style loop and torch.autograd.gradcheck, side by side in one run.

    python benchmarks/run.py            # prints the table, writes benchmarks/results/results.json
    python benchmarks/run.py --only user  # only the user-file cases

Every tool checks the same networks at the same point with the same data (the reference MLP,
relu hidden layers, float64). Wall times are best-of-REPEATS for runs under a second, single
runs otherwise. A tool that would take minutes is timed on a sample and labelled an estimate.
The user-file cases (user_files.py) check a user's own model file, which the layered fast path
cannot serve, in one process and as whole processes beside the course loop and torch.
Results go to benchmarks/results/, which git ignores: a run never rewrites a tracked file.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python benchmarks/run.py` from a checkout

from benchmarks import user_files
from benchmarks.course import THRESHOLD, gradient_check_n
from mutagrad.check import fastpath
from mutagrad import mlp
from mutagrad.check.protocol import check_model, moved_point, own_parameters, run_probe
from mutagrad.check.evaluator import Model

NETWORKS = [  # name, layer sizes, m, output
    ("4-5-3-1", [4, 5, 3, 1], 10, "sigmoid"),
    ("100-64-32-10", [100, 64, 32, 10], 64, "softmax"),
    ("784-256-128-10", [784, 256, 128, 10], 32, "softmax"),
]
HIDDEN = "relu"
SEED = 0
REPEATS = 7  # best of, for runs under a second (the median is saved too)
FULL_LOOP_MAX = 20_000  # parameters: above this the course loop and torch's full mode are estimated
SAMPLE = 500  # coordinates timed for the estimate


class Counted:
    """A forward pass that counts its calls (the signature stays the reference's)."""

    def __init__(self, fn):
        self.calls = 0
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


MEDIANS = {}  # seconds: the median of the same runs, by best time (saved in the JSON)


def timed(fn, repeat=True):
    """(seconds, result): best of REPEATS when one run is under a second."""
    start = time.perf_counter()
    result = fn()
    times = [time.perf_counter() - start]
    if repeat and times[0] < 1.0:
        for _ in range(REPEATS - 1):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
    MEDIANS[min(times)] = float(np.median(times))
    return min(times), result


def setup(dims, m, output):
    X, Y = mlp.make_data(SEED, dims, output, m=m)
    point = moved_point(own_parameters(mlp.init_parameters(SEED, dims, HIDDEN)), SEED)  # non-zero biases
    counted = Counted(mlp.forward)
    model = Model(forward=functools.partial(counted, hidden=HIDDEN, output=output),
                  backward=functools.partial(mlp.backward, hidden=HIDDEN, output=output),
                  layer_dims=tuple(dims), make_data=lambda s: (X, Y),
                  init_parameters=lambda s: point, name="reference")
    return X, Y, point, model, counted


def row(network, tool, seconds, forwards, partial=None, answer="", note=""):
    return {"network": network, "tool": tool, "seconds": seconds, "median_seconds": MEDIANS.get(seconds),
            "forward_passes": forwards,
            "partial_evaluations": partial, "answer": answer, "note": note}


def course_rows(name, X, Y, point, output):
    rng = np.random.default_rng(SEED)
    forward = functools.partial(mlp.forward, hidden=HIDDEN, output=output, rng=rng)  # no rng set-up per call
    _, cache = forward(X, Y, point)
    grads = mlp.backward(X, Y, cache, hidden=HIDDEN, output=output)
    n = sum(v.size for v in point.values())
    if n <= FULL_LOOP_MAX:
        seconds, (difference, approx) = timed(lambda: gradient_check_n(point, grads, X, Y, forward), repeat=n < 1000)
        verdict = "mistake" if difference > THRESHOLD else "correct"
        return row(name, "course loop (gradient_check_n)", seconds, 2 * n, answer=f"{verdict} ({difference:.1e})"), approx
    seconds, _ = timed(lambda: gradient_check_n(point, grads, X, Y, forward, coordinates=SAMPLE), repeat=False)
    return row(name, "course loop (gradient_check_n)", seconds * n / SAMPLE, 2 * n,
               note=f"estimate: {SAMPLE} coordinates timed, x {n / SAMPLE:.0f}"), None


def mutagrad_rows(name, X, Y, point, model, counted):
    rows = []
    for mode in ("exhaustive", "directional"):
        def one_point(mode=mode):
            counted.calls = 0
            return run_probe(model, X, Y, point, "moved", 0.0, 1.0, SEED, taylor=False, mode=mode)
        seconds, probe = timed(one_point)
        worst = max((c.rel_error or 0.0) for c in probe.components)
        rows.append(row(name, f"mutagrad {mode}, one point", seconds, counted.calls,
                        probe.evaluations - counted.calls, f"{probe.verdict.value} (rel {worst:.1e})",
                        "the course's work: one point, every component"))

        def protocol(mode=mode):
            counted.calls = 0
            return check_model(model, seed=SEED, mode=mode)
        seconds, result = timed(protocol)
        rows.append(row(name, f"mutagrad {mode}, full protocol", seconds, counted.calls,
                        result.evaluations - counted.calls, result.verdict.value,
                        "4 probes: initial, moved, lambd, dropout" + ("; Taylor test" if mode == "exhaustive" else "")))
    return rows


def same_answer(X, Y, point, output, approx):
    """max |course gradapprox - mutagrad central| / max |gradapprox| over every entry."""
    fast = fastpath.LayeredCost(X, Y, point, HIDDEN, output, 0.0, 1.0, SEED)
    central = np.concatenate([fast.differences(k).central.reshape(-1) for k in point])
    return float(np.max(np.abs(central - approx.reshape(-1))) / np.max(np.abs(approx)))


def torch_rows(name, X, Y, point, output):
    try:
        import torch
    except ImportError:
        return [row(name, "torch gradcheck", None, None, note="torch not installed: pip install -e '.[bench]'")]
    L = len(point) // 2
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    calls = [0]

    def cost(*params):
        calls[0] += 1
        A = Xt
        for l in range(L):
            Z = params[2 * l] @ A + params[2 * l + 1]
            A = torch.relu(Z) if l < L - 1 else (torch.softmax(Z, 0) if output == "softmax" else torch.sigmoid(Z))
        if output == "softmax":
            return -(Yt * torch.log(A)).sum() / X.shape[1]
        return -(Yt * torch.log(A) + (1 - Yt) * torch.log(1 - A)).sum() / X.shape[1]

    inputs = [torch.tensor(point[f"{p}{l}"], requires_grad=True) for l in range(1, L + 1) for p in "Wb"]
    torch.autograd.gradcheck(cost, inputs, fast_mode=True)  # warm-up: torch's first call is slow
    rows = []
    n = sum(v.size for v in point.values())
    for fast in (False, True):
        tool = f"torch gradcheck {'fast_mode' if fast else 'full'}"
        if not fast and n > FULL_LOOP_MAX:
            seconds, _ = timed(lambda: cost(*inputs))
            rows.append(row(name, tool, 2 * n * seconds, 2 * n,
                            note="estimate: 2 forward passes per parameter at the timed forward pass"))
            continue
        calls[0] = 0
        seconds, ok = timed(lambda fast=fast: torch.autograd.gradcheck(cost, inputs, fast_mode=fast, raise_exception=False))
        runs = REPEATS if seconds < 1.0 else 1
        rows.append(row(name, tool, seconds, calls[0] // runs, answer="pass" if ok else "fail"))
    return rows


def campaign_row():
    """Wall time of `mutagrad run --all`, if this version has the runner."""
    import importlib.util
    if importlib.util.find_spec("mutagrad.campaign.runner") is None:
        return row("catalog", "mutagrad run --all", None, None, note="not available in this version")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mutagrad.cli", "run", "--all", "--out", out, "-q"],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        seconds = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()
    return row("catalog", "mutagrad run --all", seconds, None, answer=f"exit {done.returncode}",
               note=" ".join(line.strip() for line in summary[:2]))


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    info = {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "numpy": np.__version__,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "load_average": os.getloadavg()[0]}  # other work on the machine slows every tool
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def ratios(rows) -> dict:
    def seconds(network, tool):
        return next((r["seconds"] for r in rows if r["network"] == network and r["tool"] == tool), None)
    out = {}
    pairs = {
        "100-64-32-10: course loop / mutagrad exhaustive (one point)":
            ("100-64-32-10", "course loop (gradient_check_n)", "mutagrad exhaustive, one point"),
        "100-64-32-10: torch full / mutagrad exhaustive (one point)":
            ("100-64-32-10", "torch gradcheck full", "mutagrad exhaustive, one point"),
        "784-256-128-10: torch fast_mode / mutagrad directional (one point)":
            ("784-256-128-10", "torch gradcheck fast_mode", "mutagrad directional, one point"),
        "784-256-128-10: course loop (estimate) / mutagrad exhaustive (one point)":
            ("784-256-128-10", "course loop (gradient_check_n)", "mutagrad exhaustive, one point"),
    }
    pairs.update(user_files.RATIOS)
    for label, (network, slow, fast) in pairs.items():
        a, b = seconds(network, slow), seconds(network, fast)
        if a and b:
            out[label] = a / b
    return out


def render(report) -> None:
    from rich.console import Console
    from rich.table import Table
    table = Table(title="mutagrad benchmarks (wall time, same networks, data and point)")
    for column in ("network", "tool", "wall", "forward passes", "partial evals", "answer", "note"):
        table.add_column(column, justify="right" if column in ("wall", "forward passes", "partial evals") else "left")
    for r in report["rows"]:
        wall = "-" if r["seconds"] is None else (f"{r['seconds']:.3g} s" if r["seconds"] >= 0.01 else f"{r['seconds'] * 1e3:.2g} ms")
        if r["note"].startswith("estimate"):
            wall = "~" + wall
        table.add_row(r["network"], r["tool"], wall, "-" if r["forward_passes"] is None else f"{r['forward_passes']:,}",
                      "-" if r["partial_evaluations"] is None else f"{r['partial_evaluations']:,}", r["answer"], r["note"])
    console = Console(width=200)
    console.print(table)
    for label, value in report["ratios"].items():
        console.print(f"{label}: {value:.1f}x")
    for label, value in report["same_answer"].items():
        console.print(f"{label}: course and mutagrad differences agree to {value:.1e} (relative to max |gradapprox|)")
    m = report["machine"]
    console.print(f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, numpy {m['numpy']}, "
                  f"torch {m['torch']}; load average {m['load_average_before']:.2f} before, {m['load_average']:.2f} after")


PARTS = ("reference", "user", "campaign")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="mutagrad against the course loop and torch gradcheck")
    parser.add_argument("out", nargs="?", type=Path, default=Path(__file__).with_name("results") / "results.json")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    parts = set(args.only or PARTS)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    rows, agreement = [], {}
    load = os.getloadavg()[0]
    for name, dims, m, output in NETWORKS if "reference" in parts else ():
        X, Y, point, model, counted = setup(dims, m, output)
        course, approx = course_rows(name, X, Y, point, output)
        rows.append(course)
        if approx is not None:
            agreement[name] = same_answer(X, Y, point, output, approx)
        rows.extend(mutagrad_rows(name, X, Y, point, model, counted))
        rows.extend(torch_rows(name, X, Y, point, output))
    if "user" in parts:
        rows.extend(user_files.rows(row, timed))
    if "campaign" in parts:
        rows.append(campaign_row())
    report = {"machine": {**machine(), "load_average_before": load}, "rows": rows, "ratios": ratios(rows), "same_answer": agreement,
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    out.write_text(json.dumps(report, indent=2) + "\n")
    render(report)
    print(f"saved {out}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
