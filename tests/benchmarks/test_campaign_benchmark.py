"""The campaign benchmark's synthetic catalogs load as any user's catalog would."""
import importlib.util
from pathlib import Path

import pytest

from mutagrad.campaign.catalog import load_catalog

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "campaign.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("campaign_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("pick", ["all", "backward", "single"])
def test_a_synthetic_catalog_is_a_valid_catalog_of_renamed_copies(bench, tmp_path, pick):
    size = 2 * len(bench.builtin_entries(pick)) + 3  # every entry copied more than once
    catalog = load_catalog(bench.synthetic_catalog(tmp_path / "catalog", size, pick))
    ids = [e.id for e in catalog.entries]
    assert len(ids) == len(set(ids)) == size
    assert all("-copy" in i for i in ids)
