"""The protocol's holes: each model falls into one, and the checker must fail it and name the probe."""
import functools

import numpy as np
import pytest
from helpers import TESTS, reference_model

from mutagrad import mlp
from mutagrad.check.model_file import load_model
from mutagrad.check.protocol import check_model
from mutagrad.check.evaluator import Model
from mutagrad.records.check import Verdict

MODELS = TESTS / "models"


def check_file(name, **options):
    return check_model(load_model(MODELS / name), seed=0, **options)


def test_a_mask_skipped_only_when_regularizing_fails_where_both_paths_meet():
    result = check_file("hole_lambd_with_dropout.py")
    assert (result.verdict, result.exposed_by) == (Verdict.FAIL, "lambd+dropout")
    assert result.localized == "dW2"
    together = next(p for p in result.probes if p.name == "lambd+dropout")
    assert (together.lambd, together.keep_prob) == (0.7, 0.8)


def reference_with(find: str, replace: str, name: str) -> Model:
    """The reference network with one line of its source changed."""
    source = (TESTS.parent / "mutagrad" / "mlp.py").read_text()
    assert find in source
    namespace = {}
    exec(compile(source.replace(find, replace), name, "exec"), namespace)
    bind = {"hidden": "tanh", "output": "sigmoid"}
    dims = [4, 5, 3, 1]
    return Model(functools.partial(namespace["forward"], **bind), functools.partial(namespace["backward"], **bind),
                 tuple(dims), lambda seed: mlp.make_data(seed, dims, "sigmoid"),
                 lambda seed: mlp.init_parameters(seed, dims, "tanh"), name=name)


def test_a_cost_that_drops_its_penalty_under_dropout_fails_where_both_paths_meet():
    model = reference_with("return loss + lambd / (2 * m) * l2",
                           "return loss + (lambd / (2 * m) * l2 if keep_prob_on[0] == 1 else 0.0)", "no-l2")
    source_forward = model.forward.func

    def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0, rng=None, **kw):
        source_forward.__globals__["keep_prob_on"] = [keep_prob]
        return source_forward(X, Y, parameters, lambd, keep_prob, rng, **kw)
    model = Model(functools.partial(forward, **model.forward.keywords), model.backward, model.layer_dims,
                  model.make_data, model.init_parameters, name="no-l2")
    result = check_model(model, seed=0)
    assert (result.verdict, result.localized, result.exposed_by) == (Verdict.FAIL, "dW3", "lambd+dropout")


def test_a_backward_that_redraws_its_masks_from_the_global_rng_fails():
    result = check_file("hole_redrawn_masks.py")
    assert (result.verdict, result.localized, result.exposed_by) == (Verdict.FAIL, "dW2", "dropout")


def test_a_backward_that_redraws_from_its_own_rng_fails_and_a_cached_one_passes():
    def redraws(X, Y, cache, lambd=0.0, keep_prob=1.0, rng=None):
        caches, AL = cache
        if keep_prob < 1:  # fresh masks of the same shapes instead of the cached ones
            caches = [(A, W, Z, None if D is None else rng.random(D.shape) < keep_prob) for A, W, Z, D in caches]
        return mlp.backward(X, Y, (caches, AL), lambd, keep_prob, hidden="tanh")

    def reads_cache(X, Y, cache, lambd=0.0, keep_prob=1.0, rng=None):
        return mlp.backward(X, Y, cache, lambd, keep_prob, hidden="tanh")
    base = reference_model("tanh")
    for backward, verdict in ((redraws, Verdict.FAIL), (reads_cache, Verdict.PASS)):
        model = Model(base.forward, backward, base.layer_dims, base.make_data, base.init_parameters)
        result = check_model(model, seed=1)
        assert (result.verdict, result.error) == (verdict, None)
        assert result.exposed_by in (None, "dropout")


def test_a_hard_coded_batch_size_fails_at_the_batch_probe():
    result = check_file("hole_fixed_batch.py")
    assert (result.verdict, result.localized, result.exposed_by) == (Verdict.FAIL, "dW3", "batch")
    batch = next(p for p in result.probes if p.name == "batch")
    assert batch.m == 1 and "m = 1" in result.hint


def test_the_batch_probe_takes_m_2_where_the_cost_is_not_finite_at_m_1():
    base = reference_model("tanh")

    def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0, rng=None):
        cost, cache = base.forward(X, Y, parameters, lambd, keep_prob, rng)
        spread = np.std(X[0], ddof=1) if X.shape[1] > 1 else np.nan  # like a batch statistic
        return cost + 0.0 * spread, cache
    result = check_model(Model(forward, base.backward, base.layer_dims, base.make_data, base.init_parameters), seed=0)
    batch = next(p for p in result.probes if p.name == "batch")
    assert result.verdict is Verdict.PASS and batch.m == 2


def test_a_forward_that_ignores_its_rng_is_inconclusive_never_a_pass():
    result = check_file("hole_unpinned_rng.py")
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.to_dict()["verdict"] == "inconclusive"
    assert "differs between two calls at the same point" in result.hint
    assert {c.status for c in result.components} <= {Verdict.PASS, Verdict.WARN}  # per component: readable


def test_the_correct_course_model_passes_every_probe():
    result = check_file("dropout_course.py")
    assert result.verdict is Verdict.PASS
    assert [p.name for p in result.probes] == ["initial", "moved", "lambd", "dropout", "lambd+dropout", "batch"]


def test_the_probe_column_names_where_a_failure_shows_and_nothing_for_a_pass():
    result = check_file("hole_fixed_batch.py")
    for c in result.components:
        if c.status is Verdict.FAIL:
            first = next(p.name for p in result.probes
                         if any(d.name == c.name and d.status is Verdict.FAIL for d in p.components))
            assert c.probe == first
        elif c.status is Verdict.PASS:
            assert c.probe == ""
    assert result.component(result.localized).probe == result.exposed_by


@pytest.mark.parametrize("seed", range(3))
def test_backward_runs_with_another_rng_state_than_forward(seed):
    states = []

    def forward(X, Y, parameters, lambd=0.0, keep_prob=1.0, rng=None):
        states.append(("forward", np.random.get_state()[1][:4].tolist(), rng.bit_generator.state["state"]["state"]))
        return mlp.forward(X, Y, parameters, lambd, keep_prob, rng)

    def backward(X, Y, cache, lambd=0.0, keep_prob=1.0, rng=None):
        states.append(("backward", np.random.get_state()[1][:4].tolist(), rng.bit_generator.state["state"]["state"]))
        return mlp.backward(X, Y, cache, lambd, keep_prob)
    base = reference_model()
    check_model(Model(forward, backward, base.layer_dims, base.make_data, base.init_parameters), seed=seed,
                taylor=False)
    fwd = {(tuple(s), r) for kind, s, r in states if kind == "forward"}
    bwd = {(tuple(s), r) for kind, s, r in states if kind == "backward"}
    assert len(fwd) == 1 and len(bwd) == 1  # pinned: every forward starts alike, every backward too
    (f_global, f_rng), = fwd
    (b_global, b_rng), = bwd
    assert f_global != b_global and f_rng != b_rng
