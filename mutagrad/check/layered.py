"""The reference network's cost at one point and at many small perturbations of it, fast.

The plain loop (numeric.finite_differences) runs the model's whole forward pass for each of
the 4 n + 1 costs of a component. LayeredCost computes the same costs from the layer
structure of the reference network (mlp.py):

  - a parameter of layer l leaves the layers below l unchanged: their activations are cached;
  - perturbing W_l[i, j] or b_l[i] changes only row i of Z_l, so Z_{l+1} changes by the rank-1
    update W_{l+1}[:, i] (A_l'[i] - A_l[i]), and only in the columns (examples) where
    A_l[i] changed;
  - above piecewise-linear hidden layers (relu, leaky relu) the change reaches Z_L linearly
    while no unit crosses its kink, which is certified per perturbation (else the general path);
  - many perturbations run as one stacked numpy evaluation, (n, batch, m), in batches whose
    temporaries never exceed MEMORY_BUDGET bytes, whatever the model size.

It is exact in exact arithmetic; in floating point its costs match the model's forward to an
ulp or two. Whether a probe may use it is fastpath.py's decision.
"""
from __future__ import annotations

import numpy as np

from .. import mlp
from .numeric import EPS, EPS_WIDE, Differences

HIDDEN = ("relu", "leaky_relu", "tanh", "sigmoid")  # mlp.py's hidden activations, all mirrored here
OUTPUTS = ("sigmoid", "softmax", "linear")  # mlp.py's output layers
MEMORY_BUDGET = 256 * 2**20  # bytes of batch temporaries, whatever the model size (issue 5)
BATCH_TARGET = 8 * 2**20  # batches of about this size ran fastest here (2 to 32 MB measured)
TEMPORARIES = 4  # arrays of one batch's widest layer alive at once (Z, A, products, loss terms)


