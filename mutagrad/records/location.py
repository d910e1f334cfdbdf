"""Where a catalog entry's patch applies in mutagrad/mlp.py: what the standard mutation report shows."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PatchLocation:
    """A span of the reference's source (lines and columns from 1, end exclusive) and the text put there."""
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    replacement: str

    def to_dict(self) -> dict:
        """The location in mutation-testing-report-schema's form."""
        return {"start": {"line": self.start_line, "column": self.start_column},
                "end": {"line": self.end_line, "column": self.end_column}}
