"""Every operator on a small source: its own examples, run by one parametrized test (cosmic-ray style)."""
import ast

import pytest

from mutagrad.campaign.operators import OPERATORS
from mutagrad.campaign.operators.generate import generate

EXAMPLES = [(op, line, expected) for op in OPERATORS for line, expected in op.examples()]


def one_function(line: str) -> str:
    return f"def f(a, b):\n    {line}\n    return a\n"


@pytest.mark.parametrize("operator, line, expected", EXAMPLES,
                         ids=[f"{op.name}: {line}" for op, line, _ in EXAMPLES])
def test_operator_example(operator, line, expected):
    mutants = generate(one_function(line), functions=("f",), operators=(operator,))
    assert [m.source.splitlines()[1].strip() for m in mutants] == expected
    for m in mutants:
        assert m.operator == operator.name and m.function == "f" and m.lines == (2, 2)
        assert m.hunk.find == line and m.hunk.replace == m.source.splitlines()[1].strip()
        ast.parse(m.source)  # every mutant compiles


def test_every_operator_has_examples_that_mutate():
    assert len(OPERATORS) == 14
    assert len({op.name for op in OPERATORS}) == len(OPERATORS)
    for op in OPERATORS:
        assert any(expected for _, expected in op.examples()), op.name


@pytest.mark.parametrize("line, swapped, means", [
    ("y = lambd / m * W", "y = (lambd - m) * W", "(lambd - m) * W"),
    ("y = a - b * c", "y = a - (b + c)", "a - (b + c)"),
    ("y = a - b - c", "y = a - b + c", "(a - b) + c"),
    ("y = a * b + c", "y = (a * b) ** c", "(a * b) ** c"),
    ("y = a * b ** 2", "y = a ** b ** 2", "a ** (b ** 2)"),
])
def test_swapped_operator_keeps_the_tree(line, swapped, means):
    """Parentheses appear exactly where the new operator would otherwise regroup the operands."""
    sources = [m.source.splitlines()[1].strip() for m in generate(one_function(line), functions=("f",))]
    assert swapped in sources
    assert ast.dump(ast.parse(swapped.split(" = ", 1)[1])) == ast.dump(ast.parse(means))
