"""The catalog tests itself: every entry against HIPS autograd, and every malformed entry's error."""
import textwrap

import numpy as np
import pytest
from autograd import grad
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from mutagrad.campaign.catalog import (
    BUILTIN,
    Expect,
    load_catalog,
    load_file,
    resolve_components,
)
from mutagrad.campaign.configs import CONFIGS, suits
from mutagrad.errors import CatalogError
from mutagrad.check.gradcheck import component_order
from mutagrad.campaign.mutate import build_module, mutant_module, mutant_source, reference_source
from mutagrad.check.protocol import moved_point, own_parameters, probes_for
from mutagrad.campaign.runner import model_for

CATALOG = load_catalog()
ENTRIES = CATALOG.entries
IDS = [e.id for e in ENTRIES]
SEED = 0
ORACLE_SEEDS = (0, 1, 2, 3, 4)  # components must not depend on the data drawn
ORACLE_RTOL = 1e-8  # the reference agrees with autograd to ~1e-12; a planted bug is far above this
REQUIRED_CATEGORIES = {"regularization", "dropout", "shapes", "reductions", "activations", "loss-output",
                       "indexing", "forward", "invisible-at-init"}
DEFINING = {"missing-lambda-over-m-term", "transposed-dw", "off-by-one-db-output-layer", "forgotten-dropout-mask"}


# --- the oracle: the mutant's backward against autograd of the mutant's own cost -------------

def autograd_module(source: str, name: str):
    return build_module(source.replace("import numpy as np", "import autograd.numpy as np", 1),
                        f"<autograd {name}>")


def evaluate(module, config, X, Y, P, lambd, keep_prob, seed):
    """(cost, grads) with the dropout masks pinned as the checker pins them."""
    bind = {"hidden": config.hidden, "output": config.output}
    np.random.seed(seed)
    cost, cache = module.forward(X, Y, P, lambd=lambd, keep_prob=keep_prob, rng=np.random.default_rng(seed), **bind)
    np.random.seed(seed)
    return cost, module.backward(X, Y, cache, lambd=lambd, keep_prob=keep_prob, **bind)


def true_gradient(auto, config, X, Y, P, lambd, keep_prob, seed):
    def cost(params):
        np.random.seed(seed)
        return auto.forward(X, Y, params, lambd=lambd, keep_prob=keep_prob, rng=np.random.default_rng(seed),
                            hidden=config.hidden, output=config.output)[0]
    return grad(cost)(P)


def wrong_components(grads, truth) -> set:
    wrong = set()
    for name, t in truth.items():
        g = grads.get("d" + name)
        if g is None or np.shape(g) != np.shape(t):
            wrong.add("d" + name)
        elif np.linalg.norm(g - t) > ORACLE_RTOL * (np.linalg.norm(t) + np.linalg.norm(g)):
            wrong.add("d" + name)
    return wrong


def probe_points(module, config, seed):
    """(probe name, parameters, lambd, keep_prob) for every probe the checker runs, in its order."""
    X, Y = module.make_data(seed, layer_dims=list(config.layer_dims), output=config.output)
    start = own_parameters(module.init_parameters(seed, layer_dims=list(config.layer_dims), hidden=config.hidden))
    moved = moved_point(start, seed)
    for name, is_moved, lambd, keep_prob in probes_for(model_for(module, config, "oracle"), None, None):
        yield name, X, Y, (moved if is_moved else start), lambd, keep_prob


