"""Test helpers: the reference network as a checkable Model in any configuration."""
import functools
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutagrad import mlp
from mutagrad.cli import cli, main
from mutagrad.check.evaluator import Model

TESTS = Path(__file__).resolve().parent  # tests/: models/ and hostile/ hold test inputs
ROOT = TESTS.parent
EXAMPLES = ROOT / "examples"
HIDDEN = ("relu", "leaky_relu", "tanh", "sigmoid")
OUTPUT_DIMS = {"sigmoid": [4, 5, 3, 1], "softmax": [4, 5, 3, 3], "linear": [4, 5, 3, 2]}


def reference_model(hidden="relu", output="sigmoid", layer_dims=None, backward=None):
    """The reference network in one configuration; `backward` may wrap the true one."""
    dims = list(layer_dims or OUTPUT_DIMS[output])
    true_backward = functools.partial(mlp.backward, hidden=hidden, output=output)
    return Model(
        forward=functools.partial(mlp.forward, hidden=hidden, output=output),
        backward=backward(true_backward) if backward else true_backward,
        layer_dims=tuple(dims),
        make_data=lambda seed: mlp.make_data(seed, dims, output),
        init_parameters=lambda seed: mlp.init_parameters(seed, dims, hidden),
        name=f"reference-{hidden}-{output}",
    )


def invoke(*args):
    """A mutagrad command through click's CliRunner."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_main(capsys, *args):
    """Through main(), which turns mutagrad's errors into one line and exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err
