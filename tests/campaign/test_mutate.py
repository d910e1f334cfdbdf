"""The mutation engine: patches apply inside one function, mutants are real, readable code."""
import traceback

import numpy as np
import pytest

from mutagrad import mlp
from mutagrad.campaign.catalog import load_catalog
from mutagrad.campaign.mutate import (
    Hunk,
    PatchError,
    apply_hunk,
    apply_patch,
    build_module,
    entry_diff,
    function_span,
    mutant_module,
    reference_source,
)

REFERENCE = reference_source()


def test_reference_source_is_the_installed_mlp():
    assert REFERENCE == open(mlp.__file__, encoding="utf-8").read()


def test_function_span_covers_exactly_one_function():
    start, end = function_span(REFERENCE, "compute_cost")
    text = REFERENCE[start:end]
    assert text.startswith("def compute_cost(") and "def forward(" not in text
    assert text.rstrip().endswith("return loss + lambd / (2 * m) * l2")


def test_hunk_changes_only_its_function():
    mutated = apply_hunk(REFERENCE, Hunk("compute_cost", "m = Y.shape[1]", "m = Y.shape[0]"))
    assert mutated.count("m = Y.shape[0]") == 1
    assert "m = X.shape[1]" in mutated  # backward's own `m` line is untouched
    start, end = function_span(mutated, "backward")
    assert mutated[start:end] == REFERENCE[slice(*function_span(REFERENCE, "backward"))]


def test_text_of_another_function_is_not_found():
    with pytest.raises(PatchError, match=r"does not occur in backward\(\)"):
        apply_hunk(REFERENCE, Hunk("backward", "Z = W @ A_prev + b", "Z = W @ A_prev"))


def test_ambiguous_find_is_refused_with_its_count():
    with pytest.raises(PatchError, match=r"occurs 2 times in backward\(\)"):
        apply_hunk(REFERENCE, Hunk("backward", "keepdims=True", "keepdims=False"))


def test_unknown_function_lists_the_functions():
    with pytest.raises(PatchError, match="no function 'backprop'.*backward") as info:
        apply_hunk(REFERENCE, Hunk("backprop", "x", "y"))
    assert info.value.field == "function"


def test_a_no_op_hunk_is_refused():
    with pytest.raises(PatchError, match="changes nothing"):
        apply_hunk(REFERENCE, Hunk("backward", "dZL = AL - Y", "dZL = AL - Y"))


def test_hunks_apply_in_order_and_the_result_must_compile():
    hunks = (Hunk("backward", "dZL = AL - Y", "dZL = Y - AL"), Hunk("backward", "dZL = Y - AL", "dZL = -(AL - Y)"))
    assert "dZL = -(AL - Y)" in apply_patch(REFERENCE, hunks)
    with pytest.raises(PatchError, match="does not compile") as info:
        apply_patch(REFERENCE, (Hunk("backward", "dZL = AL - Y", "dZL = (AL - Y"),))
    assert info.value.field == "replace"


def test_mutant_traceback_shows_the_mutant_line():
    source = apply_patch(REFERENCE, (Hunk("backward", "dZL = AL - Y", "dZL = AL - Y[5]  # planted"),))
    module = build_module(source, "<mutant planted-index>")
    X, Y = module.make_data(0)
    _, cache = module.forward(X, Y, module.init_parameters(0), rng=np.random.default_rng(0))
    with pytest.raises(IndexError) as info:
        module.backward(X, Y, cache)
    text = "".join(traceback.format_exception(info.value))
    assert '<mutant planted-index>' in text and "dZL = AL - Y[5]  # planted" in text


def test_modules_built_from_one_source_share_no_state():
    """The compiled code is reused; each module still runs it afresh, with its own globals."""
    first = build_module(REFERENCE, "<mutant shared-source>")
    first.LAYER_DIMS.append(7)
    second = build_module(REFERENCE, "<mutant shared-source>")
    assert second.LAYER_DIMS == mlp.LAYER_DIMS and second.forward is not first.forward


def test_mutant_module_runs_and_differs_from_the_reference():
    entry = load_catalog().get("dzl-sign-flipped")
    module = mutant_module(entry)
    X, Y = mlp.make_data(0)
    params = mlp.init_parameters(0)
    _, cache = mlp.forward(X, Y, params, rng=np.random.default_rng(0))
    np.testing.assert_allclose(module.backward(X, Y, cache)["dW3"], -mlp.backward(X, Y, cache)["dW3"])


def test_diff_is_a_readable_unified_diff():
    diff = entry_diff(load_catalog().get("transposed-dw"))
    lines = diff.splitlines()
    assert lines[0] == "--- a/mutagrad/mlp.py"
    assert lines[1] == "+++ b/mutagrad/mlp.py\t<mutant transposed-dw>"
    assert '-        grads["dW" + str(l)] = dZ @ A_prev.T / m + lambd / m * W' in lines
    assert '+        grads["dW" + str(l)] = A_prev @ dZ.T / m + lambd / m * W.T' in lines
    assert sum(line.startswith("@@") for line in lines) == 1
