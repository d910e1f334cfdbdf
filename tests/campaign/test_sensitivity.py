"""The sensitivity sweep: detection limits per method, zero false alarms, and its three report files."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from mutagrad.campaign import sensitivity
from mutagrad.cli import cli
from mutagrad.campaign.configs import CONFIGS
from mutagrad.check.protocol import moved_point, own_parameters


@pytest.fixture(scope="module")
def unit():
    config = next(c for c in CONFIGS if c.hidden == "tanh")
    model = sensitivity.reference_model(config)
    X, Y = model.make_data(0)
    point = moved_point(own_parameters(model.init_parameters(0)), 0)
    return sensitivity.measure_unit(model, X, Y, point, "moved", 0.0, 1.0, seed=0)


@pytest.fixture(scope="module")
def summary():
    return sensitivity.sweep(seed=0, seeds=1, configs=CONFIGS[:2])


def test_true_gradient_raises_no_flag(unit):
    for pname in unit.order:
        assert not any(sensitivity.flags(unit, pname, unit.grads[pname]).values())


def test_large_error_is_flagged_by_every_method(unit):
    g = unit.grads["W2"]
    assert all(sensitivity.flags(unit, "W2", sensitivity.planted("scale", "W2", g, unit.theta["W2"], 0.1)).values())


def test_planted_errors_have_relative_size_delta(unit):
    for kind, pname in (("scale", "W1"), ("term", "W1"), ("shift", "b1")):
        g = unit.grads[pname]
        bad = sensitivity.planted(kind, pname, g, unit.theta[pname], 1e-3)
        assert np.linalg.norm(bad - g) / np.linalg.norm(g) == pytest.approx(1e-3)
    assert sensitivity.planted("shift", "W1", unit.grads["W1"], unit.theta["W1"], 1e-3) is None


def test_noise_aware_checker_beats_the_classic_thresholds(summary):
    methods = summary["methods"]
    assert all(m["false_alarms"] == 0 for m in methods.values())
    for kind in sensitivity.KINDS:
        limit = {name: m["kinds"][kind]["limit_all"] for name, m in methods.items()}
        assert limit["noise-aware"] <= 1e-4
        assert limit["noise-aware"] < limit["notes-1e-3"] and limit["noise-aware"] < limit["torch-default"]
        assert limit["complex-step"] <= limit["noise-aware"] / 100


@pytest.mark.slow
def test_writer_and_cli_produce_markdown_json_and_png(tmp_path):
    out = CliRunner().invoke(cli, ["sensitivity", "--out", str(tmp_path), "--seeds", "1"])
    assert out.exit_code == 0, out.output
    assert "| noise-aware | 0 /" in out.output
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert set(data["methods"]) == set(sensitivity.METHODS) and data["deltas"][-1] == 1e-10
    assert "| method | false alarms |" in (tmp_path / "sensitivity.md").read_text()
    assert (tmp_path / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
