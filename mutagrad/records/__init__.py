"""Frozen result records: check.py (CheckResult and its parts), campaign.py (RunResult and its parts).

Every report writer reads these and nothing else, so the formats cannot disagree. A record knows
its own plain-dict form (`to_dict`, the JSON the CLI prints) but not how it is drawn: the
hooks from a record to a writer are `_repr_html_`, the notebook display, which imports
report/html_table.py when a notebook asks for it, and `__str__`, the CLI's text.
"""
from .check import CheckResult, ComponentResult, ProbeResult, Verdict, worst

__all__ = ["CheckResult", "ComponentResult", "ProbeResult", "Verdict", "worst"]
