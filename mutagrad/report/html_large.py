"""report.html for a large campaign: the heatmap by category, and every mutant one table row away.

A row per mutant costs the heatmap about 17 px and 15 ms; past LARGE_CAMPAIGN mutants the page
shows one row per category instead (the median relative error of its mutants per gradient, and
how many were localized there), then one collapsible table per category with a row, and an
anchor, per mutant. The misses (survived, false alarm, error, timeout, crash, wrong place) keep
their full diagnosis and diff. Everything here is linear in the number of mutants.
"""
from __future__ import annotations

import math
from collections import defaultdict
from html import escape

import numpy as np

from ..records.campaign import MutantResult, Outcome, RunResult
from .html_table import OUTCOME_COLOUR, _pct, tag

LARGE_CAMPAIGN = 200  # mutants: above this a row per mutant would make an image thousands of pixels tall
MAX_FULL_DETAILS = 200  # misses shown in full (diff and diagnosis); the rest are rows, and in report.md
CELL_INCHES = 0.6
ROW_INCHES = 0.3  # a category row holds a count: taller than a mutant row
LABEL_INCHES = 0.058  # width of one character of a 7 pt row label
BRIGHT = 1e-5  # relative error above which the colour scale is light enough for black text


def is_large(result: RunResult) -> bool:
    return len(result.mutants) > LARGE_CAMPAIGN


def category_heatmap_rows(result: RunResult):
    """(row labels, columns, median values, localized counts, problem rows) with one row per category."""
    from .html import heatmap_rows

    labels, columns, values, marked, _ = heatmap_rows(result)
    per_mutant = np.array(values, dtype=float).reshape(len(labels), len(columns))
    rows_of: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(result.mutants):
        rows_of[m.category].append(i)
    localized = defaultdict(int)
    for i, j in marked:
        localized[(i, j)] += 1
    names, medians, counts, problems = [], [], [], set()
    for k, (category, rows) in enumerate(rows_of.items()):
        block = per_mutant[rows]
        seen = ~np.isnan(block)
        medians.append([float(np.median(block[seen[:, j], j])) if seen[:, j].any() else math.nan
                        for j in range(len(columns))])
        counts.append([sum(localized[(i, j)] for i in rows) for j in range(len(columns))])
        names.append(f"{category} ({len(rows)})")
        if any(_is_miss(result.mutants[i]) for i in rows):
            problems.add(k)
    names.append(labels[-1])  # the reference row, as in the per-mutant heatmap
    medians.append(list(per_mutant[-1]))
    counts.append([0] * len(columns))
    return names, columns, medians, counts, problems


