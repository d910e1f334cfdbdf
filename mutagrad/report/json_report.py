"""reports/report.json: the campaign for machines. No timings, so one seed gives one byte sequence.

The content is RunResult.to_dict() (records/campaign.py). Outcomes `timeout`, `crashed` and
`error` are counted apart from `detected` (summary: timeouts, crashed, errors); an interrupted
run's report says `"partial": true` and lists what did not run.
"""
from __future__ import annotations

import json

from ..records.campaign import RunResult


def render_json(result: RunResult) -> str:
    """report.json's text."""
    return json.dumps(result.to_dict(), indent=2) + "\n"
