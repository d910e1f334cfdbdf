"""Shared fixtures: a seeded generator (tests import their helpers from helpers.py)."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
