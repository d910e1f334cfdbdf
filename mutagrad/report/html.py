"""reports/report.html: the campaign as one self-contained page for a browser.

The summary, a mutant x gradient heatmap of relative errors, the per-category rates, the
sensitivity plot when `mutagrad sensitivity` has written one, each mutant's diff and
diagnosis in a collapsible <details>, the checkers side by side when several were measured,
and the mutants in the standard viewer (html_viewer.py). Plots are drawn by matplotlib (Agg,
one Figure each, no pyplot state) and inlined as base64 PNG; the only script is the vendored
viewer, inlined: there is no external resource.
"""
from __future__ import annotations

import base64
import io
import math
from html import escape
from pathlib import Path

import numpy as np

from ..records.check import Verdict
from ..records.campaign import MutantResult, Outcome, RunResult
from . import html_large
from .comparison import comparison_html
from .html_table import COLOUR, OUTCOME_COLOUR, _column_key, _layered, _pct, _relative, badge, tag
from .html_facts import expected_components as _expected, names_gradients as _names, not_judged as _not_judged
from .html_facts import wrong_components as _wrong
from .html_viewer import viewer_html

FLOOR = 1e-12  # the colour scale's bottom: below any real mismatch, about the round-off of a right gradient
DPI = 100  # labels at 7 pt stay legible; the heatmap of the whole catalog is about 150 KB
ROW_INCHES = 0.17
COLUMN_INCHES = 0.6
LABEL_INCHES = 0.058  # width of one character of a 7 pt row label
NOT_COMPARABLE = 1.0  # a missing or wrongly shaped gradient: drawn as the largest relative error
EXPECTED_EDGE = "#fb8500"  # orange dashed frame: where the catalog expects the bug (not a viridis colour)
STYLE = """<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;
padding:0 16px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:0.9em;margin:6px 0}
th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #d0d7de;vertical-align:top}
.tag{color:#fff;border-radius:4px;padding:0 6px;font-weight:bold}
img{max-width:100%;height:auto}
details{margin:2px 0;border:1px solid #d0d7de;border-radius:6px;padding:4px 10px}
summary{cursor:pointer}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:0.85em}
.add{color:#1a7f37}.del{color:#cf222e}.hunk{color:#0969da}.note{color:#59636e;font-size:0.9em}
</style>"""


def _png(fig) -> str:
    """The figure as a base64 PNG string."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap_rows(result: RunResult):
    """(row labels, columns, values, localized cells, not-comparable cells) of the heatmap."""
    runs_of = [(m.id, m.runs) for m in result.mutants] + [(f"reference ({len(result.reference)} runs)",
                                                           result.reference)]
    columns = sorted({key for _, runs in runs_of for r in runs for key, _ in _layered(r)}, key=_column_key)
    values, marked, missing = [], set(), set()
    for i, (_, runs) in enumerate(runs_of):
        row = [math.nan] * len(columns)
        for run in runs:
            for key, c in _layered(run):
                j = columns.index(key)
                value = NOT_COMPARABLE if c.rel_error is None else max(c.rel_error, FLOOR)
                row[j] = value if math.isnan(row[j]) else max(row[j], value)
                if c.rel_error is None:
                    missing.add((i, j))
                if run.detected and c.name == run.localized:
                    marked.add((i, j))
        values.append(row)
    return [label for label, _ in runs_of], columns, values, marked, missing


def heatmap_marks(result: RunResult, columns) -> tuple[set, set]:
    """(cells where the catalog expects the bug, cells the checker failed), on heatmap_rows' grid."""
    expected, failed = set(), set()
    for i, runs in enumerate([m.runs for m in result.mutants] + [result.reference]):
        for run in runs:
            layered = _layered(run)
            depth = max((int(c.name[2:]) for _, c in layered), default=0)
            names = [n for n in run.expected if depth and n[:2] in ("dW", "db") and n[2:].isdigit()]
            expected |= {(i, columns.index(_relative(n, depth))) for n in names if _relative(n, depth) in columns}
            failed |= {(i, columns.index(key)) for key, c in layered if c.status is Verdict.FAIL}
    return expected, failed


