"""The lecture-notes loop as a whole process on a model file: `python benchmarks/course_process.py FILE`.

Loads the file, takes its make_data(0) and init_parameters(0), runs gradient_check_n at that one
point (2 forward passes per parameter) and prints the notes' relative difference and the count.
"""
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks.course from a checkout

from benchmarks.course import gradient_check_n  # noqa: E402


def main(path: str, coordinates: int | None = None) -> None:
    spec = importlib.util.spec_from_file_location("user_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, Y = module.make_data(0)
    parameters = module.init_parameters(0)
    _, cache = module.forward(X, Y, parameters)
    grads = module.backward(X, Y, cache)
    difference, approx = gradient_check_n(parameters, grads, X, Y, module.forward, coordinates=coordinates)
    print(f"difference {difference:.3e} forward_passes {2 * approx.shape[0]}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
