"""Hostile and large catalogs: aliases are refused at once, and the work per entry is constant."""
import copy
import time

import pytest
import yaml

from mutagrad.campaign import mutate
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.mutate import Hunk, PatchError, apply_patch, reference_source
from mutagrad.errors import CatalogError

BIG = 400  # entries of the large catalog: enough that a per-entry recompile of mlp.py would show

BOMB = """- id: laughs
  title: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def big_catalog(path, count: int):
    """`count` entries: the built-in ones again and again under new ids."""
    builtin = [yaml.safe_load(f.read_text()) for f in sorted(reference_catalog_files())]
    entries = [e for file in builtin for e in file]
    big = []
    for i in range(count):
        entry = copy.deepcopy(entries[i % len(entries)])
        entry["id"] = f"{entry['id']}-{i}"
        big.append(entry)
    path.write_text(yaml.dump(big, Dumper=_NoAliases, sort_keys=False))
    return path


def reference_catalog_files():
    from mutagrad.campaign.catalog import builtin_catalog
    return [f for f in builtin_catalog().iterdir() if f.name.endswith(".yaml")]


def test_an_alias_bomb_is_refused_with_its_line_before_it_expands(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    start = time.process_time()
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value) == f"{path}:3:10: alias *a is not allowed in a catalog: write the value out"
    assert time.process_time() - start < 5  # CPU seconds; expanding 9**9 strings would take minutes


def test_an_anchor_without_alias_is_still_yaml(tmp_path):
    path = tmp_path / "anchor.yaml"
    big_catalog(path, 1)
    path.write_text(path.read_text().replace("- id:", "- &first\n  id:", 1))
    assert len(load_catalog(path).entries) == 1


def test_a_large_catalog_parses_the_reference_once_and_compiles_only_patched_functions(tmp_path, monkeypatch):
    path = big_catalog(tmp_path / "big.yaml", BIG)
    reference = reference_source()
    longest = max(end - start for start, end in mutate._function_spans(reference).values())
    mutate._function_spans.cache_clear()
    parses, compiled = [], []
    real_parse, real_compile = mutate.ast.parse, compile
    monkeypatch.setattr(mutate.ast, "parse", lambda source, *a, **k: parses.append(len(source)) or real_parse(
        source, *a, **k))
    monkeypatch.setattr(mutate, "compile", lambda source, *a, **k: compiled.append(len(source)) or real_compile(
        source, *a, **k), raising=False)
    catalog = load_catalog(path)
    hunks = sum(len(e.patch) for e in catalog.entries)
    assert len(catalog.entries) == BIG
    assert len(parses) == 1  # the reference, once for the whole catalog
    assert len(compiled) <= hunks
    assert sum(compiled) <= hunks * (longest + 200)  # each compile is one patched function, not mlp.py


def test_patches_of_two_hunks_in_two_functions_match_applying_them_one_by_one():
    reference = reference_source()
    hunks = (Hunk("compute_cost", "m = Y.shape[1]", "m = Y.shape[0]"), Hunk("backward", "dZL = AL - Y", "dZL = Y - AL"),
             Hunk("compute_cost", "m = Y.shape[0]", "m = 1 + Y.shape[0]"))
    expected = reference
    for hunk in hunks:
        expected = mutate.apply_hunk(expected, hunk)
    assert apply_patch(reference, hunks) == expected


def test_a_patch_that_breaks_syntax_names_the_line_of_the_whole_source():
    reference = reference_source()
    with pytest.raises(PatchError) as info:
        apply_patch(reference, (Hunk("backward", "dZL = AL - Y", "dZL = (AL - Y"),))
    line = next(i for i, text in enumerate(reference.splitlines(), 1) if "dZL = AL - Y" in text)
    assert f"(line {line}: 'dZL = (AL - Y')" in str(info.value)
