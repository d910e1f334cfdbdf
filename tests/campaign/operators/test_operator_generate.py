"""The generator on mutagrad/mlp.py: minimal hunks that rebuild each mutant, deterministically."""
import pytest

from mutagrad.campaign.mutate import apply_patch, reference_source
from mutagrad.campaign.operators import OPERATORS
from mutagrad.campaign.operators.generate import DEFAULT_FUNCTIONS, generate
from mutagrad.errors import MutagradError

SOURCE = reference_source()
MUTANTS = generate(SOURCE)


def test_every_operator_mutates_the_reference():
    assert {m.operator for m in MUTANTS} == {op.name for op in OPERATORS}
    assert {m.function for m in MUTANTS} == set(DEFAULT_FUNCTIONS)
    assert len(MUTANTS) >= 400


def test_same_source_same_mutants():
    assert generate(SOURCE) == MUTANTS


def test_ids_are_unique_and_kebab_case():
    ids = [m.id for m in MUTANTS]
    assert len(set(ids)) == len(ids)
    assert all(i == i.lower() and "_" not in i and " " not in i for i in ids)


def test_each_hunk_is_one_place_and_rebuilds_its_mutant():
    sources = set()
    for m in MUTANTS:
        assert apply_patch(SOURCE, (m.hunk,)) == m.source, m.id
        assert m.hunk.find.count("\n") <= 1, f"{m.id}: not minimal: {m.hunk.find!r}"
        sources.add(m.source)
    assert len(sources) == len(MUTANTS) and SOURCE not in sources  # each distinct mutant once


MULTILINE = """import numpy as np


def backward(X, Y, cache):
    A1, A2, W2 = cache
    dA2 = (A2 - Y) / X.shape[1]
    return {"dW2": dA2 @ A1.T,
            "db2": dA2.sum(axis=1,
                           keepdims=True)}
"""


def test_a_statement_over_several_lines_keeps_its_indentation():
    mutants = generate(MULTILINE, ("backward",), OPERATORS, "multiline.py")
    last = [m for m in mutants if m.lines[1] >= 8]  # inside the three-line return
    assert last and any(m.lines[0] == 8 for m in last)  # its continuation lines are mutated too
    old = MULTILINE.splitlines()
    for m in mutants:
        assert apply_patch(MULTILINE, (m.hunk,)) == m.source, m.id
        new, (first, last) = m.source.splitlines(), m.lines
        assert new[:first - 1] == old[:first - 1] and new[len(new) - len(old) + last:] == old[last:], m.id
        if len(new) == len(old):  # one operator changed one line: every other line is as written
            assert sum(a != b for a, b in zip(old, new)) == 1, m.id


def test_only_the_function_bodies_are_mutated():
    """Default values in a signature (lambd=0.0) are never mutated: the checker always passes them."""
    assert not any("def " in m.hunk.find for m in MUTANTS)
    chosen = generate(SOURCE, functions=("compute_cost",))
    assert chosen and {m.function for m in chosen} == {"compute_cost"}


def test_unknown_function_is_named():
    with pytest.raises(MutagradError, match="--functions: no_such_function not defined"):
        generate(SOURCE, functions=("no_such_function",))


def test_syntax_error_names_the_line():
    with pytest.raises(MutagradError, match="model.py:2: syntax error"):
        generate("def f():\n    return (\n", functions=("f",), label="model.py")
