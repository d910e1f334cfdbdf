"""The README's Python examples run as written: the API call, the pytest test and the notebook cell."""
import ast
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## From Python: API, pytest and notebooks"


def python_blocks() -> list[str]:
    """The ```python blocks of the README's section on Python use, in order."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```python\n(.*?)```", text[start:end if end != -1 else None], re.DOTALL)


def run_like_a_notebook_cell(code: str, namespace: dict):
    """Execute a cell and return the value of its last line, the one Jupyter displays."""
    body = ast.parse(code).body
    assert isinstance(body[-1], ast.Expr), "a notebook example ends with the value it shows"
    exec(compile(ast.Module(body[:-1], type_ignores=[]), "README.md", "exec"), namespace)
    return eval(compile(ast.Expression(body[-1].value), "README.md", "eval"), namespace)


@pytest.fixture
def blocks(monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name files relative to the repository
    found = python_blocks()
    assert len(found) == 3, "the section shows an API call, a pytest test and a notebook cell"
    return dict(zip(("api", "pytest", "notebook"), found))


def test_the_api_example_runs(blocks, capsys):
    exec(compile(blocks["api"], "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_the_pytest_example_passes_under_pytest(blocks, pytester):
    name = re.match(r"# (test_\w+)\.py\n", blocks["pytest"])
    assert name, "the pytest example starts with its file name, # test_....py"
    pytester.makepyfile(**{name.group(1): blocks["pytest"]})
    pytester.runpytest().assert_outcomes(passed=blocks["pytest"].count("\ndef test_"))


def test_the_notebook_example_displays_a_table(blocks):
    shown = run_like_a_notebook_cell(blocks["notebook"], {})
    html = shown._repr_html_()
    assert "<table" in html
    assert shown.localized and f"<b>{shown.localized}</b> &larr; first wrong" in html