def heatmap_png(result: RunResult) -> str:
    """Mutants x gradient components, log-scale colour of the worst relative error, localized cells framed."""
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    labels, columns, values, marked, missing = heatmap_rows(result)
    data = np.ma.masked_invalid(np.array(values, dtype=float))
    # Fixed margins in inches instead of tight_layout, which would draw every label once more.
    left = 0.25 + LABEL_INCHES * max(len(label) for label in labels)
    width, height = left + COLUMN_INCHES * len(columns) + 1.2, max(2.6, 0.9 + ROW_INCHES * len(labels))
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / width, 0.25 / height, COLUMN_INCHES * len(columns) / width, 1 - 0.9 / height))
    cmap = _cmap()
    image = ax.imshow(data, aspect="auto", cmap=cmap, norm=LogNorm(vmin=FLOOR, vmax=1), interpolation="nearest")
    ax.set_xticks(range(len(columns)), columns, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    outcomes = [m.outcome for m in result.mutants] + [None]
    for tick, outcome in zip(ax.get_yticklabels(), outcomes):
        if outcome not in (None, Outcome.DETECTED, Outcome.CLEAN):  # survived, false alarm, error, ...
            tick.set_color(COLOUR[Verdict.FAIL])
    categories = [m.category for m in result.mutants]
    for i in range(1, len(categories)):
        if categories[i] != categories[i - 1]:
            ax.axhline(i - 0.5, color="white", linewidth=1.2)  # between categories
    ax.axhline(len(categories) - 0.5, color="white", linewidth=1.2)  # above the reference row
    ax.tick_params(length=0)
    frames = [Rectangle((j - 0.45, i - 0.42), 0.9, 0.84) for i, j in sorted(marked)]
    ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor=COLOUR[Verdict.FAIL], linewidth=1.8,
                                      zorder=3))
    expected, failed = heatmap_marks(result, columns)
    dashed = [Rectangle((j - 0.33, i - 0.3), 0.66, 0.6) for i, j in sorted(expected)]
    ax.add_collection(PatchCollection(dashed, facecolor="none", edgecolor=EXPECTED_EDGE, linewidth=1.4,
                                      linestyle="--", zorder=3))
    if failed:  # the verdict, whatever the colour: a fail is never drawn like a pass
        rows, cols = zip(*sorted(failed))
        ax.scatter([c + 0.3 for c in cols], [r - 0.22 for r in rows], marker="v", s=24, color=COLOUR[Verdict.FAIL],
                   edgecolors="white", linewidths=0.4, zorder=5)
    if missing:
        rows, cols = zip(*sorted(missing))
        ax.scatter(cols, rows, marker="x", s=12, color="white", linewidths=1, zorder=4)
    bar_height = min(4.0, height - 0.9)
    cax = fig.add_axes(((left + COLUMN_INCHES * len(columns) + 0.15) / width, 1 - (0.65 + bar_height) / height,
                        0.15 / width, bar_height / height))
    bar = fig.colorbar(image, cax=cax, ticks=[10.0 ** k for k in range(-12, 1, 2)], format="%.0e")  # no mathtext
    bar.set_label("relative error", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return _png(fig)


def _cmap():
    from matplotlib import colormaps

    return colormaps["viridis"].with_extremes(bad="#eaeef2")  # bad: not in this network


def categories_png(result: RunResult) -> str | None:
    """Detection and localization rate per category (categories with gradient bugs)."""
    from matplotlib.figure import Figure

    cats = [c for c in result.categories if c.detectable]
    if not cats:
        return None
    fig = Figure(figsize=(7.5, 1.1 + 0.32 * len(cats)))
    ax = fig.add_subplot()
    ys = range(len(cats))
    ax.barh([y - 0.2 for y in ys], [c.detection_rate for c in cats], height=0.4, color="#1a7f37", label="detected")
    ax.barh([y + 0.2 for y in ys], [c.localization_rate or 0 for c in cats], height=0.4, color="#0969da",
            label="localized (of detected)")
    for y, c in zip(ys, cats):
        ax.text(1.01, y, f"{c.detected}/{c.detectable} detected, {c.localized}/{c.detected} localized",
                va="center", fontsize=8)
    ax.set_yticks(list(ys), [c.category for c in cats], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.4)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1), ncol=2, frameon=False)
    fig.tight_layout()
    return _png(fig)


