"""Characterize a failing gradient component: which simple mistake explains the mismatch.

Blind: it sees the analytic gradient g, the numeric estimate a, the parameter values theta
at the probe point, and the probe's settings (lambd, keep_prob, m). It tries, in order,
the patterns backprop bugs leave behind, and names the first that explains the mismatch
g - a up to the noise:

  zeros       g == 0 where a is not (or a == 0, up to the noise, where g is not)
  scale       g = c a, c named when it is 2, 1/2, -1, m, 1/m, keep_prob, m/(m-1), ...
  term        g = a + k theta: a term proportional to the weights, k compared with lambd/m
  offset      g = a + k: the same shift on every entry of a bias gradient
  transposed  g.T == a (square matrices)
  mixed       g = c a + k theta, k a named value (a scale on the loss part only)
  entries     only a few entries wrong

Of the patterns that fit, one whose coefficients are named values wins, then the simpler,
then the closer: with few entries several can fit, and a named one is the likelier story.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIT_TOL = 0.1  # a pattern explains the mismatch when it leaves <= 10% of ||g - a|| ...
FIT_NOISE = 2.0  # ... or no more than twice the finite-difference noise floor
MATCH_REL = 1e-3  # a fitted factor c is the named value v when |c - v| <= 1e-3 |v - 1| ...
MATCH_NOISE = 5.0  # ... or within 5 standard errors of the fit (noise floor / ||a||)
FEW_ENTRIES = 0.5  # "only some entries wrong" when at most half of them carry the mismatch
SHOW_ENTRIES = 3


@dataclass(frozen=True)
class Context:
    """The probe's settings the diagnosis may name (None when the probe does not use them)."""
    lambd: float | None = None
    keep_prob: float | None = None
    m: int | None = None


@dataclass(frozen=True)
class _Pattern:
    text: str
    residual: float  # ||g - fitted||
    named: bool  # its coefficients are named values (2, 1/m, lambd/m, ...), or it has none
    params: int  # fitted coefficients


def diagnose(name: str, g, a, theta, context: Context = Context(), floor: float = 0.0) -> str:
    """A one-line description of the mismatch between analytic g and numeric a (same shape).

    Of the patterns that explain the mismatch up to the noise, a named one wins (a factor 2,
    lambd/m), then the one with fewer coefficients, then the closest.
    """
    g = np.asarray(g, dtype=float)
    a = np.asarray(a, dtype=float)
    theta = np.asarray(theta, dtype=float)
    pname = name.removeprefix("d")
    e = g - a
    mismatch = float(np.linalg.norm(e))
    if mismatch == 0 or not np.all(np.isfinite(e)):
        return "no simple pattern"
    if not g.any():
        return "all zeros: the gradient is never filled in (or is overwritten with zeros)"
    if np.linalg.norm(a) <= FIT_NOISE * floor:
        return (f"numeric is zero: the cost does not depend on {pname} here (is it used in the "
                f"forward pass?), but analytic is not")
    tol = max(FIT_TOL * mismatch, FIT_NOISE * floor)
    found = [p for p in _patterns(pname, g, a, theta, e, context, floor) if p.residual <= tol]
    if not found:
        return _entries_text(e, g, a, tol)
    best = min(found, key=lambda p: (not p.named, p.params, p.residual))
    return best.text + ("; a single entry, so other patterns fit it too" if g.size == 1 else "")


def _patterns(pname, g, a, theta, e, context, floor):
    """Every candidate explanation g ~ f(a, theta), with how well it fits."""
    c = _coefficient(g, a)
    if c is not None:
        label = _name(c, _factor_names(context), 1.0, MATCH_NOISE * floor / np.linalg.norm(a))
        yield _Pattern(_scale_text(c, label), float(np.linalg.norm(g - c * a)), label is not None, 1)
    k = _coefficient(e, theta)
    if k is not None:
        label = _name(abs(k), _term_names(context), 0.0, MATCH_NOISE * floor / np.linalg.norm(theta))
        yield _Pattern(_term_text(k, pname, label), float(np.linalg.norm(e - k * theta)), label is not None, 1)
    if pname.lower().startswith("b") and e.size > 1:
        yield _Pattern(f"analytic = numeric {e.mean():+.3g} on every entry: a constant offset",
                       float(np.linalg.norm(e - e.mean())), False, 1)
    if g.ndim == 2 and g.shape[0] == g.shape[1] > 1:
        yield _Pattern("transposed: analytic.T matches numeric", float(np.linalg.norm(g.T - a)), True, 0)
    mixed = _two_term_fit(g, a, theta)
    if mixed is not None:
        c, k = mixed
        term = _name(abs(k), _term_names(context), 0.0, MATCH_NOISE * floor / np.linalg.norm(theta))
        if term is not None:
            factor = _name(c, _factor_names(context), 1.0, MATCH_NOISE * floor / np.linalg.norm(a))
            text = (f"analytic = {c:.4g} x numeric {k:+.3g} x {pname} ({term}): the loss part is scaled"
                    + (f" ({factor})" if factor else "") + ", the weight term is not")
            yield _Pattern(text, float(np.linalg.norm(g - c * a - k * theta)), factor is not None, 2)


