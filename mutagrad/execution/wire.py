"""The data-only format between mutagrad and the server that runs code under check.

A message is a frame: an 8-byte prefix (header length, payload length), a JSON header, then
the raw bytes of its arrays, described in the header as [dtype, shape]. Nothing in it can
execute code: JSON, numeric dtypes only (no object arrays, no pickle), sizes checked against
the frame's declared lengths and against MAX_FRAME before anything is read.

Values are JSON trees; what JSON lacks is tagged: {"$a": i} the i-th array, {"$t": [...]} a
tuple, {"$d": {...}} a dict, {"$o": "TypeName"} an object that cannot cross (only its type's
name does). This module imports only the standard library and numpy: the server loads it too.
"""
from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

PREFIX = struct.Struct("!II")  # header bytes, payload bytes
MAX_HEADER = 1 << 20  # 1 MiB of JSON: names, scalars, shapes; never array data
MAX_FRAME = 1 << 30  # 1 GiB of array data: far above any gradient the memory limit allows
MAX_DEPTH = 32  # nesting of a value; deeper is malformed
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex: no object, string or void dtypes
CHUNK = 1 << 20


class WireError(Exception):
    """A malformed, oversized or truncated frame; or no frame before the deadline."""


class Opaque:
    """Stands in for an object that could not cross: only the name of its type did."""


def encode(value, arrays: list, hook=None, depth: int = 0):
    """A JSON-able tree for value; its arrays appended to `arrays`. hook(value) may tag others."""
    if depth > MAX_DEPTH:
        return {"$o": "deep"}
    if hook is not None:
        tagged = hook(value)
        if tagged is not None:
            return tagged
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in NUMERIC_KINDS:
        arrays.append(np.asarray(value))
        return {"$a": len(arrays) - 1}
    if isinstance(value, tuple):
        return {"$t": [encode(v, arrays, hook, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays, hook, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$d": {k: encode(v, arrays, hook, depth + 1) for k, v in value.items()}}
    return {"$o": type(value).__name__}


def decode(tree, arrays: list, hook=None, depth: int = 0):
    """The value of an encoded tree; WireError for anything malformed. hook(tag, body) decodes other tags."""
    if depth > MAX_DEPTH:
        raise WireError("a value nested too deep")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [decode(v, arrays, hook, depth + 1) for v in tree]
    if not isinstance(tree, dict) or len(tree) != 1:
        raise WireError("a malformed value")
    (tag, body), = tree.items()
    if tag == "$a":
        if not isinstance(body, int) or isinstance(body, bool) or not 0 <= body < len(arrays):
            raise WireError("a reference to a missing array")
        return arrays[body]
    if tag == "$t" and isinstance(body, list):
        return tuple(decode(v, arrays, hook, depth + 1) for v in body)
    if tag == "$d" and isinstance(body, dict):
        return {k: decode(v, arrays, hook, depth + 1) for k, v in body.items()}
    if tag == "$o" and isinstance(body, str):
        return opaque(body)
    if hook is not None:
        return hook(tag, body)
    raise WireError(f"an unknown tag {tag[:20]!r}")


def opaque(type_name: str) -> Opaque:
    """An Opaque whose type is named `type_name` (so messages read `it returned list`)."""
    name = type_name if type_name.isidentifier() and len(type_name) <= 100 else "object"
    return type(name, (Opaque,), {})()


def pack(header: dict, arrays=()) -> bytes:
    """One frame: header (JSON-able) and arrays (numeric numpy arrays)."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    header = dict(header, arrays=[[a.dtype.str, list(a.shape)] for a in arrays])
    text = json.dumps(header, separators=(",", ":")).encode()
    payload = sum(a.nbytes for a in arrays)
    return b"".join([PREFIX.pack(len(text), payload), text, *(a.tobytes() for a in arrays)])


def unpack(header_bytes: bytes, payload: bytes) -> tuple[dict, list]:
    """(header, arrays) of a frame's two parts, validated; WireError if anything is off."""
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"the header is not JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays", []), list):
        raise WireError("the header is not an object with an array list")
    arrays, offset = [], 0
    for spec in header.pop("arrays", []):
        try:
            dtype_str, shape = spec
            dtype = np.dtype(str(dtype_str))
            shape = tuple(int(n) for n in shape)
        except (TypeError, ValueError):
            raise WireError(f"a malformed array description {str(spec)[:80]}") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise WireError(f"an array of dtype {dtype} (only numbers may cross)")
        if any(n < 0 for n in shape) or len(shape) > 32:
            raise WireError(f"an array of shape {shape}")
        count = 1
        for n in shape:
            count *= n
        size = count * dtype.itemsize
        if offset + size > len(payload):
            raise WireError("the arrays are larger than the frame declares")
        arrays.append(np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape).copy())
        offset += size
    if offset != len(payload):
        raise WireError("the frame holds bytes no array describes")
    return header, arrays


def send(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view):]


def receive(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> tuple[dict, list]:
    """Read one frame from fd; WireError on EOF, a declared size over the limits, or the deadline."""
    head = _read(fd, PREFIX.size, deadline)
    header_len, payload_len = PREFIX.unpack(head)
    if header_len > MAX_HEADER:
        raise WireError(f"a header of {header_len} bytes (the limit is {MAX_HEADER})")
    if payload_len > limit:
        raise WireError(f"a reply of {payload_len} bytes (the limit is {limit})")
    header_bytes = _read(fd, header_len, deadline)
    return unpack(header_bytes, _read(fd, payload_len, deadline))


class Deadline(WireError):
    """No whole frame before the deadline."""


class Closed(WireError):
    """The other end closed the pipe."""


def _read(fd: int, n: int, deadline: float | None) -> bytes:
    parts, got = [], 0
    while got < n:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise Deadline("no reply before the deadline")
        data = os.read(fd, min(CHUNK, n - got))
        if not data:
            raise Closed("the pipe closed in the middle of a frame" if got or parts else "the pipe closed")
        parts.append(data)
        got += len(data)
    return b"".join(parts)