def _diff_html(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        css = None if line.startswith(("+++", "---")) else {"+": "add", "-": "del", "@": "hunk"}.get(line[:1])
        lines.append(f'<span class="{css}">{escape(line)}</span>' if css else escape(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def _runs_table(m: MutantResult) -> str:
    rows = []
    for r in m.runs:
        first = next((c for c in r.components if c.name == r.localized), None)
        later = [c.name for c in r.components if c.status is Verdict.FAIL and c is not first]
        failing = "; ".join(([f"{first.name}: {first.diagnosis}"] if first and first.diagnosis else [])
                            + ([f"also failing: {', '.join(later)}"] if later else []))
        rel = "-" if r.max_rel_error is None else f"{r.max_rel_error:.2e}"
        verdict = badge(r.verdict) if r.verdict else escape(r.error or "not checked")
        cells = [escape(r.config), verdict, escape(r.localized or "-"), escape(", ".join(r.expected) or "-"),
                 escape(r.exposed_by or "-"), rel, escape(failing or r.raised or "-")]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("configuration", "verdict", "localized", "expected",
                                              "exposed by", "max rel. error", "diagnosis"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _details(m: MutantResult, detail: tuple[str, str] | None) -> str:
    outcome = tag(m.outcome.value.replace("_", " "), OUTCOME_COLOUR[m.outcome.value], m.outcome.value)
    where = f" &rarr; {escape(m.localized)}" if m.flagged and m.localized else ""
    if m.detected and m.localized and not m.localized_correctly:
        where += (f' <span class="wrong" style="color:{COLOUR[Verdict.FAIL]}"><b>wrong component</b>: '
                  f"expected {escape(_expected(m))}</span>")
    parts = [f"<summary><b>{escape(m.id)}</b> {outcome}{where} &nbsp;{escape(m.title)}</summary>"]
    if detail is not None:
        parts.append(f"<p>{escape(detail[0])}</p>")
    if m.reason:
        parts.append(f'<p class="note">not a gradient bug: {escape(m.reason)}</p>')
    if m.error:
        parts.append(f'<p style="color:{COLOUR[Verdict.FAIL]}">error: {escape(m.error)}</p>')
    parts.append(_runs_table(m))
    if detail is not None:
        parts.append(_diff_html(detail[1]))
    return f'<details id="mutant-{escape(m.id)}">{"".join(parts)}</details>'


def render_html(result: RunResult, details: dict[str, tuple[str, str]] | None = None,
                sensitivity_png: bytes | None = None, comparison=None, mutation_report: dict | None = None) -> str:
    """report.html's text; `details` maps a mutant id to its description and diff (Catalog.details()).

    comparison: the Comparison `result` belongs to (its first checker), for the side-by-side table;
    mutation_report: `result` in the standard schema, shown in the standard viewer.
    """
    s = result.summary
    details = details or {}
    verdict = badge(Verdict.PASS if result.ok else Verdict.FAIL)
    facts = [("sanity gate", "passed" if result.gate.passed else "FAILED"),
             ("detection rate", _pct(s.detected, s.detectable)),
             ("localization (of detected)", _pct(s.localized, s.detected) if _names(result) else
              "n/a: the checker names no gradient"),
             ("false alarms", (f"{s.false_alarms} ({s.reference_false_alarms} of {s.reference_runs} reference "
                               f"runs, {s.undetectable_flagged} of {s.undetectable} non-bugs flagged)")),
             ("survived", str(s.survived)), ("errors", _not_judged(result, Outcome.ERROR)),
             ("timeouts", _not_judged(result, Outcome.TIMEOUT)), ("crashed", _not_judged(result, Outcome.CRASHED)),
             ("wrong component", _wrong(result)), ("checker", result.checker),
             ("catalog", (f"{result.catalog}: {s.mutants} entries, {len(result.configs)} configurations, "
                          f"seed {result.seed}, {result.wall_seconds:.1f} s with {result.jobs} job{'s' if result.jobs > 1 else ''}"))]
    summary = "<table>" + "".join(f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in facts) + "</table>"
    body = [f"<h1>mutagrad run: would the checker catch the bugs people make? {verdict}</h1>", summary]
    if comparison is not None:
        body += ["<h2>Checkers side by side</h2>", comparison_html(comparison),
                 f'<p class="note">Below: the first checker, {escape(result.checker)}, in detail.</p>']
    drawn = [r for r in (result, *(comparison.runs if comparison is not None else ()))
             if any(_layered(run) for m in r.mutants for run in m.runs)]  # checkers with a relative error each
    if drawn and html_large.is_large(drawn[0]):  # one heatmap row per category, every mutant in a table row
        whose = "" if drawn[0] is result else f" ({escape(drawn[0].checker)})"
        body += [f"<h2>Relative error per gradient{whose}</h2>",
                 (f'<img id="heatmap" alt="heatmap of relative errors, categories by gradient components" '
                  f'src="data:image/png;base64,{html_large.category_heatmap_png(drawn[0])}">'),
                 html_large.HEATMAP_NOTE.format(n=len(drawn[0].mutants))]
    elif drawn:
        whose = "" if drawn[0] is result else f" ({escape(drawn[0].checker)})"
        body += [f"<h2>Relative error per gradient{whose}</h2>",
                 (f'<img id="heatmap" alt="heatmap of relative errors, mutants by gradient components" '
                  f'src="data:image/png;base64,{heatmap_png(drawn[0])}">'),
                 ('<p class="note">Rows: mutants in catalog order, and the unmutated reference. Columns: gradient '
                  'components in backprop order, counted from the output layer. Colour: the largest relative '
                  'error over the configurations, log scale; red triangle: the checker failed that gradient '
                  '(whatever its colour); orange dashed frame: where the catalog expects the bug; red frame: '
                  'where the checker localized it (a red frame without an orange one: the wrong component); '
                  'x: a gradient that could not be compared (missing or wrongly shaped); grey: not in this '
                  'network.</p>')]
    else:
        body.append(f'<p class="note">No heatmap: {escape(result.checker)} reports a verdict, not a relative '
                    "error per gradient.</p>")
    chart = categories_png(result)
    if chart:
        body += ["<h2>Per category</h2>",
                 f'<img id="categories" alt="detection rate per category" src="data:image/png;base64,{chart}">']
    if sensitivity_png:
        data = base64.b64encode(sensitivity_png).decode("ascii")
        body += ["<h2>Sensitivity of the checks</h2>",
                 f'<img id="sensitivity" alt="detection rate against error size" src="data:image/png;base64,{data}">',
                 '<p class="note">From <code>mutagrad sensitivity</code> (sensitivity.md has the table).</p>']
    if mutation_report is not None:
        body += [f"<h2>The mutants on {escape(next(iter(mutation_report['files'])))} "
                 "(standard mutation-testing viewer)</h2>",
                 '<p class="note">The same mutants as mutation-report.json, in Stryker\'s '
                 "mutation-testing-elements: Killed = failed by the checker (killed by: the gradient it "
                 "localized), Survived = passed, Ignored = not a gradient bug.</p>",
                 viewer_html(mutation_report)]
    if html_large.is_large(result):
        body += html_large.mutant_sections(result, details, _details)
    else:
        body += ["<h2>Every mutant: diagnosis and diff</h2>"]
        body += [_details(m, details.get(m.id)) for m in result.mutants]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>mutagrad run report</title>{STYLE}</head><body>{''.join(body)}</body></html>\n")


def sensitivity_plot(out_dir) -> bytes | None:
    """sensitivity.png of `out_dir`, or a plot drawn from its sensitivity.json; None if neither exists."""
    out = Path(out_dir)
    if (out / "sensitivity.png").is_file():
        return (out / "sensitivity.png").read_bytes()
    if (out / "sensitivity.json").is_file():
        import json

        from .sensitivity import plot
        buffer = io.BytesIO()
        plot(json.loads((out / "sensitivity.json").read_text(encoding="utf-8")), buffer)
        return buffer.getvalue()
    return None


def write_html(result: RunResult, out_dir, details: dict[str, tuple[str, str]] | None = None,
               comparison=None, mutation_report: dict | None = None) -> Path:
    """Write out_dir/report.html (with the sensitivity plot when out_dir has one)."""
    path = Path(out_dir) / "report.html"
    path.write_text(render_html(result, details, sensitivity_plot(out_dir), comparison, mutation_report),
                    encoding="utf-8")
    return path
