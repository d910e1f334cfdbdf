"""reports/report.md: the campaign for people (rates, a row per mutant, the non-bugs apart)."""
from __future__ import annotations

from ..records.campaign import ConfigRun, MutantResult, Outcome, RunResult
from .fmt import num as _sci
from .fmt import pct as _pct

MARK = {Outcome.DETECTED: "detected", Outcome.SURVIVED: "**SURVIVED**", Outcome.CLEAN: "clean",
        Outcome.FALSE_ALARM: "**FALSE ALARM**", Outcome.ERROR: "**ERROR**", Outcome.TIMEOUT: "**TIMEOUT**",
        Outcome.CRASHED: "**CRASHED**"}
HALTED = (Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED)  # no verdict on the gradient: counted apart


def render_markdown(result: RunResult) -> str:
    """report.md's text."""
    s = result.summary
    gate = result.gate
    lines = [
        "# mutagrad run: would the checker catch the bugs people make?",
        "",
    ]
    if result.partial:
        lines += [f"**PARTIAL REPORT**: the run was interrupted; {len(result.not_run)} mutants or reference runs "
                  f"did not run ({_cell(', '.join(result.not_run[:5]))}{', ...' if len(result.not_run) > 5 else ''}). "
                  f"The same command with `--resume` finishes it.", ""]
    limit = f", time limit {result.timeout:g} s per mutant" if result.timeout is not None else ""
    lines += [
        f"Catalog: {result.catalog} ({s.mutants} entries, {s.detectable} gradient bugs, "
        f"{s.undetectable} not gradient bugs). Seed {result.seed}, {len(result.configs)} configurations, "
        f"{result.jobs} job{'s' if result.jobs != 1 else ''}, wall time {result.wall_seconds:.1f} s{limit}.",
        "",
        f"Sanity gate: the unmutated reference {_verdict(gate.reference)} in {gate.reference.config}; "
        f"a deliberately broken gradient ({gate.broken}) "
        + (f"is caught, localized to {gate.forced_fail.localized}." if gate.forced_fail.detected
           else "is NOT caught."),
        "",
        "## Summary",
        "",
        "| measure | result |",
        "| --- | --- |",
        f"| detection rate (detected / detectable) | {s.detected}/{s.detectable} ({_pct(s.detection_rate)}) |",
        "| localization accuracy (blamed an expected component / detected) | "
        + (f"{s.localized}/{s.detected} ({_pct(s.localization_rate)}) |"
           if not s.detected or any(m.localized for m in result.mutants if m.detected)
           else "n/a (the checker names no gradient) |"),
        f"| false alarms | {s.false_alarms} ({s.reference_false_alarms} of {s.reference_runs} reference runs, "
        f"{s.undetectable_flagged} of {s.undetectable} non-bugs flagged) |",
        f"| survived | {s.survived} |",
        f"| errors (the mutant could not be built or checked, or its code raised) | {s.errors} |",
        f"| timeouts (no result within the time limit) | {s.timeouts} |",
        f"| crashed (the process died: os._exit, a signal, sys.exit, out of memory) | {s.crashed} |",
        "",
        "Errors, timeouts and crashes are counted apart from detections, like mutation tools' "
        "runtime-error and timeout statuses: the checker gave no verdict on the gradient. Each fails the run.",
        "",
        f"**{'PASS' if result.ok else 'PARTIAL' if result.partial else 'FAIL'}**: "
        + ("every gradient bug detected, nothing falsely flagged." if result.ok else
           "the run did not finish." if result.partial else
           "a gradient bug survived, something was falsely flagged, or a mutant could not be checked "
           "(error, timeout or crash)."),
        "",
        "## Per category",
        "",
        "| category | entries | detected | localized |",
        "| --- | ---: | ---: | ---: |",
    ]
    for c in result.categories:
        if c.detectable:
            lines.append(f"| {c.category} | {c.mutants} | {c.detected}/{c.detectable} ({_pct(c.detection_rate)}) "
                         f"| {c.localized}/{c.detected} ({_pct(c.localization_rate)}) |")
        else:
            lines.append(f"| {c.category} | {c.mutants} | not gradient bugs | - |")
    lines += [
        "",
        "## Gradient bugs",
        "",
        "A mutant counts as detected when the checker fails it in every configuration it runs in, "
        "and as localized when, each time, the first wrong gradient it names is one of the entry's components.",
        "",
        "| id | category | outcome | blamed (expected) | exposed by | configurations | max rel. error "
        "| diagnosis (Taylor order) | time |",
        "| --- | --- | --- | --- | --- | --- | ---: | --- | ---: |",
    ]
    for m in result.mutants:
        if m.detectable:
            lines.append(_row(m))
    undetectable = [m for m in result.mutants if not m.detectable]
    if undetectable:
        lines += [
            "",
            "## Not gradient bugs (expect: undetectable)",
            "",
            "Each changes the model but keeps backward the exact gradient of forward's cost; "
            "flagging one is a false alarm.",
            "",
            "| id | outcome | verdicts | why it is not a gradient bug |",
            "| --- | --- | --- | --- |",
        ]
        for m in undetectable:
            verdicts = ", ".join(f"{r.config}: {r.verdict.value if r.verdict else 'error'}" for r in m.runs)
            lines.append(f"| `{m.id}` | {MARK[m.outcome]} | {verdicts} | {_cell(m.reason or '')} |")
    lines += ["", "## Reference runs (false alarms)", "",
              "The unmutated reference in every configuration and several seeds; any failure is a false alarm.",
              "", "| configuration | hidden | output | layer sizes | verdicts by seed |",
              "| --- | --- | --- | --- | --- |"]
    for c in result.configs:
        runs = [r for r in result.reference if r.config == c.name]
        verdicts = ", ".join(f"{r.seed}: {_verdict(r)}" for r in runs)
        lines.append(f"| {c.name} | {c.hidden} | {c.output} | {list(c.layer_dims)} | {verdicts} |")
    problems = [m for m in result.mutants if m.outcome in (Outcome.SURVIVED, Outcome.FALSE_ALARM, *HALTED)
                or (m.detectable and m.detected and not m.localized_correctly)]
    if problems:
        lines += ["", "## Details of the misses", ""]
        for m in problems:
            why = m.problem if m.outcome in HALTED else "; ".join(_detail(r) for r in m.runs)
            lines.append(f"- `{m.id}` ({MARK[m.outcome]}): {_cell(why or '')}")
    return "\n".join(lines) + "\n"


