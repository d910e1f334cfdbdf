"""Compact HTML for notebooks (`_repr_html_`): a check's table, a campaign's summary and heatmap.

Layout goes in one scoped <style> block; colours, which carry meaning, are inline, so a
renderer that drops <style> still shows every status.
"""
from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from ..records.check import CheckResult, Verdict, worst
from .fmt import num as _num

if TYPE_CHECKING:
    from ..records.campaign import ConfigRun, RunResult

# GitHub's palette: readable on light and dark notebook themes.
COLOUR = {Verdict.PASS: "#1a7f37", Verdict.WARN: "#9a6700", Verdict.FAIL: "#cf222e", Verdict.INCONCLUSIVE: "#9a6700"}
OUTCOME_COLOUR = {"detected": "#1a7f37", "clean": "#1a7f37", "survived": "#cf222e",
                  "false_alarm": "#cf222e", "error": "#6e7781", "timeout": "#6e7781", "crashed": "#6e7781"}
NOT_RUN = "#eaeef2"
EXPECTED = "#0969da"
STYLE = ("<style>"
         ".mutagrad table{border-collapse:collapse;font-size:0.9em;margin:4px 0}"
         ".mutagrad th,.mutagrad td{padding:2px 8px;text-align:left;border-bottom:1px solid #d0d7de}"
         ".mutagrad .tag{color:#fff;border-radius:4px;padding:0 6px;font-weight:bold}"
         ".mutagrad th.col{font-size:0.75em;writing-mode:vertical-rl;padding:2px 0}"
         ".mutagrad td.heat{width:14px;height:14px;padding:0;border:1px solid #fff;text-align:center;"
         "font-size:10px;color:#fff}"
         ".mutagrad .note{font-size:0.8em}"
         "</style>")
COLUMNS = ("component", "status", "rel. error", "margin", "probe", "diagnosis / note")


def tag(text: str, colour: str, css_class: str) -> str:
    """A coloured label; the class (mutagrad-fail, mutagrad-survived, ...) names the status."""
    return f'<span class="tag mutagrad-{css_class}" style="background:{colour}">{escape(text)}</span>'


def badge(status: Verdict) -> str:
    return tag(status.value, COLOUR[status], status.value)


