"""The fixed model configurations of a campaign, and which of them suit a catalog entry.

Each configuration binds the reference's `hidden=` and `output=` and its layer sizes. Every
hidden activation and every output layer appears at least once; `square` has equal widths up
to the last hidden layer, where layer-swapping and untransposed-W bugs run without a crash.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..check.layered import HIDDEN, OUTPUTS  # noqa: F401 (every one appears in CONFIGS)

MAX_CONFIGS_PER_MUTANT = 2  # keeps `mutagrad run --all` to a few seconds on two cores
REFERENCE_SEEDS = 3  # seeds per configuration of the unmutated reference's false-alarm runs


@dataclass(frozen=True)
class Config:
    """One model configuration of the reference network."""
    name: str
    hidden: str
    output: str
    layer_dims: tuple[int, ...]

    @property
    def depth(self) -> int:
        """L, the number of weight layers."""
        return len(self.layer_dims) - 1

    @property
    def square_hidden(self) -> bool:
        """W1 ... W{L-1} are all square."""
        return len(set(self.layer_dims[:-1])) == 1

    def to_dict(self) -> dict:
        return {"name": self.name, "hidden": self.hidden, "output": self.output,
                "layer_dims": list(self.layer_dims)}


CONFIGS = (
    Config("relu-sigmoid", "relu", "sigmoid", (4, 5, 3, 1)),
    Config("tanh-softmax", "tanh", "softmax", (4, 5, 3, 3)),
    Config("sigmoid-linear", "sigmoid", "linear", (4, 5, 3, 2)),
    Config("leaky-softmax", "leaky_relu", "softmax", (4, 5, 3, 3)),
    Config("relu-linear-deep", "relu", "linear", (4, 6, 5, 4, 2)),
    Config("tanh-sigmoid-square", "tanh", "sigmoid", (4, 4, 4, 4, 1)),
)


def suits(config: Config, requires, min_depth: int = 1) -> bool:
    """Whether the mutated line is live in `config` (`requires` is a catalog.Requires)."""
    return ((requires.hidden is None or config.hidden in requires.hidden)
            and (requires.output is None or config.output in requires.output)
            and config.depth >= max(requires.min_depth or 1, min_depth)
            and (not requires.square_hidden or config.square_hidden))


def configs_for(requires, min_depth: int = 1) -> tuple[Config, ...]:
    """The first MAX_CONFIGS_PER_MUTANT configurations, in list order, that suit `requires`."""
    return tuple(c for c in CONFIGS if suits(c, requires, min_depth))[:MAX_CONFIGS_PER_MUTANT]


def task_count(entries, configs=CONFIGS) -> int:
    """The results a campaign of `entries` waits for: each mutant, and the reference runs."""
    return len(entries) + len(configs) * REFERENCE_SEEDS