def _row(m: MutantResult) -> str:
    localized = ", ".join(dict.fromkeys(r.localized or "?" for r in m.runs if r.detected)) or "-"
    expected = ", ".join(m.components)
    mark = "" if not m.detected or m.localized_correctly else " **wrong**"
    configs = ", ".join(r.config for r in m.runs)
    return (f"| `{m.id}` | {m.category} | {MARK[m.outcome]} | {localized}{mark} ({expected}) | "
            f"{m.exposed_by or '-'} | {configs} | {_max_rel(m)} | {_diagnosis(m)} | {m.seconds:.2f} s |")


def _diagnosis(m: MutantResult) -> str:
    """The diagnosis and Taylor order of the blamed component, from its first detecting run."""
    for r in m.runs:
        for c in r.components:
            if r.detected and c.name == r.localized:
                order = f" ({c.taylor_order:.2f})" if c.taylor_order is not None else ""
                return (c.diagnosis or "-").replace("|", "/") + order
    return "-"


def _max_rel(m: MutantResult) -> str:
    if m.max_rel_error is not None:
        return _sci(m.max_rel_error)
    return "not comparable" if any(c.rel_error is None for r in m.runs for c in r.components) else "-"


def _detail(r: ConfigRun) -> str:
    if r.error:
        return f"{r.config}: {r.error}"
    worst = ", ".join(f"{c.name} {c.status.value} (margin {_sci(c.margin)}, rel {_sci(c.rel_error)}"
                      + (f", Taylor order {c.taylor_order:.2f}" if c.taylor_order is not None else "")
                      + (f", {c.diagnosis}" if c.diagnosis and c.status.value == "fail" else "") + ")"
                      for c in r.components)
    return f"{r.config}: verdict {r.verdict.value}, localized {r.localized}, expected {list(r.expected)}: {worst}"


def _verdict(r: ConfigRun) -> str:
    if r.error:
        return f"could not be checked ({r.error})"
    return "passes" if not r.detected else f"fails ({r.localized or r.raised})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
