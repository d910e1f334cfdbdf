"""Every bad input: one line on stderr naming the problem, exit code 2, never a traceback.

The table runs each case through `mutagrad.cli.main`. Cases already covered elsewhere are not
repeated: a missing model file, --keep-prob/--lambd/--layers values, --layers disagreeing with
the reference, a missing forward/backward/LAYER_DIMS, forward(X), a syntax error, a file that
raises while loading, a non-scalar or NaN cost and a backward that returns no dict
(tests/cli/test_cli_check.py); an unknown id or category, a missing selection and an unknown key
(tests/cli/test_cli_run.py); every malformed catalog field by file, line and field
(tests/campaign/test_catalog.py, MALFORMED).
"""
import pytest

from mutagrad.cli import main

MODEL = '''import numpy as np
LAYER_DIMS = [2, 1]
def forward(X, Y, p):
    Z = p["W1"] @ X + p["b1"]
    return float(np.mean(Z ** 2)), (X, Z)
def backward(X, Y, cache):
    X, Z = cache
    return {"dW1": 2 * Z @ X.T / Z.size, "db1": 2 * np.sum(Z, axis=1, keepdims=True) / Z.size}
'''
ENTRY = '''- id: my-bug
  title: My bug
  category: mine
  description: d
  hint: h
  components: ['dW{L}']
  patch:
    function: backward
    find: 'dZL = AL - Y'
    replace: 'dZL = Y - AL'
'''
FILES = {
    "model.py": MODEL,
    "binary.py": b"\xff\xfe",
    "nul.py": b"x = 1\0\n",
    "not_a_function.py": MODEL.replace("def forward(X, Y, p):", "forward = 3\ndef unused(X, Y, p):"),
    "backward_signature.py": MODEL.replace("def backward(X, Y, cache)", "def backward(X, cache)"),
    "three_outputs.py": MODEL.replace("return float(np.mean(Z ** 2)), (X, Z)", "return 1.0, (X, Z), None"),
    "string_cost.py": MODEL.replace("float(np.mean(Z ** 2))", "'cost'"),
    "string_gradient.py": MODEL.replace('return {"dW1": 2 * Z @ X.T / Z.size', 'return {"dW1": "abc"'),
    "list_gradient.py": MODEL.replace('return {"dW1": 2 * Z @ X.T / Z.size', 'return {"dW1": [[1.0, 2.0]]'),
    "layer_dims.py": MODEL.replace("LAYER_DIMS = [2, 1]", "LAYER_DIMS = [3, 1]\ndef init_parameters(seed):\n"
                                   "    return {'W1': np.ones((1, 2)), 'b1': np.zeros((1, 1))}"),
    "infinite_dims.py": MODEL.replace("LAYER_DIMS = [2, 1]", "LAYER_DIMS = [float('inf'), 1]"),
    "one_dim.py": MODEL.replace("LAYER_DIMS = [2, 1]", "LAYER_DIMS = [2]"),
    "getattr.py": MODEL + "def __getattr__(name):\n    raise RuntimeError('no ' + name)\n",
    "make_data.py": MODEL + "def make_data(seed):\n    return 1 / 0\n",
    "hangs.py": "while True:\n    pass\n",
    "exits.py": "import os\nos._exit(0)\n",
    "ten_gigabytes.py": "import numpy as np\nX = np.ones(10**10 // 8)\n",
    "entry.yaml": ENTRY,
    "binary.yaml": b"\xff\xfe- id: x\n",
    "unclosed.yaml": "- id: x\n  title: [unclosed\n  hint: h\n",
    "tab.yaml": "- id: x\n\ttitle: t\n",
    "python_tag.yaml": '- !!python/object/apply:os.system ["touch PWNED"]\n',
    "title_type.yaml": ENTRY.replace("title: My bug", "title: 3"),
    "components_type.yaml": ENTRY.replace("components: ['dW{L}']", "components: dW3"),
    "patch.yaml": ENTRY.replace("find: 'dZL = AL - Y'", "find: 'dZL = AL + Y'"),
    "duplicates/a.yaml": ENTRY,
    "duplicates/b.yaml": ENTRY,
    "a_file": "x",
}

