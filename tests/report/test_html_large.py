"""report.html of a large campaign: a heatmap row per category, and every mutant one table row away."""
import base64
import dataclasses
import io
import re

import pytest
from PIL import Image

from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.runner import run_campaign
from mutagrad.records.campaign import Outcome
from mutagrad.report import html_large
from mutagrad.report.html import render_html

IDS = ("transposed-dw", "forgotten-dropout-mask", "db-without-keepdims", "dropout-removed-consistently")
COPIES = 150  # x 4 mutants: past LARGE_CAMPAIGN


@pytest.fixture(scope="module")
def large():
    """A real small campaign whose mutant records are repeated under new ids (no extra checks run)."""
    catalog = load_catalog()
    small = run_campaign(catalog.select(IDS), seed=0, jobs=1)
    mutants = tuple(dataclasses.replace(m, id=f"{m.id}-copy{k:04d}") for m in small.mutants for k in range(COPIES))
    result = dataclasses.replace(small, mutants=tuple(sorted(mutants, key=lambda m: m.category)))
    original = catalog.details()
    details = {m.id: original[m.id.rsplit("-copy", 1)[0]] for m in result.mutants}
    return small, result, details


def heatmap(html: str) -> Image.Image:
    data = re.search(r'<img id="heatmap"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_a_small_campaign_keeps_a_row_per_mutant(large):
    small, _, _ = large
    assert not html_large.is_large(small)
    assert "Every mutant: diagnosis and diff" in render_html(small)


def test_the_heatmap_has_a_row_per_category(large):
    small, result, details = large
    assert html_large.is_large(result)
    labels, columns, medians, counts, _ = html_large.category_heatmap_rows(result)
    categories = list(dict.fromkeys(m.category for m in result.mutants))
    assert labels[:-1] == [f"{c} ({sum(m.category == c for m in result.mutants)})" for c in categories]
    assert labels[-1].startswith("reference")
    for row, c in zip(counts, categories):  # every localized mutant is counted once, in its category's row
        assert sum(row) == sum(m.detected for m in result.mutants if m.category == c and m.runs)
    # the copies are identical, so a category's median is its original mutants' value
    image = heatmap(render_html(result, details))
    assert image.height < 1000 and image.height <= heatmap(render_html(small)).height + 200


def test_every_mutant_has_a_row_and_the_page_stays_small(large):
    small, result, details = large
    html = render_html(result, details)
    anchors = re.findall(r'<tr id="mutant-([\w-]+)"', html)
    assert sorted(anchors) == sorted(m.id for m in result.mutants)
    assert len(set(re.findall(r'id="([^"]+)"', html))) == len(re.findall(r'id="([^"]+)"', html))  # unique ids
    for category in {m.category for m in result.mutants}:
        assert f'<details id="category-{category}">' in html
    per_mutant = len(html.encode()) / len(result.mutants)
    assert per_mutant < 1000  # bytes: 2,000 mutants stay well under 5 MB


def test_the_misses_keep_their_diagnosis_and_diff(large):
    small, result, details = large
    survived = dataclasses.replace(result.mutants[0], runs=tuple(dataclasses.replace(r, verdict=None, error="x")
                                                                 for r in result.mutants[0].runs))
    assert survived.outcome is Outcome.ERROR
    html = render_html(dataclasses.replace(result, mutants=(survived, *result.mutants[1:])), details)
    assert "The misses (1)" in html
    assert f'<details id="miss-{survived.id}">' in html and '<span class="hunk">' in html  # the diff, in full
