"""Campaigns that stay linear: the cost per mutant of a small and a large synthetic campaign, in one run.

    python benchmarks/campaign.py                     # 100 and 2,000 mutants
    python benchmarks/campaign.py --large 10000 -j 2  # the issue's 10^4

A synthetic catalog holds renamed copies (`<id>-copy00042`) of the built-in entries, in their own
categories; each campaign does what `mutagrad run --catalog FOLDER` does (load and validate the
catalog, the gate, every mutant and the reference runs in child processes, the journal, the
partial reports at each checkpoint, then report.md, report.json and report.html), in a temporary
folder: nothing tracked is written. Printed side by side: wall and CPU seconds per mutant (CPU
counts this process and every child, so a busy machine changes it less than the wall time), the
large/small ratio, and the size of report.html. Only the ratios compare across machines.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python benchmarks/campaign.py` from a checkout

from mutagrad.campaign.catalog import builtin_catalog, load_catalog
from mutagrad.campaign.journal import JOURNAL_NAME
from mutagrad.campaign.runner import BACKWARD_SIDE, run_campaign
from mutagrad.report.html import write_html
from mutagrad.report.json_report import render_json
from mutagrad.report.markdown import render_markdown

SMALL, LARGE = 100, 2000  # mutants: the two synthetic campaigns
TARGET_RATIO = 1.3  # the large campaign's cost per mutant may be at most this times the small one's
HTML_LIMIT_MB = 5  # a report.html a browser opens without trouble


def builtin_entries(pick: str) -> list[dict]:
    """The built-in entries to copy, as YAML dicts.

    all: every entry; backward: those that patch only the backward side (the layered fast path
    serves them); single: of those, the ones that run in one configuration (half the checks).
    """
    catalog = {e.id: e for e in load_catalog().entries}
    entries = []
    for f in sorted((f for f in builtin_catalog().iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name):
        entries += yaml.safe_load(f.read_text(encoding="utf-8"))
    if pick in ("backward", "single"):
        entries = [e for e in entries if all(h.function in BACKWARD_SIDE for h in catalog[e["id"]].patch)]
    if pick == "single":
        entries = [e for e in entries if len(catalog[e["id"]].configs()) == 1]
    return entries


class NoAliasDumper(yaml.SafeDumper):
    """Catalogs refuse YAML aliases: a value the copies share is written out each time."""

    def ignore_aliases(self, data):
        return True


def synthetic_catalog(folder: Path, size: int, pick: str) -> Path:
    """A catalog folder of `size` renamed copies of built-in entries, cycling through them, one file per category."""
    source = builtin_entries(pick)
    by_category: dict[str, list[dict]] = {}
    for k in range(size):
        entry = source[k % len(source)]
        by_category.setdefault(entry["category"], []).append({**entry, "id": f"{entry['id']}-copy{k:05d}"})
    folder.mkdir(parents=True)
    for category, entries in by_category.items():
        text = yaml.dump(entries, Dumper=NoAliasDumper, sort_keys=False)
        (folder / f"{category}.yaml").write_text(text, encoding="utf-8")
    return folder


def cpu_seconds() -> float:
    """CPU time of this process and of every child it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def campaign(size: int, pick: str, jobs: int | None, seed: int, mode: str) -> dict:
    """One synthetic campaign, as `mutagrad run --catalog FOLDER --all` runs it; its costs."""
    with tempfile.TemporaryDirectory(prefix="mutagrad-bench-") as tmp:
        folder = synthetic_catalog(Path(tmp) / "catalog", size, pick)
        out = Path(tmp) / "reports"
        out.mkdir()
        checkpoints = []

        def write_reports(result):
            checkpoints.append(1)
            (out / "report.md").write_text(render_markdown(result), encoding="utf-8")
            (out / "report.json").write_text(render_json(result), encoding="utf-8")

        wall, cpu = time.perf_counter(), cpu_seconds()
        catalog = load_catalog(folder)
        result = run_campaign(catalog.entries, seed=seed, jobs=jobs, catalog=catalog.source,
                              journal=out / JOURNAL_NAME, checkpoint=write_reports, mode=mode)
        write_reports(result)
        html = write_html(result, out, catalog.details())
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        s = result.summary
        return {"mutants": size, "wall": wall, "cpu": cpu, "wall_per_mutant": wall / size,
                "cpu_per_mutant": cpu / size, "html_mb": html.stat().st_size / 2**20,
                "checkpoints": len(checkpoints), "detected": f"{s.detected}/{s.detectable}", "jobs": result.jobs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=SMALL, help="mutants in the small campaign")
    parser.add_argument("--large", type=int, default=LARGE, help="mutants in the large campaign")
    parser.add_argument("--jobs", "-j", type=int, help="worker processes (default: the number of CPUs)")
    parser.add_argument("--pick", choices=["single", "backward", "all"], default="single",
                        help="which built-in entries to copy: backward-side ones in one configuration (the cheapest, "
                             "the default), every backward-side one, or all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=["auto", "exhaustive", "directional"], default="directional",
                        help="the checker's mode (default directional: the cheapest check, so that the "
                             "campaign's own costs weigh most)")
    args = parser.parse_args(argv)
    runs = [campaign(n, args.pick, args.jobs, args.seed, args.mode) for n in (args.small, args.large)]
    small, large = runs
    print(f"synthetic campaigns: copies of the built-in entries ({args.pick}), --mode {args.mode}, "
          f"{large['jobs']} jobs, {os.cpu_count()} CPUs, one run")
    print(f"| measure | {small['mutants']} mutants | {large['mutants']} mutants | ratio (large/small) |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("wall_per_mutant", "wall s per mutant"), ("cpu_per_mutant", "CPU s per mutant")):
        print(f"| {label} | {small[key]:.4f} | {large[key]:.4f} | {large[key] / small[key]:.2f}x |")
    print(f"| whole campaign, wall s | {small['wall']:.1f} | {large['wall']:.1f} | |")
    print(f"| partial reports written (checkpoints) | {small['checkpoints']} | {large['checkpoints']} | |")
    print(f"| report.html MB | {small['html_mb']:.2f} | {large['html_mb']:.2f} | |")
    print(f"| detected | {small['detected']} | {large['detected']} | |")
    ratio = large["cpu_per_mutant"] / small["cpu_per_mutant"]
    ok = ratio <= TARGET_RATIO and large["html_mb"] < HTML_LIMIT_MB
    print(f"{'PASS' if ok else 'FAIL'}: CPU per mutant ratio {ratio:.2f} (target <= {TARGET_RATIO}), "
          f"report.html {large['html_mb']:.2f} MB (target < {HTML_LIMIT_MB} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
