"""The untrusted side: a process that loads code under check and answers calls with data only.

Started by remote.py as `python -I server.py REQUEST_FD REPLY_FD` (run as a script, so it
imports nothing of mutagrad but wire.py beside it), under bubblewrap when the machine has it.
It loads one model file or mutant source, then answers, one frame per request:

  load   exec the source; reply the functions found (with their parameters) and constants
  call   call a function; the arguments may name data sent before ($x), a cache kept here
         ($c), parameters patched from the last ones ($p) and pinned RNG states; the value
         comes back with a forward's (cost, cache) cache kept here as a token
  bye    exit

Whatever the code prints goes to this process's stdout and stderr, which remote.py points at a
file it reads afterwards. Nothing here decides anything: mutagrad checks what comes back.
"""
from __future__ import annotations

import os
import sys
import traceback

import numpy as np

import wire  # noqa: E402 (beside this file: the server never imports the mutagrad package)

KEEP = 4  # caches and data sets kept; the checker uses the latest forward's cache
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
MESSAGE_LIMIT = 500  # characters of an exception's message sent back


class Server:
    def __init__(self):
        self.functions, self.data, self.caches = {}, {}, {}
        self.parameters = {}  # the last parameters sent, patched in place by later calls
        self.legacy = None  # the last legacy RNG state sent
        self.next_token = 0
        self.filename = None

    def load(self, header):
        source, filename = str(header["source"]), os.path.basename(str(header["filename"]))
        self.filename = os.path.abspath(filename)
        with open(self.filename, "w", encoding="utf-8") as f:  # a real file: tracebacks show its lines
            f.write(source)
        module = {"__name__": str(header.get("module", "model")), "__file__": self.filename}
        exec(compile(source, self.filename, "exec"), module)
        found, constants = {}, {}
        for role, names in header["roles"].items():
            for name in names:
                fn = _look_up(module, name)
                if fn is not None:
                    found[role] = {"name": name, "callable": callable(fn), "params": _parameters(fn)}
                    if callable(fn):
                        self.functions[role] = fn
                    break
        for name in header.get("constants", ()):
            value = _look_up(module, name)
            if value is not None:
                constants[name] = _plain(value)
        return {"functions": found, "constants": constants}, []

    def call(self, header, arrays):
        fn = self.functions[header["fn"]]
        for token in header.get("forget", ()):
            self.data.pop(token, None)
        args = wire.decode(header["args"], arrays, self._tag)
        kwargs = wire.decode(header["kwargs"], arrays, self._tag)
        legacy = header.get("legacy")
        if legacy is not None:
            if legacy != "same":
                keys = wire.decode(legacy["keys"], arrays)
                self.legacy = ("MT19937", np.asarray(keys, dtype=np.uint32), int(legacy["pos"]),
                               int(legacy["has_gauss"]), float(legacy["gauss"]))
            np.random.set_state(self.legacy)
        if "entries" in header:
            return self.entries(fn, args, kwargs, header["entries"])
        value = fn(*args, **kwargs)
        if header.get("keep_cache") and isinstance(value, tuple) and len(value) == 2:
            token = self._keep(self.caches, value[1])
            value = (value[0], {"$c": token})
        out = []
        return {"value": wire.encode(value, out, _cache_hook)}, out

    def entries(self, fn, args, kwargs, spec):
        """The cost at every entry of one parameter moved by each step, the RNG reset before each call.

        Anything unusual (an exception, a cost that is not one number) ends the batch with
        "fallback": mutagrad then makes the same calls one at a time and judges each.
        """
        X, Y, base = args
        name, steps = str(spec["name"]), [float(h) for h in spec["steps"]]
        generator = kwargs.get("rng")
        state = generator.bit_generator.state if isinstance(generator, np.random.Generator) else None
        if "direction" in spec:  # theta + h d for each direction d and step h, as lines.ModelLine moves it
            theta, D = base[name].copy(), self._array(spec["direction"])
            D = D if D.ndim == theta.ndim + 1 else D[None]
            costs, dtype = np.empty((len(D), len(steps))), None
            for row, d in enumerate(D):
                for k, h in enumerate(steps):
                    np.add(theta, np.multiply(d, h), out=base[name])
                    cost = self._one_cost(fn, X, Y, base, kwargs, generator, state)
                    if cost is None:
                        return {"fallback": True}, []
                    dtype = dtype or cost.dtype.str
                    costs[row, k] = float(cost.real.reshape(()))
            base[name][...] = theta
            return {"costs": {"$a": 0}, "taken": {"$a": 0}, "dtype": dtype or "<f8"}, [costs]
        flat = base[name].reshape(-1)
        at = range(flat.size) if spec.get("at") is None else [int(i) for i in spec["at"]]
        costs = np.empty((len(at), len(steps)))
        taken = np.empty((len(at), len(steps)))
        dtype = None
        for row, i in enumerate(at):
            theta = flat[i]
            for k, step in enumerate(steps):
                flat[i] = theta + step
                taken[row, k] = flat[i] - theta
                cost = self._one_cost(fn, X, Y, base, kwargs, generator, state)
                if cost is None:
                    return {"fallback": True}, []
                dtype = dtype or cost.dtype.str
                costs[row, k] = float(cost.real.reshape(()))
            flat[i] = theta
        return {"costs": {"$a": 0}, "taken": {"$a": 1}, "dtype": dtype}, [costs, taken]

    def _one_cost(self, fn, X, Y, parameters, kwargs, generator, state):
        """The cost at `parameters` with the RNGs reset as for the first call; None if anything is unusual."""
        if self.legacy is not None:
            np.random.set_state(self.legacy)
        if state is not None:
            bits = type(generator.bit_generator)()
            bits.state = state
            kwargs["rng"] = np.random.Generator(bits)
        try:
            value = fn(X, Y, {k: v.copy() for k, v in parameters.items()}, **kwargs)
            cost = np.asarray(value[0]) if isinstance(value, tuple) and len(value) == 2 else None
        except Exception:  # noqa: BLE001 - judged by mutagrad, one call at a time
            return None
        return cost if cost is not None and cost.size == 1 and cost.dtype.kind in "fiuc" else None

    def _keep(self, store: dict, value) -> int:
        self.next_token += 1
        store[self.next_token] = value
        while len(store) > KEEP:
            store.pop(next(iter(store)))
        return self.next_token

    def _tag(self, tag, body):
        if tag == "$x":  # data: {"token": t} kept here, or {"token": t, "value": tree} to keep
            if "value" in body:
                self.data[body["token"]] = wire.decode(body["value"], self._arrays)
            return self.data[body["token"]]
        if tag == "$c":
            if body not in self.caches:
                raise LookupError("this cache is no longer kept")
            return self.caches[body]
        if tag == "$g":
            name = body["bit_generator"]
            if name not in BIT_GENERATORS:
                raise ValueError(f"unknown bit generator {name!r}")
            bits = getattr(np.random, name)()
            bits.state = wire.decode(body["state"], self._arrays)
            return np.random.Generator(bits)
        if tag == "$p":  # parameters: each full, or patched from the last ones, or the same
            fresh = {}
            for key, spec in body.items():
                if spec == "same":
                    fresh[key] = self.parameters[key]
                elif "full" in spec:
                    fresh[key] = np.array(self._array(spec["full"]))
                else:
                    fresh[key] = self.parameters[key].copy()
                    fresh[key].reshape(-1)[self._array(spec["at"])] = self._array(spec["to"])
            self.parameters = fresh
            return {k: v.copy() for k, v in fresh.items()}  # the code may change what it is given
        raise wire.WireError(f"unknown tag {tag!r}")

    def _array(self, tree):
        return wire.decode(tree, self._arrays)


