"""mutagrad: test hand-written gradient code.

Is my gradient right, and if not, which part is wrong? And would the checker really
catch the bugs people make?
"""
from .api import check, check_file, run_catalog
from .errors import MutagradError
from .records import CheckResult, ComponentResult, ProbeResult, Verdict

__all__ = ["CheckResult", "ComponentResult", "MutagradError", "ProbeResult", "RunResult", "Verdict",
           "check", "check_file", "run_catalog"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The campaign records load the catalog (yaml, jsonschema): only when asked, because
    # `import mutagrad` runs at every pytest start-up through the plugin.
    if name == "RunResult":
        from .results import RunResult
        return RunResult
    raise AttributeError(f"module 'mutagrad' has no attribute {name!r}")
