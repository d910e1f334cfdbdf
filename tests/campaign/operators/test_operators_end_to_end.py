"""Every operator mutant of mlp.py, classified and then checked blind: the issue's acceptance run (slow)."""
import pytest

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.operators.entries import Kind
from mutagrad.campaign.operators.pipeline import generate_and_classify, write
from mutagrad.campaign.operators.target import reference_target
from mutagrad.campaign.runner import run_campaign

MIN_BUG_MUTANTS = 300  # distinct gradient-bug mutants: the target
MIN_BUG_ENTRIES = 1000  # gradient-bug (mutant, configuration) pairs
MIN_DETECTION = 0.99
SAMPLE_STEP = 6  # every sixth distinct gradient-bug mutant is checked end to end (the suite stays under 5 minutes)


@pytest.mark.slow
def test_mutagrad_catches_and_localizes_the_operator_mutants(tmp_path):
    generated = generate_and_classify(reference_target(), jobs=2)
    assert generated.count(Kind.BUG) >= MIN_BUG_MUTANTS and generated.count(Kind.EQUIVALENT) >= 1
    write(generated, tmp_path)
    catalog = load_catalog(tmp_path)  # the catalog's own validation: schema, patch, requires
    assert sum(e.detectable for e in catalog.entries) >= MIN_BUG_ENTRIES
    # Every sixth distinct mutant once (its first bug configuration, in catalog order) and every
    # equivalent entry, to keep the suite under five minutes; the whole per-configuration campaign
    # is the README's `mutagrad run --all --catalog DIR`.
    firsts, equivalent = {}, []
    for entry in catalog.entries:
        if entry.detectable:
            firsts.setdefault(entry.patch, entry)
        else:
            equivalent.append(entry)
    assert len(firsts) >= MIN_BUG_MUTANTS
    sample = tuple(list(firsts.values())[::SAMPLE_STEP]) + tuple(equivalent)
    result = run_campaign(sample, jobs=2, catalog=catalog.source)
    summary = result.summary
    assert summary.detection_rate >= MIN_DETECTION, result
    assert summary.localization_rate == 1.0, result  # every detected bug at the oracle's first wrong component
    assert summary.false_alarms == 0, result
