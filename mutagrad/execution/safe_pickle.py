"""Reading a worker's pickled result without running anything it chose.

A worker (isolate.run_each's child) is trusted code, but it may have called code mutagrad did not
write (a user's checker, say). So the parent unpickles its result with an allowlist: mutagrad's
own records (dataclasses), enums and exceptions, plain builtin values, and numpy arrays and
scalars. A pickle that names anything else (os.system, a function, a class with side effects)
is refused before anything is called.
"""
from __future__ import annotations

import builtins
import dataclasses
import enum
import io
import pickle

BUILTINS = frozenset({"tuple", "list", "dict", "set", "frozenset", "str", "bytes", "bytearray", "int",
                      "float", "complex", "bool", "slice", "range", "object"})
NUMPY = frozenset({("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                   ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                   ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
                   ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.dtypes", None)})
OTHERS = frozenset({("copyreg", "_reconstructor"), ("collections", "OrderedDict")})


class RefusedPickle(pickle.UnpicklingError):
    """The pickle names something outside the allowlist."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module == "builtins" and (name in BUILTINS or _builtin_exception(name)):
            return getattr(builtins, name)
        if (module, name) in NUMPY or (module, None) in NUMPY or (module, name) in OTHERS:
            return super().find_class(module, name)
        if module == "mutagrad" or module.startswith("mutagrad."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)
                                            or issubclass(found, BaseException)):
                return found
        raise RefusedPickle(f"{module}.{name} is not a record, an enum, an exception or a plain value")


def _builtin_exception(name: str) -> bool:
    found = getattr(builtins, name, None)
    return isinstance(found, type) and issubclass(found, BaseException)


def loads(data: bytes):
    """pickle.loads limited to records, enums, exceptions, plain values and numpy data."""
    return _Unpickler(io.BytesIO(data)).load()
