"""The messages between the grader and a student process: framing, values, and their validation.

Both sides of ``lstm-course grade`` speak this format; the student's side
(``child.py``) runs it inside the sandbox, so this module imports only the
standard library and NumPy (PyTorch only once a tensor is met).

A message is a frame: its total size (8 bytes, big-endian), the size of its
JSON header (4 bytes), the header, then the binary blobs the header lists.
Everything a receiver reads is checked before anything is allocated for it or
handed to NumPy or PyTorch:

- the total size against the receiver's limit, before the body is read; the
  header size against ``HEADER_LIMIT``, before it is parsed;
- the header against a schema: each value tree is at most ``DEPTH_LIMIT``
  deep and ``NODE_LIMIT`` nodes large and made only of the kinds below;
- each array against its blob: a dtype from a short list (booleans, numbers,
  fixed-size strings; never objects, structured or void dtypes), a shape of
  at most 32 non-negative sizes, and a byte count that equals the blob's.

A value crosses as JSON for ``None``, ``bool``, ``int``, ``float``, ``str`` and
(nested) ``list``/``tuple``/``dict`` with string keys; NumPy arrays and
scalars and PyTorch tensors as their raw bytes with dtype and shape (never
pickled); any other object stays where it lives and crosses as a numbered
handle (``ref``). Anything that breaks these rules raises ``ProtocolError``.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys

import numpy as np

__all__ = ["HEADER_LIMIT", "MESSAGE_LIMIT", "ProtocolError", "arrays_in", "decode", "encode", "frame",
           "read_message", "split_message", "write_message"]

MESSAGE_LIMIT = 256 << 20  # bytes of one message; a bigger one is refused before it is read
HEADER_LIMIT = 1 << 20  # bytes of a message's JSON header
BLOB_COUNT_LIMIT = 4096  # arrays in one message
DEPTH_LIMIT = 32  # nesting of lists, tuples and dicts in one value
NODE_LIMIT = 100_000  # values in one message
NDIM_LIMIT = 32  # NumPy's own limit on dimensions

# booleans, integers, unsigned integers, floats, complex numbers, fixed-size unicode and byte strings
_DTYPE = re.compile(r"^[<>|=](b1|[iu][1248]|f[248]|c(8|16)|[US][0-9]{1,9})$")


class ProtocolError(RuntimeError):
    """A message that is malformed, too large, cut short, or not of the schema."""


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------


def _array_tree(array: np.ndarray, blobs: list, tag: str) -> dict:
    if not _DTYPE.match(array.dtype.str) or array.ndim > NDIM_LIMIT:
        raise TypeError(f"an array of dtype {array.dtype} cannot be sent")
    blobs.append(np.ascontiguousarray(array).tobytes())
    return {"t": tag, "b": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}


def _torch():
    return sys.modules.get("torch")


def encode(value, blobs: list, make_ref) -> object:
    """The JSON form of ``value``, appending array bytes to ``blobs``.

    ``make_ref(obj)`` is called for an object that cannot cross by value and
    returns its JSON form (a handle), or raises ``TypeError``.
    """
    if value is None or type(value) in (bool, int, float, str):
        return value
    kind = type(value)
    if kind in (tuple, list) or (kind.__name__ == "Size" and kind.__module__ == "torch"):
        return {"t": "list" if kind is list else "tuple", "v": [encode(item, blobs, make_ref) for item in value]}
    if kind is dict or (kind.__name__ == "OrderedDict" and kind.__module__ == "collections"):
        if all(isinstance(key, str) for key in value):
            return {"t": "dict", "k": list(value), "v": [encode(item, blobs, make_ref) for item in value.values()]}
    if isinstance(value, (np.ndarray, np.generic)) and _DTYPE.match(value.dtype.str):
        return dict(_array_tree(np.asarray(value), blobs, "nd"), scalar=isinstance(value, np.generic))
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor) and value.layout == torch.strided:
        tensor = value.detach().cpu()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        return dict(_array_tree(tensor.numpy(), blobs, "torch"), grad=bool(value.requires_grad))
    return make_ref(value)


class _Checker:
    """Validates one message's value trees against the schema, and counts what they use."""

    def __init__(self, blobs: list):
        self.blobs = blobs
        self.used: set = set()
        self.nodes = 0

    def fail(self, why: str):
        raise ProtocolError(f"malformed value: {why}")

    def check(self, tree, depth: int = 0) -> None:
        self.nodes += 1
        if self.nodes > NODE_LIMIT or depth > DEPTH_LIMIT:
            self.fail("too large or too deeply nested")
        if tree is None or type(tree) in (bool, int, float, str):
            return
        if type(tree) is not dict:
            self.fail(f"a bare {type(tree).__name__}")
        kind = tree.get("t")
        if kind in ("list", "tuple"):
            self.keys(tree, {"t", "v"})
            if type(tree["v"]) is not list:
                self.fail("items are not a list")
            for item in tree["v"]:
                self.check(item, depth + 1)
        elif kind == "dict":
            self.keys(tree, {"t", "k", "v"})
            keys, values = tree["k"], tree["v"]
            if type(keys) is not list or type(values) is not list or len(keys) != len(values) or \
                    not all(type(key) is str for key in keys) or len(set(keys)) != len(keys):
                self.fail("a dict whose keys and values do not match")
            for item in values:
                self.check(item, depth + 1)
        elif kind == "nd":
            self.keys(tree, {"t", "b", "dtype", "shape", "scalar"})
            self.array(tree)
            if type(tree["scalar"]) is not bool or (tree["scalar"] and tree["shape"]):
                self.fail("a scalar with a shape")
        elif kind == "torch":
            self.keys(tree, {"t", "b", "dtype", "shape", "grad"})
            self.array(tree)
            if type(tree["grad"]) is not bool:
                self.fail("grad is not a boolean")
        elif kind == "ref":
            self.keys(tree, {"t", "id", "type", "callable"})
            if type(tree["id"]) is not int or type(tree["type"]) is not str or type(tree["callable"]) is not bool \
                    or len(tree["type"]) > 200:
                self.fail("a malformed handle")
        else:
            self.fail(f"unknown kind {str(kind)[:40]!r}")

    def keys(self, tree: dict, expected: set) -> None:
        if set(tree) != expected:
            self.fail(f"fields {sorted(map(str, tree))[:8]} instead of {sorted(expected)}")

    def array(self, tree: dict) -> None:
        index, dtype, shape = tree["b"], tree["dtype"], tree["shape"]
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            self.fail("an array without a blob of its own")
        self.used.add(index)
        if type(dtype) is not str or not _DTYPE.match(dtype):
            self.fail(f"dtype {str(dtype)[:40]!r} is not accepted")
        if type(shape) is not list or len(shape) > NDIM_LIMIT or \
                not all(type(size) is int and 0 <= size <= MESSAGE_LIMIT for size in shape):
            self.fail("a shape that is not a short list of sizes")
        if math.prod(shape) * np.dtype(dtype).itemsize != len(self.blobs[index]):
            self.fail("an array whose bytes do not match its shape and dtype")


