"""The pytest plugin: the `gradcheck` fixture, its seed option, and a start-up it never breaks."""
import subprocess
import sys

pytest_plugins = ["pytester"]

USER_TESTS = '''
from mutagrad.mlp import backward, forward, init_parameters, make_data


def backward_dW2_doubled(X, Y, cache, lambd=0.0, keep_prob=1.0):
    grads = backward(X, Y, cache, lambd=lambd, keep_prob=keep_prob)
    grads["dW2"] = 2 * grads["dW2"]
    return grads


def test_correct(gradcheck):
    X, Y = make_data(seed=0)
    gradcheck(forward, backward, init_parameters(seed=0), X, Y)


def test_planted_bug(gradcheck):
    X, Y = make_data(seed=0)
    gradcheck(forward, backward_dW2_doubled, init_parameters(seed=0), X, Y)
'''

SEED_TESTS = '''
from mutagrad.mlp import backward, forward, init_parameters, make_data


def test_seed(gradcheck):
    X, Y = make_data(seed=0)
    print("seed used:", gradcheck(forward, backward, init_parameters(seed=0), X, Y).seed)


def test_override(gradcheck):
    X, Y = make_data(seed=0)
    assert gradcheck(forward, backward, init_parameters(seed=0), X, Y, seed=9).seed == 9
'''


def test_a_three_line_test_passes_on_correct_and_fails_readably_on_a_planted_bug(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    run = pytester.runpytest()
    run.assert_outcomes(passed=1, failed=1)
    out = run.stdout.str()
    failure = out[out.index("test_planted_bug"):]
    assert "│ fail " in next(line for line in failure.splitlines() if "│ dW2 " in line)
    run.stdout.fnmatch_lines(["*AssertionError: mutagrad: dW2 is the first wrong gradient*",
                              "*localized: dW2*", "*hint: dW2 is the first wrong gradient*"])
    assert "mutagrad/testing.py" not in failure  # the helper's own frame is hidden


def seeds_used(run):
    return [line.split("seed used:")[1].strip() for line in run.outlines if "seed used:" in line]


def test_the_seed_is_0_by_default_and_can_be_overridden_per_call(pytester):
    pytester.makepyfile(test_seed=SEED_TESTS)
    run = pytester.runpytest("-s")
    run.assert_outcomes(passed=2)
    assert seeds_used(run) == ["0"]


def test_the_seed_comes_from_the_ini_file_then_the_command_line(pytester):
    pytester.makepyfile(test_seed=SEED_TESTS)
    pytester.makeini("[pytest]\nmutagrad_seed = 7\n")
    assert seeds_used(pytester.runpytest("-s")) == ["7"]
    assert seeds_used(pytester.runpytest("-s", "--mutagrad-seed=3")) == ["3"]


def test_a_bad_seed_errors_only_the_tests_that_use_the_fixture(pytester):
    pytester.makepyfile(test_seed=SEED_TESTS, test_other="def test_other():\n    pass\n")
    run = pytester.runpytest("--mutagrad-seed=abc")
    run.assert_outcomes(passed=1, errors=2)
    run.stdout.fnmatch_lines(["*--mutagrad-seed='abc'*whole number*"])


def test_the_plugin_is_registered_and_documents_its_option(pytester):
    run = pytester.runpytest("--help")
    assert run.ret == 0
    run.stdout.fnmatch_lines(["*--mutagrad-seed=SEED*"])
    fixtures = pytester.runpytest("--fixtures")
    fixtures.stdout.fnmatch_lines(["gradcheck*", "*assert_gradients_ok*"])


def test_loading_the_plugin_imports_neither_numpy_nor_the_checker():
    code = ("import sys, mutagrad.pytest_plugin; "
            "print(sorted(m for m in ('numpy', 'mutagrad.check.protocol', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_inconclusive_check_warns_and_can_be_accepted(pytester):
    pytester.makepyfile(test_noisy='''
import numpy as np
from mutagrad.mlp import backward, forward, init_parameters, make_data


def noisy(X, Y, parameters, keep_prob=1.0):
    return forward(X, Y, parameters, keep_prob=keep_prob, rng=np.random.default_rng())


def grads(X, Y, cache, keep_prob=1.0):
    return backward(X, Y, cache, keep_prob=keep_prob)


def test_warns(gradcheck):
    X, Y = make_data(seed=0)
    gradcheck(noisy, grads, init_parameters(seed=0), X, Y)


def test_accepted(gradcheck, recwarn):
    X, Y = make_data(seed=0)
    gradcheck(noisy, grads, init_parameters(seed=0), X, Y, accept_inconclusive=True)
    assert not recwarn.list
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*InconclusiveWarning*"])
