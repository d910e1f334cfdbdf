"""A grade as Gradescope's autograder results.json: one test per check, with score and output.

The two tests are the gradient check and the match with the original network; a grade's
reasons are sorted into them by the wording grading.py gives each kind of reason.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import MutagradError
from .grading import Grade

GRADIENT_TEST = "gradient check: mutagrad check finds no wrong gradient"
MATCH_TEST = "same cost and gradients as the original network at every probe"
VISIBILITY = "visible"  # students see each test and its output at once: the reasons tell them what to fix
# How grading.py words a reason that belongs to the gradient check, or to neither check alone.
GRADIENT_REASON = "the gradient check still fails"
BOTH_REASONS = ("the configuration lines changed", "model.py could not be graded")


def split_reasons(grade: Grade) -> tuple[list[str], list[str]]:
    """The reasons against the gradient check and against the match; both empty if the grade passed."""
    gradient, match = [], []
    if grade.passed:
        return gradient, match
    for reason in grade.reasons:
        if reason.startswith(BOTH_REASONS):
            gradient.append(f"not checked: {reason}")
            match.append(reason)
        elif reason.startswith(GRADIENT_REASON):
            gradient.append(reason)
        else:
            match.append(reason)
    return gradient, match


def _test(name: str, failed: list[str], points: float, passed_output: str) -> dict:
    return {"name": name, "score": 0.0 if failed else points, "max_score": points,
            "status": "failed" if failed else "passed",
            "output": "\n".join(failed) if failed else passed_output, "visibility": VISIBILITY}


def results(grade: Grade | None, *, max_score: float = 2.0, marked: bool, error: str | None = None) -> dict:
    """results.json's content: half of max_score for each check; `error` (no grade) scores zero."""
    half = max_score / 2
    if grade is None:
        gradient = match = [f"not graded: {error}"]
    else:
        gradient, match = split_reasons(grade)
    tests = [_test(GRADIENT_TEST, gradient, half, "model.py passes the gradient check"),
             _test(MATCH_TEST, match, half, "cost and gradients equal the original network's at every probe")]
    how = ("graded with the instructor's key" if marked
           else "a self-check with the exercise folder's own file, not a grade for marks")
    return {"score": sum(t["score"] for t in tests), "output": f"mutagrad exercise grade: {how}",
            "visibility": VISIBILITY, "stdout_visibility": "hidden", "tests": tests}


def write_results(path, content: dict) -> None:
    """Write results.json (its folder is made if missing)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise MutagradError(f"--results-json {path}: cannot write it: {exc}") from exc