def check_values(blobs: list, *trees) -> None:
    """Raise ``ProtocolError`` unless every tree is a well-formed value over ``blobs``."""
    checker = _Checker(blobs)
    for tree in trees:
        checker.check(tree)


def _array_from(tree: dict, blobs: list) -> np.ndarray:
    # a writable copy, so that the receiver owns its arrays; the tree has passed check_values
    return np.frombuffer(blobs[tree["b"]], dtype=np.dtype(tree["dtype"])).reshape(tree["shape"]).copy()


def decode(tree, blobs: list, resolve_ref):
    """The value that ``encode`` turned into ``tree`` (checked with ``check_values`` first).

    ``resolve_ref(tree)`` gives a handle's object.
    """
    if not isinstance(tree, dict):
        return tree
    kind = tree["t"]
    if kind in ("list", "tuple"):
        items = [decode(item, blobs, resolve_ref) for item in tree["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {key: decode(item, blobs, resolve_ref) for key, item in zip(tree["k"], tree["v"])}
    if kind in ("nd", "torch"):
        array = _array_from(tree, blobs)
        if kind == "nd":
            return array[()] if tree["scalar"] else array
        import torch  # only met when the other side sent a tensor, so torch is installed

        tensor = torch.from_numpy(array)
        return tensor.requires_grad_() if tree["grad"] and tensor.is_floating_point() else tensor
    return resolve_ref(tree)


def arrays_in(value) -> list:
    """The NumPy arrays in ``value`` and, recursively, in its lists, tuples and dicts, in encoding order.

    Both sides list the arguments of a call this way, so an array the student's
    code changed in place can be named by its position.
    """
    if isinstance(value, np.ndarray):
        return [value]
    if type(value) in (list, tuple):
        return [array for item in value for array in arrays_in(item)]
    if type(value) is dict:
        return [array for item in value.values() for array in arrays_in(item)]
    return []


# ---------------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------------


def frame(header: dict, blobs: list = ()) -> bytes:
    """One message as bytes: total length, header length, the JSON header, then the blobs."""
    header = dict(header, blobs=[len(blob) for blob in blobs])
    head = json.dumps(header, allow_nan=True).encode()
    if len(head) > HEADER_LIMIT:
        raise ProtocolError(f"a message header of {len(head) >> 10} KiB is over the limit of {HEADER_LIMIT >> 10} KiB")
    body = b"".join([struct.pack(">I", len(head)), head, *blobs])
    if len(body) > MESSAGE_LIMIT:
        raise ProtocolError(f"a message of {len(body) >> 20} MiB is over the limit of {MESSAGE_LIMIT >> 20} MiB")
    return struct.pack(">Q", len(body)) + body


def split_message(body: bytes) -> tuple[dict, list]:
    """The header and blobs of a frame's body; ``ProtocolError`` unless its parts are well formed."""
    if len(body) < 4:
        raise ProtocolError("malformed message: shorter than its header size")
    (head_size,) = struct.unpack(">I", body[:4])
    if head_size > HEADER_LIMIT or head_size > len(body) - 4:
        raise ProtocolError(f"malformed message: a header of {head_size} bytes")
    try:
        header = json.loads(body[4 : 4 + head_size])
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"malformed message: {str(error)[:200]}") from None
    sizes = header.pop("blobs", None) if type(header) is dict else None
    if type(sizes) is not list or len(sizes) > BLOB_COUNT_LIMIT or \
            not all(type(size) is int and size >= 0 for size in sizes) or 4 + head_size + sum(sizes) != len(body):
        raise ProtocolError("malformed message: its parts do not add up")
    blobs, start = [], 4 + head_size
    for size in sizes:
        blobs.append(body[start : start + size])
        start += size
    return header, blobs


def write_message(fd: int, header: dict, blobs: list = ()) -> None:
    """Send one message on ``fd``, blocking until it is written."""
    data = memoryview(frame(header, blobs))
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, limit: int = MESSAGE_LIMIT) -> tuple[dict, list]:
    """Block until one whole frame has arrived on ``fd``; EOFError when the other side is gone."""
    (size,) = struct.unpack(">Q", _read_exactly(fd, 8))
    if size > limit:
        raise ProtocolError(f"a message of {size >> 20} MiB is over the limit of {limit >> 20} MiB")
    return split_message(_read_exactly(fd, size))