class LayeredCost:
    """The reference network's cost J(theta) at one point, and at many perturbations of it.

    Examples are independent columns, so a perturbation recomputes only the columns whose
    activations it changes, and J sums per-column losses the same way for every perturbation.
    """

    def __init__(self, X, Y, parameters: dict, hidden: str, output: str, lambd: float,
                 keep_prob: float, mask_seed: int, budget: int = MEMORY_BUDGET, J0: float | None = None):
        self.X = np.asarray(X, dtype=float)
        self.J0 = J0  # the model's own cost here, when known: the plain loop's J0
        self.Y = np.asarray(Y, dtype=float)
        self.hidden, self.output = hidden, output
        self.L = len(parameters) // 2
        self.m = self.Y.shape[1]
        self.W = [None] + [parameters[f"W{l}"] for l in range(1, self.L + 1)]
        self.b = [None] + [parameters[f"b{l}"] for l in range(1, self.L + 1)]
        self.lambd, self.keep_prob = lambd, keep_prob
        self.coef = lambd / (2 * self.m)  # the L2 penalty lambd/(2m) * sum ||W||^2, as compute_cost
        self.denom = 2 * self.m if output == "linear" else self.m
        self.budget = budget
        self.evaluations = 0  # costs computed (each a partial forward pass)
        self.D = self._masks(mask_seed)
        self.Z, self.A = [None], [self.X]  # base point: Z_l and A_l (after dropout)
        for l in range(1, self.L + 1):
            self.Z.append(self.W[l] @ self.A[l - 1] + self.b[l])
            if l < self.L:
                self.A.append(self._hidden(l, self.Z[l], slice(None), slice(None)))
        # sum ||W||^2 for the L2 penalty; unused (and skipped) when lambd = 0
        self.l2 = sum(np.sum(np.square(self.W[l])) for l in range(1, self.L + 1)) if self.coef else 0.0
        self.Ysum = np.sum(self.Y, axis=0)
        self.shift = self.Z[self.L] - np.max(self.Z[self.L], axis=0, keepdims=True)  # softmax: Z_L - max
        self.u0 = self._numerators(self.Z[self.L][:, None, :], slice(None))[0]  # per-column loss
        self.Yshift = np.sum(self.Y * self.shift, axis=0)
        self._linear = {}

    def _masks(self, seed):
        """Dropout masks drawn as the reference does: rng.random(A.shape) < keep_prob, layer by layer."""
        if self.keep_prob >= 1:
            return [None] * self.L
        rng = np.random.default_rng(seed)
        return [None] + [rng.random((self.W[l].shape[0], self.m)) < self.keep_prob
                         for l in range(1, self.L)]

    # -- the network, stacked along a middle axis: Z is (n_l, batch, columns) ---------------------

    def _hidden(self, l, Z, rows, cols):
        """Hidden activation with inverted dropout (mask rows `rows`, columns `cols`)."""
        A = mlp.activation_forward(Z, self.hidden)
        if self.D[l] is not None:
            D = self.D[l][rows][..., cols]
            A = A * (D if D.ndim == Z.ndim else D[:, None, :]) / self.keep_prob
        return A

    def _numerators(self, ZL, cols):
        """Per-column loss times denom, (batch, columns), from output pre-activations (n_L, batch, columns)."""
        Y = self.Y[:, cols][:, None, :]
        if self.output == "softmax":
            # -sum_k Y_k log(softmax_k) = sum_k Y_k log S - sum_k Y_k (Z_k - max), S = sum_k exp(Z_k - max)
            shifted = ZL - np.max(ZL, axis=0, keepdims=True)
            return self.Ysum[cols] * np.log(np.sum(np.exp(shifted), axis=0)) - np.sum(Y * shifted, axis=0)
        AL = mlp.activation_forward(ZL, self.output)
        if self.output == "sigmoid":
            return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL), axis=0)
        return np.sum((AL - Y) ** 2, axis=0)

    def _finish(self, ZL, cols, l2):
        """Costs (batch,) from the output pre-activations of the changed columns."""
        return self._total(self._numerators(ZL, cols), cols, l2)

    def _total(self, changed, cols, l2):
        """Costs (batch,): the changed columns' losses, the others' from the base point."""
        u = np.repeat(self.u0[None, :], changed.shape[0], axis=0)
        u[:, cols] = changed
        self.evaluations += changed.shape[0]
        return u.sum(axis=1) / self.denom + self.coef * l2

    def _upward(self, l, Z, cols, l2):
        """Costs from the pre-activations Z (n_l, batch, columns) of layer l."""
        n, batch, c = Z.shape
        for k in range(l, self.L):
            A = self._hidden(k, Z, slice(None), cols)
            Z = (self.W[k + 1] @ A.reshape(n, batch * c)).reshape(self.W[k + 1].shape[0], batch, c) \
                + self.b[k + 1][:, :, None]  # explicit rows: no column may have changed (m = 1, a dropped unit)
            n = Z.shape[0]
        return self._finish(Z, cols, l2)

    def _linear_map(self, l):
        """For piecewise-linear hidden layers: G (n_L, n_l, m), how Z_L moves per unit change of
        A_l[i, c]; tau (n_l, m), half of how far A_l[i, c] may move before any unit above crosses
        its kink (|dZ_k| <= |Z_k| / 2: no sign change, even after rounding); sum_k Y_k G_k."""
        if l in self._linear:
            return self._linear[l]
        found = None
        sizes = [self.W[k].shape[0] for k in range(l + 1, self.L + 1)]
        if self.hidden in ("relu", "leaky_relu") and 3 * 8 * max(sizes) * self.W[l].shape[0] * self.m <= self.budget:
            H = self.W[l + 1][:, :, None]  # dZ_{l+1} / dA_l[i]: the same for every column
            tau = np.full((self.W[l].shape[0], self.m), np.inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                for k in range(l + 1, self.L):
                    ratio = np.abs(self.Z[k])[:, None, :] / np.abs(H)
                    tau = np.minimum(tau, np.nanmin(np.where(H == 0, np.inf, ratio), axis=0))
                    slope = np.where(self.Z[k] > 0, 1.0, 0.0 if self.hidden == "relu" else mlp.LEAKY_SLOPE)
                    if self.D[k] is not None:
                        slope = slope * self.D[k] / self.keep_prob
                    H = slope[:, None, :] * H  # (n_k, n_l, m)
                    H = (self.W[k + 1] @ H.reshape(H.shape[0], -1)).reshape(-1, H.shape[1], self.m)
            G = np.broadcast_to(H, (H.shape[0], H.shape[1], self.m))
            found = (G, 0.5 * tau, np.einsum("kc,kic->ic", self.Y, G))  # the last: sum_k Y_k G_k, for softmax
        self._linear[l] = found
        return found

    def _rows(self, l, rows, dz, l2):
        """Costs when row rows[k] of Z_l moves by dz[k]; `rows` may be one int for the whole batch."""
        batch = len(dz)
        one = np.ndim(rows) == 0  # one row of W: its slices broadcast instead of being gathered
        pick = (lambda a: a[rows][None]) if one else (lambda a: a[rows])
        if l == self.L:
            cols = np.flatnonzero(np.any(dz != 0, axis=0))
            Z = np.repeat(self.Z[l][:, None, cols], batch, axis=1)
            Z[rows, np.arange(batch)] = pick(self.Z[l])[:, cols] + dz[:, cols]
            return self._finish(Z, cols, l2)
        new_rows = self._hidden(l, pick(self.Z[l]) + dz, np.atleast_1d(rows) if one else rows, slice(None))
        delta = new_rows - pick(self.A[l])  # A_l'[i] - A_l[i]
        cols = np.flatnonzero(np.any(delta != 0, axis=0))
        delta = delta[:, cols]
        out = np.empty(batch)
        todo = np.arange(batch)
        linear = self._linear_map(l)
        if linear is not None:
            # Exact while no unit above crosses its kink: then Z_L' = Z_L + G[:, i] * delta.
            G, tau, YG = linear
            safe = np.all(np.abs(delta) <= pick(tau)[:, cols], axis=1)
            k = slice(None) if safe.all() else np.flatnonzero(safe)
            Gk = G[:, rows, cols][:, None, :] if one else G[:, rows[k]][:, :, cols]
            dk = delta[k]
            if self.output == "softmax":
                # Z_L - max moves by G delta: the softmax loss without recomputing its shift
                YGk = YG[rows, cols] if one else YG[rows[k]][:, cols]
                shifted = Gk * dk[None]
                shifted += self.shift[:, None, cols]
                u = np.log(np.sum(np.exp(shifted, out=shifted), axis=0))  # in place: the batch's largest array
                u *= self.Ysum[cols]
                u -= self.Yshift[cols] + YGk * dk
                out[k] = self._total(u, cols, l2[k])
            else:
                out[k] = self._finish(self.Z[self.L][:, None, cols] + Gk * dk[None], cols, l2[k])
            todo = np.flatnonzero(~safe)
        chunk = self.batch_size(self._row_layers(l, linear=False))
        for start in range(0, len(todo), chunk):  # the general path, for what the linear one cannot take
            k = todo[start:start + chunk]
            W = self.W[l + 1][:, rows][:, None, None] if one else self.W[l + 1][:, rows[k]][:, :, None]
            Z = self.Z[l + 1][:, None, cols] + W * delta[None, k]
            out[k] = self._upward(l + 1, Z, cols, l2[k])
        return out

    def batch_size(self, layers) -> int:
        """Perturbations per stacked evaluation through `layers`, within the memory budget."""
        per = TEMPORARIES * 8 * self.m * max(self.W[k].shape[0] for k in layers)
        return max(1, min(self.budget, BATCH_TARGET) // per)

    def _row_layers(self, l, linear: bool = True):
        """The layers a row perturbation of layer l materializes (only the output on the linear path)."""
        direct = l == self.L or (linear and self._linear_map(l) is not None)
        return [self.L] if direct else range(l + 1, self.L + 1)

    # -- what the checker asks for ----------------------------------------------------------------

    def entry_costs(self, pname: str, index: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """J when entry index[k] (flat) of parameter pname moves by steps[k]."""
        kind, l = pname[0], int(pname[1:])
        P = self.W[l] if kind == "W" else self.b[l]
        rows, cols = np.unravel_index(index, P.shape)
        if kind == "W" and np.all(rows == rows[0]):
            rows = int(rows[0])
        theta = P.reshape(-1)[index]
        if kind == "W":
            dz = steps[:, None] * self.A[l - 1][cols]
            l2 = self.l2 + steps * (2 * theta + steps)  # ||W||^2 after W_ij -> W_ij + h
        else:
            dz = np.repeat(steps[:, None], self.m, axis=1)
            l2 = np.full(len(steps), self.l2)
        return self._rows(l, rows, dz, l2)

    def direction_costs(self, pname: str, V: np.ndarray, steps: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """J(theta + s V[k]) for every direction V[k] (shaped like pname) and step s: (K, S).

        `rows`: the rows of W outside which every V[k] is zero (the drill-down's blocks).
        """
        kind, l = pname[0], int(pname[1:])
        K, S = len(V), len(steps)
        l2 = np.full((K, S), self.l2)
        if kind == "W":
            G = np.zeros((K, V.shape[1], self.m))  # how Z_l moves per unit step along V[k]
            live = V[:, rows]
            G[:, rows] = (live.reshape(-1, V.shape[2]) @ self.A[l - 1]).reshape(K, -1, self.m)
            if self.coef:  # ||W + s V||^2 = ||W||^2 + 2 s W.V + s^2 V.V
                l2 += (2 * np.einsum("kij,ij->k", live, self.W[l][rows])[:, None] * steps
                       + np.einsum("kij,kij->k", live, live)[:, None] * steps ** 2)
        else:
            G = np.broadcast_to(V, (K, V.shape[1], self.m))
        return self._along(l, G, steps, l2)

    def rank1_costs(self, pname: str, U: np.ndarray, V: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """direction_costs along the rank-1 directions outer(U[k], V[k]) (V: ones for a bias), cheaply."""
        kind, l = pname[0], int(pname[1:])
        l2 = np.full((len(U), len(steps)), self.l2)
        if kind == "W":
            G = U[:, :, None] * (V @ self.A[l - 1])[:, None, :]  # (u v^T) A = u (v^T A)
            if self.coef:
                l2 += (2 * np.einsum("ki,ij,kj->k", U, self.W[l], V)[:, None] * steps
                       + (np.sum(U * U, axis=1) * np.sum(V * V, axis=1))[:, None] * steps ** 2)
        else:
            G = np.broadcast_to(U[:, :, None], U.shape + (self.m,))
        return self._along(l, G, steps, l2)

    def _along(self, l, G, steps, l2):
        """Costs (K, S) when Z_l moves by steps[s] * G[k] (G: (K, n_l, m))."""
        K, S = len(G), len(steps)
        out = np.empty((K, S))
        per_direction = max(1, self.batch_size(range(l, self.L + 1)) // S)
        for start in range(0, K, per_direction):
            g = G[start:start + per_direction]
            Z = self.Z[l][:, None, None, :] + g.transpose(1, 0, 2)[:, :, None, :] * steps[None, None, :, None]
            n, k = Z.shape[0], g.shape[0]
            out[start:start + k] = self._upward(l, Z.reshape(n, k * S, self.m), slice(None),
                                                l2[start:start + k].reshape(-1)).reshape(k, S)
        return out

    def base_cost(self) -> float:
        """J at the point itself: the model's own value when given (the perturbed costs match the
        model's to an ulp or two, so one-sided differences and curvatures round as the plain loop's)."""
        return self.J0 if self.J0 is not None else self.own_base_cost()

    def own_base_cost(self) -> float:
        """J at the point from the cached forward pass, summed as every perturbed cost is."""
        return float(self._total(np.empty((1, 0)), np.arange(0), np.array([self.l2]))[0])

    def cost_at(self, parameters: dict) -> float:
        """J at an arbitrary point, from scratch (for the self-check)."""
        A = self.X
        for l in range(1, self.L):
            A = self._hidden(l, parameters[f"W{l}"] @ A + parameters[f"b{l}"], slice(None), slice(None))
        Z = parameters[f"W{self.L}"] @ A + parameters[f"b{self.L}"]
        l2 = sum(np.sum(np.square(parameters[f"W{l}"])) for l in range(1, self.L + 1)) if self.coef else 0.0
        return float(self._finish(Z[:, None, :], slice(None), np.array([l2]))[0])

    def differences(self, pname: str, eps: float = EPS, eps_wide: float = EPS_WIDE) -> Differences:
        """numeric.finite_differences for parameter pname: the same steps, the same formulas."""
        kind, l = pname[0], int(pname[1:])
        P = self.W[l] if kind == "W" else self.b[l]
        flat = P.reshape(-1)
        n = flat.size
        # The steps actually taken after rounding theta + step, as in the plain loop.
        h = np.stack([(flat + s) - flat for s in (eps, -eps, eps_wide, -eps_wide)])  # (4, n)
        J = np.empty((4, n))
        J0 = self.base_cost()
        # Batches follow the rows of P (one row of W shares its rank-1 column), within the budget.
        per = max(1, self.batch_size(self._row_layers(l)) // 4)
        width = P.shape[1] if kind == "W" else n
        for row_start in range(0, n, width):
            for start in range(row_start, row_start + width, per):
                idx = np.arange(start, min(row_start + width, start + per))
                J[:, idx] = self.entry_costs(pname, np.tile(idx, 4), h[:, idx].reshape(-1)).reshape(4, -1)
        jp, jm, jpw, jmw = J
        hp, hm, hpw, hmw = h
        scale = max(abs(J0), float(np.max(np.abs(jp))), float(np.max(np.abs(jm))))
        shape = P.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return Differences(
                central=((jp - jm) / (hp - hm)).reshape(shape),
                wide=((jpw - jmw) / (hpw - hmw)).reshape(shape),
                forward=((jp - J0) / hp).reshape(shape),
                backward=((J0 - jm) / -hm).reshape(shape),
                curvature=(np.abs(jp - 2 * J0 + jm) / eps).reshape(shape),
                curvature_wide=(np.abs(jpw - 2 * J0 + jmw) / eps_wide).reshape(shape),
                cost_scale=float(scale),
            )
