"""Number formats shared by the report writers."""
from __future__ import annotations


def num(x, spec: str = ".2e") -> str:
    """x in `spec`, or '-' when there is no value."""
    return "-" if x is None else format(x, spec)


def pct(rate) -> str:
    """A rate as a percentage, or 'n/a' when it is undefined (nothing to divide by)."""
    return "n/a" if rate is None else f"{100 * rate:.1f}%"