def oracle(entry, config, seed=SEED, points=None) -> dict:
    """Per probe: the components where the mutant's backward is not autograd's gradient of its cost,
    and whether the mutant's cost or gradient differs from the reference's at all."""
    source = mutant_source(entry)
    mutant = build_module(source, f"<oracle {entry.id}>")
    auto = autograd_module(source, entry.id)
    reference = build_module(reference_source(), "<oracle reference>")
    ref_auto = autograd_module(reference_source(), "reference")
    ref_points = {name: P for name, _, _, P, _, _ in (points or probe_points)(reference, config, seed)}
    found = {}
    for name, X, Y, P, lambd, keep_prob in (points or probe_points)(mutant, config, seed):
        cost, grads = evaluate(mutant, config, X, Y, P, lambd, keep_prob, seed)
        truth = true_gradient(auto, config, X, Y, P, lambd, keep_prob, seed)
        ref_cost, ref_grads = evaluate(reference, config, X, Y, P, lambd, keep_prob, seed)
        changed = (not np.isclose(cost, ref_cost, rtol=1e-12, atol=0)
                   or wrong_components(grads, {k[1:]: v for k, v in ref_grads.items() if k[1:] in P})
                   or any(not np.array_equal(P[k], ref_points[name][k]) for k in P))  # a different start
        # Where the answer key itself disagrees with autograd, a relu sits exactly at its kink
        # (b = 0 and a whole column of A_prev dropped or negative): there any slope in [0, 1]
        # is a valid derivative, and autograd's max() takes 1/2. Not evidence of a bug.
        kinked = wrong_components(ref_grads, true_gradient(ref_auto, config, X, Y, P, lambd, keep_prob, seed))
        found[name] = (wrong_components(grads, truth) - kinked, bool(changed))
    return found


def first_wrong(found: dict, parameter_names) -> str | None:
    wrong = set().union(*(w for w, _ in found.values()))
    return next(("d" + p for p in component_order(list(parameter_names)) if "d" + p in wrong), None)


def parameter_names(config):
    return [f"{k}{l}" for l in range(1, config.depth + 1) for k in "Wb"]


# --- the built-in catalog ---------------------------------------------------------------------

def test_builtin_catalog_is_packaged_and_big_enough():
    assert CATALOG.source == BUILTIN
    assert len(ENTRIES) >= 40
    assert sum(not e.detectable for e in ENTRIES) >= 5
    assert REQUIRED_CATEGORIES <= set(CATALOG.categories)
    assert DEFINING <= set(IDS)


def test_every_file_holds_one_category():
    root = ROOT / "mutants"
    for f in sorted(root.glob("*.yaml")):
        assert len({e.category for e in load_file(f)}) == 1, f.name


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_is_what_it_claims_against_autograd(entry):
    """A gradient bug's first wrong gradient (autograd as the truth) is one of its components;
    a non-bug changes the model but stays consistent."""
    for config in entry.configs():
        for seed in ORACLE_SEEDS:
            found = oracle(entry, config, seed)
            where = f"{entry.id} in {config.name}, seed {seed}"
            assert any(changed for _, changed in found.values()) or changes_the_update(entry, config, seed), \
                f"{where}: changes nothing"
            first = first_wrong(found, parameter_names(config))
            if entry.expect is Expect.UNDETECTABLE:
                assert first is None, f"{where}: backward is not the gradient of the cost ({first})"
            else:
                expected = entry.expected_components(config.depth)
                assert first in expected, f"{where}: first wrong gradient {first}, the catalog says {expected}"


def changes_the_update(entry, config, seed) -> bool:
    """Whether one gradient-descent step (update_parameters) differs from the reference's."""
    mutant = build_module(mutant_source(entry), f"<update {entry.id}>")
    reference = build_module(reference_source(), "<update reference>")
    _, _, _, P, lambd, keep_prob = next(probe_points(reference, config, seed))
    X, Y = reference.make_data(seed, layer_dims=list(config.layer_dims), output=config.output)
    _, grads = evaluate(reference, config, X, Y, P, lambd, keep_prob, seed)
    steps = [module.update_parameters(own_parameters(P), grads, 0.1) for module in (mutant, reference)]
    return any(not np.array_equal(steps[0][k], steps[1][k]) for k in P)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_requires_lambd_and_keep_prob_say_where_the_line_is_live(entry):
    """With `lambd: true` the mutant equals the reference unless lambd > 0 (likewise keep_prob)."""
    config = entry.configs()[0]
    changed = {name for name, (_, c) in oracle(entry, config).items() if c}
    if entry.requires.lambd:
        assert changed == {"lambd", "lambd+dropout"}, f"{entry.id} changes the model in probes {sorted(changed)}"
    elif entry.requires.keep_prob:
        assert changed == {"dropout", "lambd+dropout"}, f"{entry.id} changes the model in probes {sorted(changed)}"
    else:
        assert changed & {"initial", "moved"} or changes_the_update(entry, config, SEED), \
            f"{entry.id} needs lambd or keep_prob: mark it in requires"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.category == "invisible-at-init"],
                         ids=lambda e: e.id)
