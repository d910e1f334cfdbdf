"""Writers for `mutagrad sensitivity`: a markdown table, the JSON summary and a PNG plot."""
from __future__ import annotations

import json
from pathlib import Path

KIND_TITLES = {"scale": "g x (1 + delta)", "term": "g + delta-sized term in W", "shift": "db shifted by delta"}
KINDS = tuple(KIND_TITLES)  # the kinds of planted error, as campaign/sensitivity.py plants them
NOTES = {
    "noise-aware": "mutagrad: fail at 10x the measured finite-difference noise",
    "complex-step": "mutagrad --method complex-step: fail near 1e-13 relative",
    "taylor": "mutagrad: Taylor-remainder order < 1.5 (eps-free)",
    "course-2e-7": "the course's gradient_check_n: whole vector, relative error > 2e-7",
    "notes-1e-3": "the notes' worry line: relative error > 1e-3 per component",
    "torch-default": "torch.autograd.gradcheck defaults: atol 1e-5, rtol 1e-3, eps 1e-6",
}


def _delta(x, smallest=None) -> str:
    if x is None:
        return "not detected"
    return f"<= {x:.0e}" if x == smallest else f"{x:.0e}"  # detected down to the end of the grid


def markdown(summary: dict) -> str:
    """The detection limits as a markdown table: smallest delta detected in all (half) of the cases."""
    head = "| method | false alarms | " + " | ".join(KIND_TITLES[k] for k in KINDS) + " | rule |"
    rows = [head, "|" + " --- |" * (len(KINDS) + 3)]
    for method, m in summary["methods"].items():
        alarms = f"{m['false_alarms']} / {m['reference_cases']}"
        cells = []
        for kind in KINDS:
            k = m["kinds"][kind]
            low = summary["deltas"][-1]
            cells.append("n/a (false alarms)" if m["false_alarms"] else
                         f"{_delta(k['limit_all'], low)} (half: {_delta(k['limit_half'], low)})")
        rows.append(f"| {method} | {alarms} | " + " | ".join(cells) + f" | {NOTES.get(method, '')} |")
    return "\n".join([
        "# Sensitivity of the gradient checks",
        "",
        (f"The reference network in {len(summary['configs'])} configurations ({', '.join(summary['configs'])}), "
        f"seeds {summary['seeds'][0]}-{summary['seeds'][-1]}, every probe ({summary['probes']} probes). "
        "One gradient component at a time carries an error of relative size delta "
        f"({_delta(summary['deltas'][0])} ... {_delta(summary['deltas'][-1])}). Each cell is the smallest "
        "delta from which on the method flags **every** case (in brackets: at least half of them); "
        "a method with false alarms on the unmodified reference has no detection limit."),
        "",
        *rows,
        "",
        f"Time: {summary['seconds']} s. Plot: sensitivity.png; data: sensitivity.json.",
        "",
    ])


def plot(summary: dict, path: Path) -> None:
    """Detection rate against delta, one panel per kind of error, one line per method."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(KINDS), figsize=(4.2 * len(KINDS), 3.6), sharey=True)
    for ax, kind in zip(axes, KINDS):
        for method, m in summary["methods"].items():
            rates = m["kinds"][kind]["rates"]
            points = [(d, r) for d, r in zip(summary["deltas"], rates) if r is not None]
            if points:
                ax.plot(*zip(*points), marker="o", label=method, linestyle="-" if not m["false_alarms"] else ":")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_title(KIND_TITLES[kind], fontsize=10)
        ax.set_xlabel("relative size of the error, delta")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("fraction of cases detected")
    axes[-1].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(summary: dict, out_dir) -> list[Path]:
    """Write sensitivity.md, sensitivity.json and sensitivity.png into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js, png = out / "sensitivity.md", out / "sensitivity.json", out / "sensitivity.png"
    md.write_text(markdown(summary))
    js.write_text(json.dumps(summary, indent=2) + "\n")
    plot(summary, png)
    return [md, js, png]