def category_heatmap_png(result: RunResult) -> str:
    """Categories x gradient components: median relative error (log colour), localized counts written in."""
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    from .html import FLOOR, _cmap, _png
    from .html_table import COLOUR
    from ..records.check import Verdict

    labels, columns, medians, counts, problems = category_heatmap_rows(result)
    left = 0.25 + LABEL_INCHES * max(len(label) for label in labels)
    width, height = left + CELL_INCHES * len(columns) + 1.2, max(2.6, 0.9 + ROW_INCHES * len(labels))
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / width, 0.25 / height, CELL_INCHES * len(columns) / width, 1 - 0.9 / height))
    data = np.ma.masked_invalid(np.array(medians, dtype=float))
    image = ax.imshow(data, aspect="auto", cmap=_cmap(), norm=LogNorm(vmin=FLOOR, vmax=1), interpolation="nearest")
    ax.set_xticks(range(len(columns)), columns, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for k, tick in enumerate(ax.get_yticklabels()):
        if k in problems:
            tick.set_color(COLOUR[Verdict.FAIL])
    ax.axhline(len(labels) - 1.5, color="white", linewidth=1.2)  # above the reference row
    ax.tick_params(length=0)
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            if n:
                bright = medians[i][j] > BRIGHT  # the top of viridis is yellow: dark text there
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7, fontweight="bold",
                        color="black" if bright else "white")
    bar_height = min(4.0, height - 0.9)
    cax = fig.add_axes(((left + CELL_INCHES * len(columns) + 0.15) / width, 1 - (0.65 + bar_height) / height,
                        0.15 / width, bar_height / height))
    bar = fig.colorbar(image, cax=cax, ticks=[10.0 ** k for k in range(-12, 1, 2)], format="%.0e")
    bar.set_label("median relative error", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return _png(fig)


HEATMAP_NOTE = ('<p class="note">{n} mutants: one row per category (with its number of mutants), and the '
                'unmutated reference. Columns: gradient components in backprop order, counted from the output '
                'layer. Colour: the median, over the category\'s mutants, of each mutant\'s largest relative error '
                'over the configurations, log scale; number: how many of them the checker localized there; red '
                'label: a category with a miss; grey: not in this network. Every mutant is in the tables '
                'below.</p>')


def _is_miss(m: MutantResult) -> bool:
    return (m.outcome in (Outcome.SURVIVED, Outcome.FALSE_ALARM, Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED)
            or (m.detectable and m.detected and not m.localized_correctly))


def _row(m: MutantResult) -> str:
    outcome = tag(m.outcome.value.replace("_", " "), OUTCOME_COLOUR[m.outcome.value], m.outcome.value)
    blamed = ", ".join(dict.fromkeys(r.localized or "?" for r in m.runs if r.detected)) or "-"
    rel = "-" if m.max_rel_error is None else f"{m.max_rel_error:.2e}"
    cells = [f"<b>{escape(m.id)}</b>", outcome, escape(f"{blamed} ({', '.join(m.components) or '-'})"),
             escape(m.exposed_by or "-"), escape(", ".join(r.config for r in m.runs) or "-"), rel,
             escape(m.problem or m.title)]
    return f'<tr id="mutant-{escape(m.id)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


TABLE_HEAD = "".join(f"<th>{h}</th>" for h in ("id", "outcome", "blamed (expected)", "exposed by",
                                               "configurations", "max rel. error", "title / problem"))


def mutant_sections(result: RunResult, details: dict, full_details) -> list[str]:
    """The misses in full (at most MAX_FULL_DETAILS), then one collapsible table per category."""
    body = []
    misses = [m for m in result.mutants if _is_miss(m)]
    if misses:
        body.append(f"<h2>The misses ({len(misses)}): diagnosis and diff</h2>")
        body += [full_details(m, details.get(m.id)).replace('<details id="mutant-', '<details id="miss-', 1)
                 for m in misses[:MAX_FULL_DETAILS]]  # the mutant-ID anchor is its table row
        if len(misses) > MAX_FULL_DETAILS:
            body.append(f'<p class="note">{len(misses) - MAX_FULL_DETAILS} more misses are rows of the tables '
                        f'below; report.md details each.</p>')
    body.append("<h2>Every mutant, by category</h2>")
    body.append('<p class="note">One table per category, one row per mutant (its anchor is '
                '<code>#mutant-ID</code>); <code>mutagrad show ID</code> prints its description and diff.</p>')
    by_category: dict[str, list[MutantResult]] = defaultdict(list)
    for m in result.mutants:
        by_category[m.category].append(m)
    summary_of = {c.category: c for c in result.categories}
    for category, members in by_category.items():
        c = summary_of[category]
        missed = sum(_is_miss(m) for m in members)
        facts = (f"{len(members)} mutants, detected {_pct(c.detected, c.detectable)}, localized "
                 f"{_pct(c.localized, c.detected)}" if c.detectable else f"{len(members)} mutants, not gradient bugs")
        facts += f", {missed} miss{'es' if missed != 1 else ''}" if missed else ""
        rows = "".join(_row(m) for m in members)
        body.append(f'<details id="category-{escape(category)}"><summary><b>{escape(category)}</b> '
                    f'&nbsp;{escape(facts)}</summary><table><tr>{TABLE_HEAD}</tr>{rows}</table></details>')
    return body
