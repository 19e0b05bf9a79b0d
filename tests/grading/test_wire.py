"""The protocol cannot be abused: whatever a student process sends back fails its question, never the grader.

Replies are forged from inside the student's code, which writes straight to
the pipe the grader reads (its number is the child's second argument).
"""

from __future__ import annotations

import json
import resource
import struct

import numpy as np
import pytest

from lstm_course.grading import wire
from lstm_course.grading.remote import StudentProcess, StudentProcessDied, StudentSession, runtime_folder


def raw(header: bytes, blobs: bytes = b"", total: int | None = None) -> bytes:
    body = struct.pack(">I", len(header)) + header + blobs
    return struct.pack(">Q", len(body) if total is None else total) + body


def reply(header: dict, blobs: list = ()) -> bytes:
    head = json.dumps(dict(header, blobs=[len(b) for b in blobs])).encode()
    return raw(head, b"".join(blobs))


def nd(dtype: str, shape: list, index: int = 0, **extra) -> dict:
    return {"t": "nd", "b": index, "dtype": dtype, "shape": shape, "scalar": False, **extra}


FORGED = {
    "a total size of 2**63": raw(b"{}", total=1 << 63),
    "a header of 300 MB announced": struct.pack(">Q", 16) + struct.pack(">I", 300 << 20) + b"{}" + b"\0" * 10,
    "a header nested 100,000 deep": raw(b"[" * 100_000 + b"]" * 100_000),
    "a header that is not JSON": raw(b"\xff\xfe not json"),
    "blob sizes that do not add up": raw(json.dumps({"ok": True, "blobs": [5]}).encode(), b"abc"),
    "a message cut short": raw(b'{"ok": true, "blobs": []}', total=1 << 20),
    "an object array": reply({"ok": True, "value": nd("|O", [1])}, [b"\0" * 8]),
    "a structured dtype": reply({"ok": True, "value": nd("[('a', '<f8')]", [1])}, [b"\0" * 8]),
    "a void dtype": reply({"ok": True, "value": nd("|V8", [1])}, [b"\0" * 8]),
    "a shape larger than its bytes": reply({"ok": True, "value": nd("<f8", [1 << 40, 1 << 40])}, [b"\0" * 8]),
    "a negative shape": reply({"ok": True, "value": nd("<f8", [-1])}, [b"\0" * 8]),
    "a blob index out of range": reply({"ok": True, "value": nd("<f8", [1], index=5)}, [b"\0" * 8]),
    "one blob for two arrays": reply({"ok": True, "value": {"t": "list", "v": [nd("<f8", [1]), nd("<f8", [1])]}},
                                     [b"\0" * 8]),
    "an unknown value kind": reply({"ok": True, "value": {"t": "pickle", "v": "gASV"}}),
    "a value nested 200 deep": raw(b'{"ok": true, "blobs": [], "value": ' + b'{"t": "list", "v": [' * 200
                                   + b"]}" * 200 + b"}"),
    "a random state handed back": reply({"ok": True, "value": None,
                                         "np_random": ["MT19937", [0] * 624, 10**6, 0, 0.0]}),
    "an error reply without a message": reply({"ok": False, "ename": ["x"]}),
    "extra fields in an array": reply({"ok": True, "value": nd("<f8", [1], pickle="x")}, [b"\0" * 8]),
}


@pytest.fixture
def session(tmp_path):
    process = StudentProcess(runtime_folder(tmp_path), memory_mb=1024, cpu_s=60)
    session = StudentSession(process, timeout=5)
    yield session
    session.process.kill()


@pytest.mark.parametrize("forgery", list(FORGED))
def test_a_forged_reply_kills_the_student_process_and_nothing_else(session, forgery):
    data = FORGED[forgery]
    assert session.execute(f"import os, sys, time\nDATA = {data!r}\n"
                           "def forge(x):\n    os.write(int(sys.argv[2]), DATA)\n    time.sleep(30)", "answer") is None
    forge, _ = session.remote_name("forge")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    state = np.random.get_state()
    with pytest.raises(StudentProcessDied, match="malformed reply|more than 256 MiB|time limit"):
        forge(np.ones(3))
    assert not session.process.alive
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"the grader grew by {grown_mb:.0f} MB"
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state, after))


@pytest.mark.parametrize("tree", [
    {"t": "nd", "b": 0, "dtype": "<f8", "shape": [2], "scalar": False},
    {"t": "list", "v": [1, 2.5, "s", None, True, {"t": "tuple", "v": []}]},
    {"t": "dict", "k": ["a"], "v": [{"t": "ref", "id": 3, "type": "Cache", "callable": False}]},
])
def test_well_formed_values_pass_the_schema(tree):
    wire.check_values([b"\0" * 16], tree)


def test_a_message_over_the_header_limit_is_refused_before_it_is_parsed():
    with pytest.raises(wire.ProtocolError, match="header"):
        wire.split_message(struct.pack(">I", wire.HEADER_LIMIT + 1) + b"x" * (wire.HEADER_LIMIT + 1))
    with pytest.raises(wire.ProtocolError, match="over the limit"):
        wire.frame({"code": "x" * (wire.HEADER_LIMIT + 1)})


def test_values_round_trip():
    blobs: list = []
    value = {"x": np.arange(6.0).reshape(2, 3), "n": np.int32(4), "s": ("a", [1, None])}
    tree = wire.encode(value, blobs, lambda obj: pytest.fail("no handle expected"))
    header, back_blobs = wire.split_message(wire.frame({"v": tree}, blobs)[8:])
    wire.check_values(back_blobs, header["v"])
    back = wire.decode(header["v"], back_blobs, None)
    np.testing.assert_array_equal(back["x"], value["x"])
    assert back["n"] == 4 and back["s"] == ("a", [1, None])