def _coefficient(y, x):
    """Least-squares k in y ~ k x (None when x is zero)."""
    xx = float(np.vdot(x, x))
    return float(np.vdot(x, y)) / xx if xx > 0 else None


def _two_term_fit(g, a, theta):
    A = np.stack([a.ravel(), theta.ravel()], axis=1)
    if g.size < 3 or np.linalg.matrix_rank(A) < 2:
        return None
    coef, *_ = np.linalg.lstsq(A, g.ravel(), rcond=None)
    return float(coef[0]), float(coef[1])


def _name(value: float, names, origin: float, sigma: float):
    """The label of the named value `value` matches ('a factor 2 = ...'), or None."""
    labels = [label for v, label in names
              if abs(value - v) <= max(MATCH_REL * abs(v - origin), sigma) and v != origin]
    return " or ".join(dict.fromkeys(labels)) or None


def _factor_names(context: Context) -> list[tuple[float, str]]:
    names = [(2.0, "a factor 2"), (0.5, "a factor 1/2"), (-1.0, "a sign flip"),
             (-2.0, "a sign flip and a factor 2"), (-0.5, "a sign flip and a factor 1/2")]
    m, kp = context.m, context.keep_prob
    if m and m > 2:
        names += [(float(m), "x m: a missing /m"), (1.0 / m, "x 1/m: an extra /m"),
                  (m / (m - 1), "x m/(m-1): divides by m-1 instead of m"),
                  ((m - 1) / m, "x (m-1)/m: divides by m instead of m-1"),
                  (-float(m), "a sign flip and a missing /m"), (-1.0 / m, "a sign flip and an extra /m")]
    if kp is not None and 0 < kp < 1:
        names += [(kp, "x keep_prob: a missing /keep_prob (or an extra x keep_prob)"),
                  (1.0 / kp, "x 1/keep_prob: an extra /keep_prob"),
                  (kp * kp, "x keep_prob^2"), (1.0 / (kp * kp), "x 1/keep_prob^2: /keep_prob twice")]
    return names


def _scale_text(c: float, label: str | None) -> str:
    if label:
        return f"analytic = {c:.6g} x numeric ({label})"
    if abs(c - 1) < 1e-2:
        return f"analytic = (1 {c - 1:+.2e}) x numeric: a small constant scale error"
    return f"analytic = {c:.6g} x numeric: a constant scale factor"


def _term_names(context: Context) -> list[tuple[float, str]]:
    lambd, m = context.lambd, context.m
    if not lambd or not m:
        return []
    return [(lambd / m, f"lambd/m = {lambd / m:.3g}"), (lambd / (2 * m), f"lambd/(2m) = {lambd / (2 * m):.3g}"),
            (2 * lambd / m, f"2 lambd/m = {2 * lambd / m:.3g}"), (lambd, f"lambd = {lambd:.3g}"),
            (lambd - lambd / m, f"lambd - lambd/m = {lambd - lambd / m:.3g}"),
            (lambd / 2, f"lambd/2 = {lambd / 2:.3g}")]


def _term_text(k: float, pname: str, label: str | None) -> str:
    kind = "extra" if k > 0 else "missing"
    text = f"{kind} term {abs(k):.3g} x {pname}" + (f" ({label})" if label else "")
    if pname.lower().startswith("w"):
        text += ": look at the regularization term"
    return text


def _entries_text(e, g, a, tol) -> str:
    big = np.abs(e) > tol / np.sqrt(e.size)
    worst = np.unravel_index(int(np.argmax(np.abs(e))), e.shape)
    where = tuple(int(i) for i in worst)
    tail = f"worst entry {where}: analytic {g[worst]:.4g} vs numeric {a[worst]:.4g}"
    if e.size > 1 and big.sum() <= FEW_ENTRIES * e.size:
        shown = ", ".join(str(tuple(int(i) for i in idx)) for idx in np.argwhere(big)[:SHOW_ENTRIES])
        more = ", ..." if big.sum() > SHOW_ENTRIES else ""
        return f"wrong in {int(big.sum())} of {e.size} entries ({shown}{more}); {tail}"
    return f"no simple pattern; {tail}"