# (arguments, the one line on stderr); {d} is the folder holding FILES.
BAD_INPUT = [
    # unreadable or missing files
    (["check", "{d}/binary.py"], "mutagrad: error: {d}/binary.py: cannot read it: 'utf-8' codec can't decode byte 0xff "
                                 "in position 0: invalid start byte"),
    (["check", "{d}"], "mutagrad check: error: Invalid value for 'FILE': File '{d}' is a directory."),
    (["check", "{d}/nul.py"], "mutagrad: error: {d}/nul.py: syntax error: source code string cannot contain null "
                              "bytes"),
    (["check", "{d}/entry.yaml"], "mutagrad: error: {d}/entry.yaml:1: syntax error: illegal target for annotation"),
    (["list", "--catalog", "{d}/nope.yaml"], "mutagrad: error: {d}/nope.yaml: no such file or folder"),
    (["show", "my-bug", "--catalog", "{d}/nope"], "mutagrad: error: {d}/nope: no such file or folder"),
    (["check", "{d}/loop.py"], "mutagrad: error: {d}/loop.py: cannot read it: Too many levels of symbolic links"),
    (["list", "--catalog", "{d}/loop.py"], "mutagrad: error: {d}/loop.py: cannot read it: Too many levels of "
                                           "symbolic links"),
    (["check", "{d}/fifty_megabytes.py"], "mutagrad: error: {d}/fifty_megabytes.py: 52,428,800 bytes is too large for "
                                          "a model file (at most 10 MB of code)"),
    (["list", "--catalog", "{d}/binary.yaml"], "mutagrad: error: {d}/binary.yaml: cannot read it: 'utf-8' codec can't "
                                               "decode byte 0xff in position 0: invalid start byte"),
    # model files that break the protocol
    (["check", "{d}/not_a_function.py"], "mutagrad: error: {d}/not_a_function.py: forward is not a function"),
    (["check", "{d}/backward_signature.py"], "mutagrad: error: {d}/backward_signature.py: backward(X, cache) must take "
                                             "(X, Y, cache[, lambd][, keep_prob])"),
    (["check", "{d}/three_outputs.py"], "mutagrad: error: {d}/three_outputs.py: forward must return (cost, cache), "
                                        "it returned tuple"),
    (["check", "{d}/string_cost.py"], "mutagrad: error: {d}/string_cost.py: forward returned a cost of dtype <U4"),
    (["check", "{d}/string_gradient.py"], "mutagrad: error: {d}/string_gradient.py: backward must return numpy "
                                          "arrays, but dW1 is a str"),
    (["check", "{d}/list_gradient.py"], "mutagrad: error: {d}/list_gradient.py: backward must return numpy arrays, "
                                        "but dW1 is a list"),
    (["check", "{d}/layer_dims.py"], "mutagrad: error: {d}/layer_dims.py: LAYER_DIMS [3, 1] disagree with the "
                                     "parameters: W1 is of shape (1, 2), expected (1, 3)"),
    (["check", "{d}/infinite_dims.py"], "mutagrad: error: {d}/infinite_dims.py: LAYER_DIMS must be a list of whole "
                                        "numbers, got [inf, 1]"),
    (["check", "{d}/one_dim.py"], "mutagrad: error: {d}/one_dim.py: LAYER_DIMS needs at least two positive sizes, "
                                  "got [2]"),
    (["check", "{d}/getattr.py"], "mutagrad: error: {d}/getattr.py: looking up make_data raised RuntimeError: "
                                  "no make_data"),
    (["check", "{d}/make_data.py"], "mutagrad: error: {d}/make_data.py: make_data(0) raised ZeroDivisionError: "
                                    "division by zero (make_data.py:10)"),
    # model files that hang or kill their process (run in a server: the check stops, mutagrad does not)
    (["check", "{d}/hangs.py", "--timeout", "0.5"], "mutagrad: error: {d}/hangs.py: no result within 0.5 s "
                                                    "of CPU time (--timeout): an infinite loop?"),
    (["check", "{d}/exits.py"], "mutagrad: error: {d}/exits.py: the check crashed: the process exited with code 0 "
                                "without a result (os._exit?)"),
    (["check", "{d}/ten_gigabytes.py"], "mutagrad: error: {d}/ten_gigabytes.py: the check crashed: out of memory: "
                                        "the code needed more than its 2048 MB memory limit (--memory-mb): "
                                        "MemoryError: Unable to allocate 9.31 GiB for an array with shape (1250000000,) and data "
                                        "type float64 (ten_gigabytes.py:2)"),
    # catalogs: malformed YAML (file:line:column), wrong types, a patch that does not apply, duplicate ids
    (["list", "--catalog", "{d}/unclosed.yaml"], "mutagrad: error: {d}/unclosed.yaml:3:7: not valid YAML: expected "
                                                 "',' or ']', but got ':'"),
    (["list", "--catalog", "{d}/tab.yaml"], "mutagrad: error: {d}/tab.yaml:2:1: not valid YAML: found character "
                                            "'\\t' that cannot start any token"),
    (["list", "--catalog", "{d}/python_tag.yaml"], "mutagrad: error: {d}/python_tag.yaml:1:3: not valid YAML: could "
                                                   "not determine a constructor for the tag "
                                                   "'tag:yaml.org,2002:python/object/apply:os.system'"),
    (["list", "--catalog", "{d}/title_type.yaml"], "mutagrad: error: {d}/title_type.yaml:2: entry 'my-bug': field "
                                                   "'title': 3 is not of type 'string'"),
    (["list", "--catalog", "{d}/components_type.yaml"], "mutagrad: error: {d}/components_type.yaml:6: entry "
                                                        "'my-bug': field 'components': 'dW3' is not of type 'array'"),
    (["run", "--all", "--catalog", "{d}/patch.yaml"], "mutagrad: error: {d}/patch.yaml:9: entry 'my-bug': field "
                                                      "'patch.find': find text 'dZL = AL + Y' does not occur in "
                                                      "backward() of mutagrad/mlp.py; it must occur exactly once"),
    (["run", "--all", "--catalog", "{d}/duplicates"], "mutagrad: error: {d}/duplicates/b.yaml:1: entry 'my-bug': "
                                                      "field 'id': duplicate id, first defined at "
                                                      "{d}/duplicates/a.yaml:1"),
    (["run", "other-id", "--catalog", "{d}/entry.yaml"], "mutagrad: error: unknown mutant id 'other-id' in the "
                                                         "{d}/entry.yaml catalog (`mutagrad list` shows the ids)"),
    (["list", "--category", "nope", "--catalog", "{d}/entry.yaml"], "mutagrad: error: unknown category 'nope' in "
                                                                    "the {d}/entry.yaml catalog (categories: mine)"),
    # bad option values
    (["check", "{d}/model.py", "--timeout", "-1"], "mutagrad check: error: Invalid value for '--timeout': must be > "
                                                   "0, got -1"),
    (["check", "{d}/model.py", "--timeout", "inf"], "mutagrad check: error: Invalid value for '--timeout': must be a "
                                                    "finite number, got inf"),
    (["check", "{d}/model.py", "--timeout", "1e300"], "mutagrad check: error: Invalid value for '--timeout': must be "
                                                      "<= 86400, got 1e+300"),
    (["check", "{d}/model.py", "--lambd", "nan"], "mutagrad check: error: Invalid value for '--lambd': must be a "
                                                  "finite number, got nan"),
    (["check", "{d}/model.py", "--lambd", "inf"], "mutagrad check: error: Invalid value for '--lambd': must be a "
                                                  "finite number, got inf"),
    (["check", "{d}/model.py", "--seed", "4294967296"], "mutagrad check: error: Invalid value for '--seed': 4294967296 "
                                                        "is not in the range 0<=x<=4294967295."),
    (["check", "{d}/model.py", "--memory-mb", "10"], "mutagrad check: error: Invalid value for '--memory-mb': 10 is "
                                                     "not in the range x>=256."),
    (["check", "{d}/model.py", "--seed", "-1"], "mutagrad check: error: Invalid value for '--seed': -1 is not in "
                                                "the range 0<=x<=4294967295."),
    (["check", "{d}/model.py", "--method", "forward"], "mutagrad check: error: Invalid value for '--method': "
                                                       "'forward' is not one of 'central', 'complex-step'."),
    (["check", "{d}/model.py", "--layers", "0,1"], "mutagrad: error: --layers '0,1': need at least two positive "
                                                   "sizes"),
    (["run", "--all", "--jobs", "0"], "mutagrad run: error: Invalid value for '--jobs' / '-j': 0 is not in the "
                                      "range x>=1."),
    (["run", "--all", "--jobs", "two"], "mutagrad run: error: Invalid value for '--jobs' / '-j': 'two' is not a "
                                        "valid integer range."),
    (["run", "--all", "--timeout", "0"], "mutagrad run: error: Invalid value for '--timeout': must be > 0, got 0"),
    (["run", "--all", "--timeout", "nan"], "mutagrad run: error: Invalid value for '--timeout': must be a finite "
                                           "number, got nan"),
    (["run", "--all", "--timeout", "inf"], "mutagrad run: error: Invalid value for '--timeout': must be a finite "
                                           "number, got inf"),
    (["run", "--all", "--timeout", "1e300"], "mutagrad run: error: Invalid value for '--timeout': must be <= 86400, "
                                             "got 1e+300"),
    (["run", "--all", "--seed", "4294967294"], "mutagrad run: error: Invalid value for '--seed': 4294967294 is too "
                                               "large: the reference runs also use seed + 1 .. seed + 2, and seeds "
                                               "end at 4294967295; use at most 4294967293"),
    (["run", "--all", "--seed", "4294967296"], "mutagrad run: error: Invalid value for '--seed': 4294967296 is too "
                                               "large: the reference runs also use seed + 1 .. seed + 2, and seeds "
                                               "end at 4294967295; use at most 4294967293"),
    (["sensitivity", "--seed", "4294967295", "--seeds", "2"], "mutagrad sensitivity: error: Invalid value for "
                                                              "'--seed': 4294967295 + --seeds 2 - 1 exceeds "
                                                              "4294967295, the largest seed"),
    (["exercise", "new", "--out", "{d}/ex", "--seed", "4294967296"], "mutagrad exercise new: error: Invalid value for "
                                                                     "'--seed': 4294967296 is not in the range "
                                                                     "0<=x<=4294967295."),
    (["run", "--all", "--memory-mb", "0"], "mutagrad run: error: Invalid value for '--memory-mb': 0 is not in the "
                                           "range x>=256."),
    (["run", "--all", "--seed", "-1"], "mutagrad run: error: Invalid value for '--seed': -1 is not in the range "
                                       "0<=x<=4294967293."),
    (["run", "--all", "transposed-dw"], "mutagrad run: error: --all runs every entry: give it without ids or "
                                        "--category"),
    (["run", "--all", "--out", "{d}/a_file"], "mutagrad run: error: Invalid value for '--out': Directory "
                                              "'{d}/a_file' is a file."),
    (["run", "--all", "--out", "{d}/a_file/reports"], "mutagrad: error: --out {d}/a_file/reports: cannot use it as "
                                                      "the output folder: Not a directory"),
    (["run", "--all", "--resume", "--out", "{d}/none"], "mutagrad: error: {d}/none/journal.jsonl: no journal to "
                                                        "resume; run without --resume to start"),
]


@pytest.fixture
def folder(tmp_path):
    for name, content in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop2.py")
    (tmp_path / "loop2.py").symlink_to(tmp_path / "loop.py")
    with open(tmp_path / "fifty_megabytes.py", "wb") as big:
        big.truncate(50 * 2 ** 20)  # sparse: its size alone is refused, before it is read
    return tmp_path


@pytest.mark.parametrize("args,line", BAD_INPUT, ids=[" ".join(a).replace("{d}/", "") for a, _ in BAD_INPUT])
def test_bad_input_is_one_clear_line_and_exit_2(folder, capsys, monkeypatch, args, line):
    monkeypatch.chdir(folder)
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(d=folder) for a in args])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err.strip() == line.format(d=folder)
    assert "Traceback" not in out + err


def test_yaml_tags_are_never_constructed(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    with pytest.raises(SystemExit):
        main(["list", "--catalog", str(folder / "python_tag.yaml")])
    assert not (folder / "PWNED").exists()