def test_invisible_at_init_entries_are_consistent_at_initialization(entry):
    """At the initial point (zero biases) the bug vanishes with every setting; at the moved point it shows."""
    # A smooth hidden activation: with b = 0 and dropout, a relu can sit exactly at its kink,
    # where autograd's max() takes the half-slope and the answer key the zero slope.
    config = next(c for c in CONFIGS if suits(c, entry.requires) and c.hidden in ("tanh", "sigmoid"))

    def initial_with_every_setting(module, config, seed):
        for name, X, Y, P, lambd, keep_prob in probe_points(module, config, seed):
            if name == "moved":
                start = own_parameters(module.init_parameters(seed, list(config.layer_dims), config.hidden))
                for lam, kp in ((0.0, 1.0), (0.7, 1.0), (0.0, 0.8)):
                    yield f"initial {lam} {kp}", X, Y, start, lam, kp
            yield name, X, Y, P, lambd, keep_prob

    found = oracle(entry, config, points=initial_with_every_setting)
    assert not any(w for name, (w, _) in found.items() if name.startswith("initial")), found
    assert first_wrong(found, parameter_names(config)) in entry.expected_components(config.depth)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_has_a_difficulty_and_a_hint_that_does_not_quote_the_patch(entry):
    assert entry.difficulty is not None
    for hunk in entry.patch:
        if hunk.replace.strip():
            assert hunk.replace.strip() not in entry.hint, f"{entry.id}: the hint gives the patch away"


def test_mutant_module_is_independent_of_the_reference():
    from mutagrad import mlp
    before = mlp.backward.__code__
    mutant = mutant_module(CATALOG.get("dzl-sign-flipped"))
    assert mutant.backward is not mlp.backward and mlp.backward.__code__ is before


def test_resolve_components_forms():
    assert resolve_components(["dW{L}", "db{L-1}", "dW1"], 4) == ("dW4", "db3", "dW1")
    assert resolve_components(["dW{l}"], 4) == ("dW3", "dW2", "dW1")


def test_select_by_category_and_unknown_names():
    assert {e.category for e in CATALOG.select(categories=["dropout"])} == {"dropout"}
    with pytest.raises(CatalogError, match="unknown mutant id 'no-such-bug'"):
        CATALOG.select(ids=["no-such-bug"])
    with pytest.raises(CatalogError, match="unknown category 'no-such-category'"):
        CATALOG.select(categories=["no-such-category"])


# --- malformed catalogs: each yields one clear error with file, line and field --------------

GOOD = """\
- id: my-bug
  title: Output delta sign
  category: loss-output
  description: The output delta has the wrong sign.
  hint: Which way should the cost move?
  components: ['dW{L}']
  patch:
    function: backward
    find: 'dZL = AL - Y'
    replace: 'dZL = Y - AL'
"""


def write(tmp_path, text, name="bugs.yaml"):
    f = tmp_path / name
    f.write_text(textwrap.dedent(text))
    return f


def load_error(tmp_path, text) -> str:
    f = write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(f)
    return str(info.value)


def test_a_good_user_catalog_loads(tmp_path):
    catalog = load_catalog(write(tmp_path, GOOD))
    assert [e.id for e in catalog.entries] == ["my-bug"]
    assert catalog.entries[0].location.endswith("bugs.yaml:1")


