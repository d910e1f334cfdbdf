"""The package layout is the architecture: dependencies between subsystems point one way.

Every import in mutagrad/ (module level and inside functions; not `if TYPE_CHECKING:` blocks) is
resolved to the subsystem it comes from and goes to. An edge the layering does not allow, or a
cycle between subsystems, fails with the file and line of the import.
"""
import ast
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "mutagrad"
# What each subsystem may import (besides itself). Top-level faces (cli, api, testing,
# pytest_plugin) may import anything; nothing may import them back.
ALLOWED = {
    "mlp": set(),
    "errors": set(),
    "records": {"errors"},
    "execution": {"errors", "records"},
    "check": {"errors", "records", "execution", "mlp"},
    "campaign": {"errors", "records", "execution", "check", "mlp"},
    "classroom": {"errors", "records", "execution", "check", "campaign", "mlp"},
    "report": {"errors", "records"},
}
FACES = {"cli", "api", "testing", "pytest_plugin", "__init__", "__main__"}
# The documented hooks from a record to a writer: the notebook display and str(), the CLI's text.
HOOKS = {("records", "report", "_repr_html_"), ("records", "report", "__str__")}


def subsystem(module: str) -> str:
    """'mutagrad.check.protocol' -> 'check'; 'mutagrad.api' -> 'api'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path):
    """(line, imported module, enclosing function) of every runtime import of mutagrad code in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []

    def visit(node, function):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("mutagrad"):
                if not node.module or target == "mutagrad":  # from . import x: x may be a module
                    found.extend((node.lineno, f"{target}.{a.name}", function) for a in node.names)
                else:
                    found.append((node.lineno, target, function))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, function) for a in node.names if a.name.startswith("mutagrad"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def edges():
    for path in sorted(PACKAGE.rglob("*.py")):
        source = subsystem(module_name(path))
        for line, target, function in imports(path):
            target = subsystem(target)
            if target != source:
                yield path.relative_to(ROOT), line, source, target, function


def test_every_subsystem_is_a_folder_or_a_face():
    names = {subsystem(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert names <= set(ALLOWED) | FACES, names - set(ALLOWED) - FACES


def test_dependencies_point_one_way():
    wrong = [f"{path}:{line}: {source} imports {target}" for path, line, source, target, function in edges()
             if source not in FACES and (source, target, function) not in HOOKS and target not in ALLOWED[source]]
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_subsystems():
    graph: dict[str, set[str]] = {}
    for _, _, source, target, _ in edges():
        graph.setdefault(source, set()).add(target)
    graph["records"].discard("report")  # the hooks import inside _repr_html_ and __str__ only: checked above

    def cycle_from(node, path):
        if node in path:
            return path[path.index(node):] + [node]
        for nxt in sorted(graph.get(node, ())):
            found = cycle_from(nxt, path + [node])
            if found:
                return found
        return None

    for start in sorted(graph):
        assert cycle_from(start, []) is None, " -> ".join(cycle_from(start, []))


@pytest.mark.parametrize("name", ["mutagrad.check", "mutagrad.campaign", "mutagrad.classroom", "mutagrad.execution",
                                  "mutagrad.records", "mutagrad.report", "mutagrad.cli"])
def test_each_subsystem_imports_and_says_what_it_is(name):
    module = __import__(name, fromlist=["_"])
    assert module.__doc__ and len(module.__doc__.strip()) > 40


def test_the_check_subpackage_never_shadows_the_check_function():
    import mutagrad
    import mutagrad.check  # noqa: F401 - the subpackage

    assert callable(mutagrad.check) and mutagrad.check.__module__ == "mutagrad.api"


def test_the_walker_sees_a_forbidden_edge(tmp_path):
    bad = tmp_path / "mutagrad" / "records" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ..campaign import runner\n\ndef f():\n    from ..report import html\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = [(line, t, fn) for line, t, fn in imports(bad)]
    finally:
        ROOT = saved
    assert found == [(1, "mutagrad.campaign", None), (4, "mutagrad.report", "f")]
