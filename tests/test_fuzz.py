"""Fuzzing the loaders: random and mutated catalogs and model files load, or fail with a MutagradError.

Never another exception: whatever a user writes, the CLI can turn the failure into one line.
The mutations start from real inputs (a catalog file, the course's model file) so that most
examples get past the parser and reach the validation behind it.
"""
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutagrad.campaign.catalog import load_file
from mutagrad.errors import MutagradError
from mutagrad.check.model_file import load_model
from mutagrad.campaign.mutate import reference_source

ROOT = Path(__file__).resolve().parents[1]
CATALOG_TEXT = (ROOT / "mutants" / "dropout.yaml").read_text()
MODEL_TEXT = (ROOT / "examples" / "course_model.py").read_text()
REFERENCE = reference_source()
EXAMPLES = 60  # per test: the whole file runs in a few seconds
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Pieces spliced into the inputs: YAML and Python punctuation, keywords, odd values. Nothing
# that can loop (no `while`, `for`, `**`) or allocate much: the model files run in this process.
YAML_PIECES = ["-", ":", " ", "\n", "  ", "'", '"', "[", "]", "{", "}", "#", "&a", "*a", "!!str", "!!binary", "?",
               "|", ">", "null", "~", "true", "1e400", "-1", "id", "patch", "function", "find", "replace",
               "components", "requires", "expect: undetectable", "dW{L}", "hidden: [relu]", "min_depth: 0", "\t"]
PY_PIECES = ["(", ")", "[", "]", ":", ",", "\n", "    ", "=", "None", "0", "-1", "1e999", "float('nan')", "'x'",
             "lambda", "return", "def", "import os", "LAYER_DIMS", "forward", "backward", "np", "raise", "yield",
             "__getattr__", "class", "async", "*", "\\", "\0", "\ufeff", "#"]


@st.composite
def mutated(draw, text: str, pieces) -> str:
    """`text` with a few random edits: cut a slice, insert a piece, duplicate, drop or swap lines."""
    source = text
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "insert", "duplicate", "drop", "swap"]))
        lines = source.splitlines(keepends=True)
        at = draw(st.integers(0, max(0, len(source) - 1)))
        if kind == "cut":
            source = source[:at] + source[at + draw(st.integers(1, 40)):]
        elif kind == "insert":
            source = source[:at] + draw(st.sampled_from(pieces) | st.text(max_size=5)) + source[at:]
        elif lines:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "drop":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            source = "".join(lines)
    return source


def assert_loads_or_mutagrad_error(load, path):
    try:
        load(path)
    except MutagradError as exc:
        assert str(exc) and "\n" not in str(exc).strip()


# --- the catalog loader -----------------------------------------------------------------------

@FUZZ
@given(text=st.text(max_size=200))
def test_random_text_as_a_catalog(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_loads_or_mutagrad_error(lambda p: load_file(p, REFERENCE), path)


@FUZZ
@given(text=mutated(CATALOG_TEXT, YAML_PIECES))
def test_mutated_catalog_files(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert_loads_or_mutagrad_error(lambda p: load_file(p, REFERENCE), path)


@FUZZ
@given(data=st.binary(max_size=100))
def test_random_bytes_as_a_catalog(tmp_path, data):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    assert_loads_or_mutagrad_error(lambda p: load_file(p, REFERENCE), path)


# --- the model-file loader --------------------------------------------------------------------

@FUZZ
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=120))
def test_random_text_as_a_model_file(tmp_path, text):
    path = tmp_path / "model.py"
    path.write_text(text, encoding="utf-8")
    assert_loads_or_mutagrad_error(load_model, path)


@FUZZ
@given(text=mutated(MODEL_TEXT, PY_PIECES))
def test_mutated_model_files(tmp_path, text):
    path = tmp_path / "model.py"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert_loads_or_mutagrad_error(load_model, path)