class LookupFailed(Exception):
    """A module-level __getattr__ raised while a name was looked up."""

    def __init__(self, name, exc):
        super().__init__(str(exc))
        self.name, self.original = name, exc


def _look_up(namespace: dict, name: str):
    """namespace[name], or what a module-level __getattr__ gives (None if it raises AttributeError)."""
    if name in namespace:
        return namespace[name]
    hook = namespace.get("__getattr__")
    if not callable(hook):
        return None
    try:
        return hook(name)
    except AttributeError:
        return None
    except Exception as exc:  # noqa: BLE001 - reported as the file's error
        raise LookupFailed(name, exc) from exc


def _cache_hook(value):
    return value if isinstance(value, dict) and set(value) == {"$c"} else None


def _plain(value, depth=0):
    """A JSON-able copy of a constant (LAYER_DIMS, names), or None."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)) and depth < 2 and len(value) <= 1000:
        return [_plain(v, depth + 1) for v in value]
    return None


def _parameters(fn):
    """[[name, kind, default]] of fn's parameters; default [] for none, [value] for a plain one."""
    import inspect
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = []
    for p in sig.parameters.values():
        default = []
        if p.default is not p.empty:
            plain = p.default if p.default is None or isinstance(p.default, (bool, int, float, str)) else None
            default = [plain] if plain is not None or p.default is None else [{"$o": type(p.default).__name__}]
        out.append([p.name, int(p.kind), default])
    return out


def _error(exc: BaseException, filename) -> dict:
    if isinstance(exc, LookupFailed):
        return dict(_error(exc.original, filename), lookup=exc.name)
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f.filename == filename] or [f for f in frames if f.filename != __file__]
    where = f"{os.path.basename(mine[-1].filename)}:{mine[-1].lineno}" if mine else None
    try:
        message = str(exc)[:MESSAGE_LIMIT]
    except Exception:  # noqa: BLE001 - a __str__ that raises
        message = "(its message could not be read)"
    code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, (int, str, type(None))) else None
    return {"type": type(exc).__name__, "message": message, "where": where,
            "memory": isinstance(exc, MemoryError), "exit": isinstance(exc, SystemExit),
            "code": code if not isinstance(code, str) else code[:MESSAGE_LIMIT]}


def main(request_fd: int, reply_fd: int) -> None:
    server = Server()
    while True:
        try:
            header, arrays = wire.receive(request_fd)
        except wire.WireError:
            return
        op = header.get("op")
        if op == "bye":
            return
        server._arrays = arrays
        try:
            if op == "load":
                reply, out = server.load(header)
            else:
                reply, out = server.call(header, arrays)
            frame = wire.pack(dict(reply, ok=True), out)
        except BaseException as exc:  # noqa: BLE001 - everything the code raised goes back as data
            try:
                frame = wire.pack({"ok": False, "error": _error(exc, server.filename)})
            except MemoryError:
                frame = wire.pack({"ok": False, "error": {"type": "MemoryError", "message": "", "where": None,
                                                          "memory": True, "exit": False, "code": None}})
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001 - the code may have closed or replaced them
                    pass
        wire.send(reply_fd, frame)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
