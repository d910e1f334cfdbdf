"""The oracle's classes on hand-picked mutants of mlp.py, and its gate on the reference."""
import dataclasses

import pytest

from mutagrad.campaign.configs import CONFIGS
from mutagrad.campaign.mutate import Hunk, apply_patch, reference_source
from mutagrad.campaign.operators.entries import Kind, decide
from mutagrad.campaign.operators.generate import generate
from mutagrad.campaign.operators.oracle import OracleError, Reference, Verdict, classify
from mutagrad.campaign.operators.target import reference_target

RELU_SIGMOID = CONFIGS[0]  # depth 3


@pytest.fixture(scope="module")
def target():
    return dataclasses.replace(reference_target(), settings=(RELU_SIGMOID,))


@pytest.fixture(scope="module")
def reference(target):
    return Reference(target)


def verdict(target, reference, function, find, replace):
    source = apply_patch(reference_source(), (Hunk(function, find, replace),))
    (found,) = classify(target, reference, source, "mutant", target.settings)
    return found


def test_output_delta_sign_is_a_bug_at_the_output_layer(target, reference):
    found = verdict(target, reference, "backward", "dZL = AL - Y", "dZL = AL + Y")
    assert found.verdict is Verdict.BUG and found.first_wrong == ("dW3",)
    assert set(found.changed_in) == {"initial", "moved", "lambd", "dropout"}


def test_regularization_term_is_a_bug_only_with_lambd(target, reference):
    found = verdict(target, reference, "backward", "dZL @ A_prev.T / m + lambd / m * WL",
                    "dZL @ A_prev.T / m + lambd * m * WL")
    assert found.verdict is Verdict.BUG and found.first_wrong == ("dW3",) and found.changed_in == ("lambd",)


def test_dropout_scale_is_a_bug_only_with_dropout(target, reference):
    found = verdict(target, reference, "backward", "dA = dA * D / keep_prob", "dA = dA * D * keep_prob")
    assert found.verdict is Verdict.BUG and found.first_wrong == ("dW2",) and found.changed_in == ("dropout",)


def test_forward_and_backward_changed_alike_is_equivalent(target, reference):
    """A changed cost whose backward still is its gradient: not a gradient bug."""
    found = verdict(target, reference, "compute_cost", "return loss + lambd / (2 * m) * l2", "return loss")
    assert found.verdict is Verdict.BUG  # the cost lost its L2 term, backward did not
    source = apply_patch(reference_source(), (Hunk("forward", "A = A * D / keep_prob", "A = A * D"),
                                              Hunk("backward", "dA = dA * D / keep_prob", "dA = dA * D")))
    (found,) = classify(target, reference, source, "both passes", target.settings)
    assert found.verdict is Verdict.EQUIVALENT and found.changed_in == ("dropout",)


def test_a_kink_only_change_is_unchanged(target, reference):
    found = verdict(target, reference, "activation_backward", "return dA * (Z > 0)", "return dA * (Z >= 0)")
    assert found.verdict is Verdict.UNCHANGED


def test_a_raising_mutant_is_invalid_with_the_reason(target, reference):
    found = verdict(target, reference, "backward", 'grads["db" + str(l)]', 'grads["db" - str(l)]')
    assert found.verdict is Verdict.INVALID and "TypeError" in found.reason and "initial probe" in found.reason


def test_a_misshapen_gradient_is_invalid(target, reference):
    found = verdict(target, reference, "backward", "np.sum(dZL, axis=1, keepdims=True)",
                    "np.sum(dZL, axis=1, keepdims=False)")
    assert found.verdict is Verdict.INVALID and "shape" in found.reason


def test_the_gate_refuses_a_reference_that_autograd_contradicts(target):
    broken = dataclasses.replace(target, source=apply_patch(reference_source(), (
        Hunk("backward", "dZL = AL - Y", "dZL = 2 * (AL - Y)"),)))
    with pytest.raises(OracleError, match="backward's dW3 differs from autograd's gradient of the cost"):
        Reference(broken)


def test_a_dead_line_gets_no_verdict_and_is_dropped(target, reference):
    (mutant,) = [m for m in generate(reference_source(), functions=("forward",))
                 if m.hunk.find == "rng = np.random.default_rng()"]
    assert reference.settings_live_at(mutant.lines) == ()
    assert decide(mutant, (), target.settings).kind is Kind.DEAD


def test_a_bug_becomes_one_entry_per_configuration(target, reference):
    (mutant,) = [m for m in generate(reference_source(), functions=("backward",))
                 if m.hunk.replace == "dZL = AL + Y"]
    decision = decide(mutant, classify(target, reference, mutant.source, mutant.id, target.settings), CONFIGS)
    (entry,) = decision.entries
    assert decision.kind is Kind.BUG
    assert entry["id"] == f"{mutant.id}-relu-sigmoid" and entry["components"] == ["dW{L}"]
    assert entry["requires"] == {"hidden": ["relu"], "output": ["sigmoid"]}
    assert entry["patch"] == {"function": "backward", "find": "dZL = AL - Y", "replace": "dZL = AL + Y"}
