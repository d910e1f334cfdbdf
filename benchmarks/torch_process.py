"""torch.autograd.gradcheck(fast_mode=True) as a whole process on a model file's network and point.

    python benchmarks/torch_process.py FILE

The same relu/softmax network, data and point as the file's LAYER_DIMS, make_data(0) and
init_parameters(0) (benchmarks/models/user_mlp.py), written in torch; prints pass/fail and the
number of cost evaluations.
"""
import importlib.util
import sys

import torch


def main(path: str) -> None:
    spec = importlib.util.spec_from_file_location("user_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, Y = (torch.tensor(a) for a in module.make_data(0))
    point = module.init_parameters(0)
    L = len(point) // 2
    calls = [0]

    def cost(*params):
        calls[0] += 1
        A = X
        for l in range(L):
            Z = params[2 * l] @ A + params[2 * l + 1]
            A = torch.relu(Z) if l < L - 1 else torch.softmax(Z, 0)
        return -(Y * torch.log(A)).sum() / X.shape[1]

    inputs = [torch.tensor(point[f"{p}{l}"], requires_grad=True) for l in range(1, L + 1) for p in "Wb"]
    ok = torch.autograd.gradcheck(cost, inputs, fast_mode=True, raise_exception=False)
    print(f"{'pass' if ok else 'fail'} forward_passes {calls[0]}")


if __name__ == "__main__":
    main(sys.argv[1])