def _table(columns, rows) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def check_html(result: CheckResult) -> str:
    """The per-component table of a check, the localized row marked, and the hint."""
    rows = []
    for c in result.components:
        first = c.name == result.localized
        name = f"<b>{escape(c.name)}</b> &larr; first wrong" if first else escape(c.name)
        bar = f' style="border-left:3px solid {COLOUR[Verdict.FAIL]}"' if first else ""
        note = escape(c.diagnosis or c.message)
        if c.diagnosis and c.message:
            note = f"<b>{note}</b><br>{escape(c.message)}"
        if c.taylor_order is not None:
            note += f" (Taylor order {c.taylor_order:.2f})"
        cells = [badge(c.status), _num(c.rel_error, ".2e"), _num(c.margin, ".3g"), escape(c.probe), note]
        rows.append(f"<tr><td{bar}>{name}</td>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    where = f" &nbsp;localized: <b>{escape(result.localized)}</b>" if result.localized else ""
    summary = (f"{badge(result.verdict)}{where} &nbsp;({result.evaluations} cost evaluations, "
               f"probes: {escape(', '.join(p.name for p in result.probes))}, seed {result.seed})")
    notes = [f'<div style="color:{COLOUR[Verdict.WARN]}">warning: {escape(w)}</div>' for w in result.warnings]
    notes += [f'<div class="note">note: {escape(n)}</div>' for n in result.notes]
    if result.error:
        notes.append(f'<div style="color:{COLOUR[Verdict.FAIL]}">error: {escape(result.error)}</div>')
    table = _table(COLUMNS, rows) if rows else ""
    return (f'{STYLE}<div class="mutagrad mutagrad-check"><div>{summary}</div>{table}'
            f'{"".join(notes)}<div>hint: {escape(result.hint)}</div></div>')


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({num / den:.0%})" if den else "-"


def _relative(name: str, depth: int) -> str:
    """dW3 in a 3-layer network -> dW{L}; dW2 -> dW{L-1}: columns align across depths."""
    kind, layer = re.fullmatch(r"d([Wb])(\d+)", name).groups()
    back = depth - int(layer)
    return f"d{kind}{{L}}" if back == 0 else f"d{kind}{{L-{back}}}"


def _column_key(col: str) -> tuple[int, int]:
    """dW{L}, db{L}, dW{L-1}, ...: backprop order."""
    back = re.search(r"L-(\d+)", col)
    return (int(back.group(1)) if back else 0, 0 if col.startswith("dW") else 1)


def _layered(run: ConfigRun):
    """(relative column, component) for each layer-numbered component of a run."""
    numbered = [c for c in run.components if c.name[2:].isdigit()]
    depth = max((int(c.name[2:]) for c in numbered), default=0)
    return [(_relative(c.name, depth), c) for c in numbered]


def _heat_cells(runs) -> dict[str, dict]:
    """Per column: the worst status over the runs, localized there?, expected there?, a tooltip."""
    cells: dict[str, dict] = {}
    for run in runs:
        for key, c in _layered(run):
            cell = cells.setdefault(key, {"status": Verdict.PASS, "localized": False, "expected": False,
                                          "tips": []})
            cell["status"] = worst([cell["status"], c.status])
            cell["localized"] |= c.name == run.localized
            cell["expected"] |= c.name in run.expected
            cell["tips"].append(f"{run.config}: {c.name} {c.status.value} (rel. error {_num(c.rel_error, '.1e')})")
    return cells


def _heat_row(label: str, outcome: str, runs, columns, why: str | None = None) -> str:
    cells = _heat_cells(runs)
    tds = []
    for col in columns:
        cell = cells.get(col)
        if cell is None:
            tds.append(f'<td class="heat" style="background:{NOT_RUN}"></td>')
            continue
        ring = f";outline:2px solid {EXPECTED};outline-offset:-2px" if cell["expected"] else ""
        tds.append(f'<td class="heat" title="{escape("; ".join(cell["tips"]))}" '
                   f'style="background:{COLOUR[cell["status"]]}{ring}">{"&#9679;" if cell["localized"] else ""}</td>')
    title = f' title="{escape(why)}"' if why else ""
    outcome_tag = tag(outcome.replace("_", " "), OUTCOME_COLOUR[outcome], outcome)
    return f"<tr><td>{escape(label)}</td><td{title}>{outcome_tag}</td>{''.join(tds)}</tr>"


def run_html(result: RunResult) -> str:
    """A campaign: summary, per-category rates, and a mutant x gradient status heatmap."""
    s = result.summary
    gate = badge(Verdict.PASS if result.gate.passed else Verdict.FAIL)
    head = (f"sanity gate {gate} &nbsp;detection {_pct(s.detected, s.detectable)} &nbsp;localization "
            f"{_pct(s.localized, s.detected)} &nbsp;false alarms {s.false_alarms} &nbsp;survived "
            f"{s.survived} &nbsp;errors {s.errors} &nbsp;timeouts {s.timeouts} &nbsp;crashed {s.crashed} "
            f"&nbsp;(catalog {escape(result.catalog)}, seed {result.seed})")
    categories = _table(("category", "mutants", "detected", "localized"), [
        f"<tr><td>{escape(c.category)}</td><td>{c.mutants}</td><td>{_pct(c.detected, c.detectable)}</td>"
        f"<td>{_pct(c.localized, c.detected)}</td></tr>" for c in result.categories])
    runs = [r for m in result.mutants for r in m.runs] + list(result.reference)
    columns = sorted({key for r in runs for key, _ in _layered(r)}, key=_column_key)
    rows = [_heat_row(m.id, m.outcome.value, m.runs, columns,
                      why=m.problem) for m in result.mutants]
    alarms = sum(r.detected or r.error is not None for r in result.reference)
    rows.append(_heat_row(f"reference ({len(result.reference)} runs)", "false_alarm" if alarms else "clean",
                          tuple(result.reference), columns))
    col_head = "".join(f'<th class="col">{escape(c)}</th>' for c in columns)
    heatmap = (f"<table><thead><tr><th>mutant</th><th>outcome</th>{col_head}</tr></thead>"
               f"<tbody>{''.join(rows)}</tbody></table>")
    legend = ('<div class="note">cells: the worst status of each gradient over the configurations '
              '(hover for each); &#9679; where the checker localized the bug; blue frame: where the '
              'catalog says it is; grey: not in this network.</div>')
    return f'{STYLE}<div class="mutagrad mutagrad-run"><div>{head}</div>{categories}{heatmap}{legend}</div>'
