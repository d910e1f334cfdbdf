"""The user-file cases: a user's own model file (models/user_mlp.py), which the layered fast path cannot serve.

For each size, side by side in one run:

  course loop process        python course_process.py FILE: gradient_check_n at one point
  mutagrad check process     mutagrad check FILE: the full protocol (every probe), child process included
  mutagrad in one process    check_model on the loaded file, the same protocol
  torch fast_mode process    python torch_process.py FILE: gradcheck(fast_mode=True), torch import included
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "models" / "user_mlp.py"
USER_FILES = [  # name, layer sizes, m
    ("user file 100-64-32-10 (m = 64)", [100, 64, 32, 10], 64),
    ("user file 784-256-128-10 (m = 32)", [784, 256, 128, 10], 32),
]
PROCESS_REPEATS = 3  # best of, for whole processes (each starts Python, numpy and maybe torch)
LOOP_MAX = 20_000  # parameters: above this the course loop process is estimated from a sample
LOOP_SAMPLE = 500  # coordinates timed for the estimate
COURSE, MUTAGRAD, IN_PROCESS, TORCH = ("course loop process (gradient_check_n)", "mutagrad check process (full protocol)",
                                       "mutagrad in one process (full protocol)", "torch gradcheck fast_mode process")
RATIOS = {  # label: (network, slower, faster)
    "user file 100-64-32-10: course loop process / mutagrad check process":
        (USER_FILES[0][0], COURSE, MUTAGRAD),
    "user file 784-256-128-10: torch fast_mode process / mutagrad check process":
        (USER_FILES[1][0], TORCH, MUTAGRAD),
    "user file 784-256-128-10: course loop process (estimate) / mutagrad check process":
        (USER_FILES[1][0], COURSE, MUTAGRAD),
}


def write_file(folder: Path, dims, m) -> Path:
    """models/user_mlp.py with these LAYER_DIMS and M."""
    source = TEMPLATE.read_text()
    source = re.sub(r"^LAYER_DIMS = .*$", f"LAYER_DIMS = {list(dims)}", source, count=1, flags=re.M)
    source = re.sub(r"^M = \d+", f"M = {m}", source, count=1, flags=re.M)
    path = folder / f"user_{'_'.join(map(str, dims))}.py"
    path.write_text(source)
    return path


def process(args, repeats=PROCESS_REPEATS) -> tuple[float, str]:
    """(best wall seconds, stdout) of a whole process."""
    best, out = None, ""
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(map(str, args))} exited {done.returncode}: {done.stderr.strip()[-300:]}")
        best, out = (seconds, done.stdout) if best is None or seconds < best else (best, out)
    return best, out


def rows(row, timed) -> list[dict]:
    """The user-file rows, built with run.py's row() and timed()."""
    from mutagrad.check.model_file import load_model
    from mutagrad.check.protocol import check_model
    out = []
    with tempfile.TemporaryDirectory(prefix="mutagrad-bench-") as folder:
        for name, dims, m in USER_FILES:
            path = write_file(Path(folder), dims, m)
            n = sum(dims[l] * (dims[l - 1] + 1) for l in range(1, len(dims)))
            if n <= LOOP_MAX:
                seconds, text = process([HERE / "course_process.py", path], repeats=1)
                out.append(row(name, COURSE, seconds, 2 * n, answer=f"difference {text.split()[1]}", note="one point"))
            else:
                start, _ = process([HERE / "course_process.py", path, 1], repeats=1)
                sample, _ = process([HERE / "course_process.py", path, LOOP_SAMPLE], repeats=1)
                out.append(row(name, COURSE, start + (sample - start) * n / LOOP_SAMPLE, 2 * n,
                               note=f"estimate: {LOOP_SAMPLE} coordinates timed, x {n / LOOP_SAMPLE:.0f}"))
            seconds, text = process(["-m", "mutagrad.cli", "check", path, "--json"])
            record = json.loads(text)
            out.append(row(name, MUTAGRAD, seconds, record.get("evaluations"), answer=record["verdict"],
                           note=f"mode {record.get('mode')}; probes: "
                                + ", ".join(p["name"] for p in record.get("probes", []))))
            model = load_model(path)
            seconds, result = timed(lambda: check_model(model, seed=0))
            out.append(row(name, IN_PROCESS, seconds, result.evaluations, answer=result.verdict.value,
                           note=f"mode {result.mode}"))
            try:
                import torch  # noqa: F401 (only to know whether the process can run)
            except ImportError:
                out.append(row(name, TORCH, None, None, note="torch not installed: pip install -e '.[bench]'"))
                continue
            seconds, text = process([HERE / "torch_process.py", path])
            out.append(row(name, TORCH, seconds, int(text.split()[2]), answer=text.split()[0]))
    return out
