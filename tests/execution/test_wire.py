"""The data-only format: values round-trip; anything malformed, executable or oversized is refused."""
import json
import os
import pickle
import struct

import numpy as np
import pytest

from mutagrad.execution import remote, wire
from mutagrad.execution.remote import Server, ServerLost


def roundtrip(value):
    arrays = []
    tree = wire.encode(value, arrays)
    frame = wire.pack({"value": tree}, arrays)
    header_len, _ = wire.PREFIX.unpack(frame[:wire.PREFIX.size])
    header, out = wire.unpack(frame[wire.PREFIX.size:wire.PREFIX.size + header_len],
                              frame[wire.PREFIX.size + header_len:])
    return wire.decode(header["value"], out)


def test_numbers_arrays_tuples_and_dicts_round_trip_with_their_dtypes():
    value = ({"dW1": np.arange(6.0).reshape(2, 3), "db1": np.float32(2.5)}, [1, "a", None, True], 3.0)
    back = roundtrip(value)
    assert isinstance(back, tuple) and back[1:] == ([1, "a", None, True], 3.0)
    assert np.array_equal(back[0]["dW1"], value[0]["dW1"]) and back[0]["db1"].dtype == np.float32


def test_an_object_that_cannot_cross_arrives_as_its_type_name_only():
    class Bomb:
        def __reduce__(self):
            return (os.system, ("true",))
    back = roundtrip({"dW1": Bomb()})
    assert isinstance(back["dW1"], wire.Opaque) and type(back["dW1"]).__name__ == "Bomb"


@pytest.mark.parametrize("header, payload, why", [
    (b"not json", b"", "not JSON"),
    (json.dumps({"arrays": [["|O", [1]]]}).encode(), b"\0" * 8, "only numbers"),
    (json.dumps({"arrays": [["<f8", [10]]]}).encode(), b"\0" * 8, "larger than the frame"),
    (json.dumps({"arrays": []}).encode(), b"\0" * 8, "no array describes"),
    (json.dumps({"arrays": [["<f8", [-1]]]}).encode(), b"", "shape"),
])
def test_malformed_frames_are_refused(header, payload, why):
    with pytest.raises(wire.WireError, match=why):
        wire.unpack(header, payload)


def test_a_pickle_is_not_a_frame():
    read, write = os.pipe()
    os.write(write, pickle.dumps({"verdict": "pass"}))
    os.close(write)
    with pytest.raises(wire.WireError):
        wire.receive(read)
    os.close(read)


def test_an_oversized_frame_is_refused_before_it_is_read():
    read, write = os.pipe()
    os.write(write, struct.pack("!II", 10, 1 << 31))
    with pytest.raises(wire.WireError, match="the limit"):
        wire.receive(read, limit=1 << 20)
    os.close(read)
    os.close(write)


def test_an_unknown_tag_is_refused():
    with pytest.raises(wire.WireError, match="unknown tag"):
        wire.decode({"$exec": "rm -rf /"}, [])


def test_a_reply_over_the_size_limit_ends_the_server_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(remote, "MAX_REPLY", 1000)
    source = "import numpy as np\ndef big(n):\n    return np.zeros(n)\n"
    with Server(sandbox_choice="none", cpu_seconds=30) as server:
        functions, _ = server.load(source, "big.py", {"forward": ["big"]})
        assert functions["forward"](10).shape == (10,)
        with pytest.raises(ServerLost, match="malformed reply .*the limit"):
            functions["forward"](10_000)
