"""pytest plugin (registered through the pytest11 entry point): the `gradcheck` fixture.

It loads at every pytest start-up wherever mutagrad is installed, so it imports nothing
heavy and nothing that could fail: the checker is imported when a test uses the fixture.
"""
from __future__ import annotations

import pytest

SEED_OPTION = "--mutagrad-seed"
SEED_INI = "mutagrad_seed"
DEFAULT_SEED = 0


def pytest_addoption(parser):
    parser.addoption(SEED_OPTION, dest=SEED_INI, default=None, metavar="SEED",
                     help=f"seed of the gradcheck fixture (default: the {SEED_INI} ini value, else 0)")
    parser.addini(SEED_INI, default=str(DEFAULT_SEED), help="seed of the gradcheck fixture")


def fixture_seed(config) -> int:
    """The seed from --mutagrad-seed, else the mutagrad_seed ini value, else 0."""
    value = config.getoption(SEED_INI)
    source = SEED_OPTION
    if value is None:
        value, source = config.getini(SEED_INI), SEED_INI
    try:
        seed = int(str(value).strip())
    except ValueError:
        seed = -1
    if seed < 0:
        pytest.fail(f"{source}={value!r}: the mutagrad seed must be a whole number >= 0", pytrace=False)
    return seed


class GradCheck:
    """assert_gradients_ok with the project's seed; a seed= keyword overrides it.

    An inconclusive check warns (mutagrad.errors.InconclusiveWarning) unless accept_inconclusive=True.
    """

    def __init__(self, seed: int):
        self.seed = seed

    def __call__(self, forward, backward, parameters, X, Y, **options):
        __tracebackhide__ = True
        from mutagrad.testing import assert_gradients_ok

        options.setdefault("seed", self.seed)
        return assert_gradients_ok(forward, backward, parameters, X, Y, **options)

    def __repr__(self) -> str:
        return f"<gradcheck seed={self.seed}>"


@pytest.fixture
def gradcheck(request) -> GradCheck:
    """mutagrad.testing.assert_gradients_ok with the project's seed (--mutagrad-seed)."""
    return GradCheck(fixture_seed(request.config))