MALFORMED = {
    "unknown key": (GOOD.replace("  hint:", "  hnt: x\n  hint:"), 5, "field 'hnt': unknown key"),
    "missing field": (GOOD.replace("  hint: Which way should the cost move?\n", ""), 1, "field 'hint': missing"),
    "find absent": (GOOD.replace("find: 'dZL = AL - Y'", "find: 'dZL = AL + Y'"), 9,
                    "field 'patch.find': find text 'dZL = AL + Y' does not occur in backward()"),
    "find twice": (GOOD.replace("find: 'dZL = AL - Y'", "find: 'keepdims=True'").replace("'dZL = Y - AL'", "'keepdims=False'"),
                   9, "find text 'keepdims=True' occurs 2 times in backward()"),
    "find in another function": (GOOD.replace("find: 'dZL = AL - Y'", "find: 'Z = W @ A_prev + b'"), 9,
                                 "does not occur in backward()"),
    "unknown function": (GOOD.replace("function: backward", "function: backwards"), 8,
                         "field 'patch.function': no function 'backwards'"),
    "bad id": (GOOD.replace("id: my-bug", "id: My Bug"), 1, "field 'id': 'My Bug' is not kebab-case"),
    "bad component": (GOOD.replace("['dW{L}']", "['dW{L+1}']"), 6, "field 'components[0]': 'dW{L+1}' is not a component"),
    "bad expect": (GOOD + "  expect: maybe\n", 11, "field 'expect': 'maybe' is not one of detected, undetectable"),
    "bad difficulty": (GOOD + "  difficulty: trivial\n", 11, "field 'difficulty': 'trivial' is not one of"),
    "undetectable without reason": (GOOD.replace("  components: ['dW{L}']\n", "") + "  expect: undetectable\n", 1,
                                    "field 'reason': missing"),
    "reason on a gradient bug": (GOOD + "  reason: because\n", 11, "field 'reason'"),
    "undetectable with components": (GOOD + "  expect: undetectable\n  reason: r\n", 6,
                                     "an undetectable entry has no components"),
    "unknown requires key": (GOOD + "  requires: {lamda: true}\n", 11, "field 'requires.lamda': unknown key"),
    "unsatisfiable requires": (GOOD + "  requires: {hidden: [relu], square_hidden: true}\n", 11,
                               "field 'requires': no campaign configuration satisfies it"),
    "patch does not compile": (GOOD.replace("replace: 'dZL = Y - AL'", "replace: 'dZL = (Y - AL'"), 10,
                               "field 'patch.replace': the patched source does not compile"),
    "duplicate key": (GOOD.replace("  hint:", "  title: again\n  hint:"), 5, "field 'title': duplicate key"),
    "not a list": ("id: my-bug\n", 1, "expected a list of entries"),
    "not YAML": ("- id: [unclosed\n", 2, "not valid YAML"),
    "empty file": ("", 1, "the file is empty"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_entry_names_file_line_and_field(tmp_path, case):
    text, line, message = MALFORMED[case]
    error = load_error(tmp_path, text)
    assert error.startswith(f"{tmp_path / 'bugs.yaml'}:{line}:"), error
    assert message in error, error
    assert "\n" not in error


def test_second_hunk_of_a_list_patch_is_named(tmp_path):
    text = GOOD.replace("""  patch:
    function: backward
    find: 'dZL = AL - Y'
    replace: 'dZL = Y - AL'
""", """  patch:
    - function: backward
      find: 'dZL = AL - Y'
      replace: 'dZL = Y - AL'
    - function: forward
      find: 'no such text'
      replace: 'x'
""")
    error = load_error(tmp_path, text)
    assert error.startswith(f"{tmp_path / 'bugs.yaml'}:12:") and "field 'patch[1].find'" in error, error


def test_duplicate_id_across_files_names_both_places(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'b.yaml'}:1: entry 'my-bug': field 'id': duplicate id")
    assert f"{tmp_path / 'a.yaml'}:1" in message


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(CatalogError, match="no such file or folder"):
        load_catalog(tmp_path / "nope")
    with pytest.raises(CatalogError, match="no .yaml files"):
        load_catalog(tmp_path)


VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
KEYS = st.sampled_from(["id", "title", "category", "description", "hint", "components", "patch", "requires",
                        "expect", "reason", "difficulty", "other"])


@settings(max_examples=60, deadline=None)
@given(entry=st.dictionaries(KEYS, VALUES, max_size=8))
def test_any_malformed_entry_is_a_catalog_error_never_a_crash(tmp_path_factory, entry):
    import yaml
    f = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    f.write_text(yaml.safe_dump([entry]))
    try:
        load_file(f)
    except CatalogError as exc:
        assert str(exc).startswith(f"{f}:")
