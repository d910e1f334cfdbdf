"""The catalog on the path a user's file takes: no layered evaluator, every cost a model call.

    python benchmarks/catalog_plain.py directional   # or exhaustive

Detection and localization of every catalog mutant (all its configurations, seed 0) and the
reference's verdicts over the configurations and 5 seeds, with the mode forced.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # from a checkout

from mutagrad.campaign.catalog import load_catalog  # noqa: E402
from mutagrad.campaign.configs import CONFIGS  # noqa: E402
from mutagrad.campaign.runner import run_mutant, run_reference  # noqa: E402
from mutagrad.check import directional, fastpath  # noqa: E402

REFERENCE_SEEDS = 5


def main(mode: str) -> None:
    fastpath.fast_cost = lambda *a, **k: None  # what a user's file gets
    directional.choose_mode = lambda m, n, layered=True: mode
    detected = localized = detectable = 0
    for entry in load_catalog().entries:
        result = run_mutant(entry, seed=0)
        if result.detectable:
            detectable += 1
            detected += result.detected
            localized += result.localized_correctly
            if not (result.detected and result.localized_correctly):
                print(f"missed: {entry.id} ({result.outcome.value}, localized {result.localized})")
    alarms = [(c.name, s) for c in CONFIGS for s in range(REFERENCE_SEEDS) if run_reference(c, s).verdict.value != "pass"]
    print(f"{mode}: detected {detected}/{detectable}, localized {localized}/{detectable}, "
          f"reference not pass in {len(alarms)}/{len(CONFIGS) * REFERENCE_SEEDS} runs {alarms or ''}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "directional")
