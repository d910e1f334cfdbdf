"""mutagrad: test hand-written gradient code.

Is my gradient right, and if not, which part is wrong? And would the checker really
catch the bugs people make?
"""
from .errors import MutagradError
from .records import CheckResult, ComponentResult, ProbeResult, Verdict

__all__ = ["CheckResult", "ComponentResult", "MutagradError", "ProbeResult", "Verdict"]
__version__ = "0.1.0"
