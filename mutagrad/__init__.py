"""mutagrad: test hand-written gradient code.

Is my gradient right, and if not, which part is wrong? And would the checker really
catch the bugs people make?
"""
# The subpackage mutagrad.check is imported before the function of the same name is bound, so
# `import mutagrad.check` (the subpackage) never shadows `mutagrad.check(...)` (the function).
from . import check as _check_subpackage  # noqa: F401
from .api import check, check_file, run_catalog
from .errors import MutagradError
from .records.check import CheckResult, ComponentResult, ProbeResult, Verdict

__all__ = ["CheckResult", "ComponentResult", "MutagradError", "ProbeResult", "RunResult", "Verdict",
           "check", "check_file", "run_catalog"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The campaign records load the catalog (yaml, jsonschema): only when asked, because
    # `import mutagrad` runs at every pytest start-up through the plugin.
    if name == "RunResult":
        from .records.campaign import RunResult
        return RunResult
    raise AttributeError(f"module 'mutagrad' has no attribute {name!r}")
