"""The process that runs one student's code during grading, and the messages it exchanges.

``lstm-course grade`` never runs a submission in its own process. It starts
this file as a script, ``python -I student_process.py IN_FD OUT_FD WORKDIR
MEMORY_MB CPU_S``, one fresh process per submission, and talks to it over two
pipes. The grader asks it to execute an answer cell (``exec``), to look up a
name the answer defined (``get``), to read an attribute (``getattr``) or to
call a function or method with given arguments (``call``). The process only
ever receives inputs and only ever sends back what the student's code
returned; the verdict is reached in the grader, which compares the returned
values with the reference. Nothing the student's code does here, monkeypatching
``numpy``, builtins or the test helpers included, can touch that comparison.

Before it reads the first request the process

- sets hard limits on its address space (``MEMORY_MB``), CPU time (``CPU_S``),
  the size of a file it may write and the number of files it may open;
- makes the course's reference implementations unimportable: ``import
  lstm_course.numpy_ref`` and ``import lstm_course.nn`` (and everything under
  them) give stand-ins whose every function raises ``ReferenceUnavailable``,
  so an answer that merely calls the package's own solution earns nothing;
- confines writes to ``WORKDIR`` with Landlock where the Linux kernel offers it,
  and in any case with an audit hook (PEP 578) that refuses, at the Python
  level, opening a file for writing outside ``WORKDIR``, reading files outside
  the Python installation, the package and ``WORKDIR``, starting processes,
  sending signals, opening sockets, loading foreign libraries with ``ctypes``
  and raising its own limits;
- sends what the code prints to a buffer that keeps the first 64 KiB.

Messages are frames of a JSON header followed by binary blobs. Values cross
as JSON for ``None``, ``bool``, ``int``, ``float``, ``str`` and (nested)
``tuple``/``list``/``dict``; NumPy arrays and scalars and PyTorch tensors of
booleans, numbers or strings cross as their raw bytes with dtype and shape
(never pickled, never objects). Any other object stays in
the process that owns it and crosses as a numbered handle, so a student's
cache object or ``nn.Module`` can still be passed back to their own code.

This module imports only the standard library and NumPy (PyTorch when a
tensor is met) so that a fresh process is ready in about a tenth of a second.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import struct
import sys

import numpy as np

__all__ = ["MESSAGE_LIMIT", "ProtocolError", "ReferenceUnavailable", "decode", "encode", "get_random_states",
           "arrays_in", "frame", "read_message", "set_random_states", "split_message", "write_message"]

MESSAGE_LIMIT = 256 << 20  # bytes; a bigger message is refused rather than read
OUTPUT_LIMIT = 64 << 10  # characters of printed output kept per process
FILE_SIZE_LIMIT = 64 << 20  # bytes; the largest file student code may write in its folder
OPEN_FILES_LIMIT = 256
BLOCKED_PACKAGES = ("lstm_course.numpy_ref", "lstm_course.nn")


class ProtocolError(RuntimeError):
    """A message that is malformed, too large, or cut short."""


# ---------------------------------------------------------------------------------------------------
# Values on the wire
# ---------------------------------------------------------------------------------------------------


_ARRAY_KINDS = "biufcUS"  # booleans, numbers, strings: never objects, whose bytes would be pointers


def _array_tree(array: np.ndarray, blobs: list, tag: str) -> dict:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"an array of dtype {array.dtype} cannot be sent")
    blobs.append(np.ascontiguousarray(array).tobytes())
    return {"t": tag, "b": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}


def _array_from(tree: dict, blobs: list) -> np.ndarray:
    dtype = np.dtype(tree["dtype"])
    if dtype.kind not in _ARRAY_KINDS:
        raise ProtocolError(f"arrays of dtype {dtype} are not accepted")
    shape = tuple(int(size) for size in tree["shape"])
    # a writable copy, so that the receiver owns its arrays
    return np.frombuffer(blobs[tree["b"]], dtype=dtype).reshape(shape).copy()


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
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in _ARRAY_KINDS:
        return dict(_array_tree(np.asarray(value), blobs, "nd"), scalar=isinstance(value, np.generic))
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor) and value.layout == torch.strided:
        tensor = value.detach().cpu()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        return dict(_array_tree(tensor.numpy(), blobs, "torch"), grad=bool(value.requires_grad))
    return make_ref(value)


def decode(tree, blobs: list, resolve_ref):
    """The value that ``encode`` turned into ``tree``; ``resolve_ref(tree)`` gives a handle's object."""
    if not isinstance(tree, dict):
        return tree
    kind = tree.get("t")
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
    if kind == "ref":
        return resolve_ref(tree)
    raise ProtocolError(f"unknown value kind {kind!r}")


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


def frame(header: dict, blobs: list = ()) -> bytes:
    """One message as bytes: total length, header length, the JSON header, then the blobs."""
    header = dict(header, blobs=[len(blob) for blob in blobs])
    head = json.dumps(header, allow_nan=True).encode()
    body = b"".join([struct.pack(">I", len(head)), head, *blobs])
    if len(body) > MESSAGE_LIMIT:
        raise ProtocolError(f"a message of {len(body) >> 20} MiB is over the limit of {MESSAGE_LIMIT >> 20} MiB")
    return struct.pack(">Q", len(body)) + body


def write_message(fd: int, header: dict, blobs: list = ()) -> None:
    """Send one message on ``fd``, blocking until it is written."""
    data = memoryview(frame(header, blobs))
    while data:
        data = data[os.write(fd, data):]


def split_message(body: bytes) -> tuple[dict, list]:
    """The header and blobs of a frame's body."""
    try:
        (head_size,) = struct.unpack(">I", body[:4])
        header = json.loads(body[4 : 4 + head_size])
        blobs, start = [], 4 + head_size
        for size in header.pop("blobs"):
            blobs.append(body[start : start + size])
            start += size
    except (struct.error, ValueError, KeyError, TypeError) as error:
        raise ProtocolError(f"malformed message: {error}") from None
    if start != len(body) or not isinstance(header, dict):
        raise ProtocolError("malformed message: its parts do not add up")
    return header, blobs


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> tuple[dict, list]:
    """Block until one whole frame has arrived on ``fd``; EOFError when the other side is gone."""
    (size,) = struct.unpack(">Q", _read_exactly(fd, 8))
    if size > MESSAGE_LIMIT:
        raise ProtocolError(f"a message of {size >> 20} MiB is over the limit")
    return split_message(_read_exactly(fd, size))


# ---------------------------------------------------------------------------------------------------
# Confinement
# ---------------------------------------------------------------------------------------------------


class ReferenceUnavailable(RuntimeError):
    """Raised by every stand-in of the course's reference implementations while grading."""


class _Blocked:
    """Stands in for any function, class or submodule of a blocked package."""

    def __init__(self, path: str):
        self._path = path

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Blocked(f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        raise ReferenceUnavailable(
            f"{self._path} is the course's own implementation and is not available while grading: "
            "write the code yourself")

    def __mro_entries__(self, bases):
        path = self._path

        class Blocked:
            def __init__(self, *args, **kwargs):
                _Blocked(path)()

        return (Blocked,)


def _install_reference_stand_ins() -> None:
    import importlib.abc
    import importlib.machinery
    import types

    class BlockedModule(types.ModuleType):
        def __getattr__(self, name: str):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Blocked(f"{self.__name__}.{name}")

    class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if any(name == blocked or name.startswith(blocked + ".") for blocked in BLOCKED_PACKAGES):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None

        def create_module(self, spec):
            module = BlockedModule(spec.name)
            module.__path__ = []
            return module

        def exec_module(self, module):
            pass

    for name in [name for name in sys.modules if name.startswith(BLOCKED_PACKAGES)]:
        del sys.modules[name]
    sys.meta_path.insert(0, Finder())


def _set_limits(memory_mb: int, cpu_s: int) -> None:
    import resource

    for limit, value in [(resource.RLIMIT_AS, memory_mb << 20), (resource.RLIMIT_CPU, cpu_s),
                         (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT), (resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT),
                         (resource.RLIMIT_CORE, 0)]:
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))  # hard too: the student's code cannot raise it back


def _landlock_writes_only_below(folder: str) -> bool:
    """Let the kernel refuse every write outside ``folder`` (Landlock, Linux 5.13+); False if unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        create_ruleset, add_rule, restrict_self = 444, 445, 446  # the same syscall numbers on every architecture
        abi = libc.syscall(create_ruleset, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
        if abi < 1:
            return False
        # write file, remove dir/file, make char/dir/reg/sock/fifo/block/sym; refer (ABI 2); truncate (ABI 3)
        rights = (1 << 1) | sum(1 << bit for bit in range(4, 13))
        rights |= (1 << 13 if abi >= 2 else 0) | (1 << 14 if abi >= 3 else 0)

        class RulesetAttr(ctypes.Structure):
            _fields_ = [("handled_access_fs", ctypes.c_uint64)]

        class PathBeneathAttr(ctypes.Structure):
            _pack_ = 1
            _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

        attr = RulesetAttr(rights)
        ruleset = libc.syscall(create_ruleset, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                               ctypes.c_uint32(0))
        if ruleset < 0:
            return False
        try:
            for path, allowed in [(folder, rights), ("/dev/null", 1 << 1)]:
                path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    rule = PathBeneathAttr(allowed, path_fd)
                    if libc.syscall(add_rule, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                        return False
                finally:
                    os.close(path_fd)
            if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required to restrict an unprivileged task
                return False
            return libc.syscall(restrict_self, ruleset, ctypes.c_uint32(0)) == 0
        finally:
            os.close(ruleset)
    except (OSError, AttributeError):
        return False


_BLOCKED_EVENTS = {
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "signal.pthread_kill", "resource.setrlimit", "resource.prlimit",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata", "socket.connect",
    "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "pty.spawn", "os.startfile",
    "sys.remote_exec", "winreg.OpenKey", "webbrowser.open", "urllib.Request",
}
_PATH_EVENTS = {  # event name -> positions of the path arguments that the event changes
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (0, 1),
    "os.symlink": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,), "os.mkfifo": (0,), "os.mknod": (0,),
    "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.move": (1,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _inside(path: str, folders: tuple) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


def _install_audit_hook(workdir: str, readable: tuple, libraries: tuple) -> None:
    writable = (workdir, "/dev/null")
    realpath, fspath = os.path.realpath, os.fspath

    def resolve(path) -> str | None:
        if isinstance(path, int):
            return None  # an already open descriptor: it was checked when it was opened
        return realpath(fspath(path) if not isinstance(path, bytes) else os.fsdecode(path))

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            path = resolve(path)
            if path is None:
                return
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                mode is None and flags & _WRITE_FLAGS)
            if writing and not _inside(path, writable):
                raise PermissionError(f"writing to {path} is not allowed while grading: use the current folder")
            if not writing and not _inside(path, readable):
                raise PermissionError(f"reading {path} is not allowed while grading")
        elif event in _PATH_EVENTS:
            for position in _PATH_EVENTS[event]:
                path = resolve(args[position]) if position < len(args) else None
                if path is not None and not _inside(path, writable):
                    raise PermissionError(f"{event} on {path} is not allowed while grading")
        elif event == "ctypes.dlopen" and args[0] and _inside(realpath(args[0]), libraries):
            return  # PyTorch loads its own shared libraries when it is imported
        elif event in _BLOCKED_EVENTS:
            raise PermissionError(f"{event} is not allowed while grading")

    sys.addaudithook(hook)


# ---------------------------------------------------------------------------------------------------
# The request loop
# ---------------------------------------------------------------------------------------------------


class _CappedOutput(io.TextIOBase):
    """Keeps the first OUTPUT_LIMIT characters written to it and counts the rest."""

    def __init__(self):
        self.kept, self.dropped = [], 0
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = OUTPUT_LIMIT - self._size
        if room > 0:
            self.kept.append(text[:room])
            self._size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)


def _strip_magics(code: str) -> str:
    """Comment out IPython magics and shell escapes, which plain Python cannot run."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n"))


def _error(error: BaseException) -> dict:
    text = str(error)
    return {"ok": False, "ename": type(error).__name__, "evalue": text[:2000]}


def get_random_states(blobs: list, last: dict) -> dict:
    """The global random states of NumPy and (once imported) PyTorch that changed since ``last``.

    Both sides send theirs with every call and take the other's, so that seeding
    in a test cell and drawing in the student's code behave as in one kernel.
    ``last`` holds what was sent or received before, and is updated.
    """
    states = {}
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    numpy_state = [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)]
    if numpy_state != last.get("np_random"):
        states["np_random"] = last["np_random"] = numpy_state
    torch = _torch()
    if torch is not None:
        torch_state = torch.get_rng_state().numpy()
        if "torch_random" not in last or not np.array_equal(torch_state, last["torch_random"]):
            last["torch_random"] = torch_state
            states["torch_random"] = _array_tree(torch_state, blobs, "nd")
    return states


def set_random_states(header: dict, blobs: list, last: dict) -> None:
    """Take the random states that ``get_random_states`` put in ``header``; update ``last``."""
    if "np_random" in header:
        name, keys, pos, has_gauss, gauss = last["np_random"] = header["np_random"]
        np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch = _torch()
    if torch is not None and "torch_random" in header:
        state = last["torch_random"] = _array_from(header["torch_random"], blobs)
        torch.set_rng_state(torch.from_numpy(state.copy()))


class _Session:
    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.handles: dict[int, object] = {}
        self.random_states: dict = {}  # as last exchanged with the grader

    def make_ref(self, obj) -> dict:
        number = len(self.handles) + 1
        self.handles[number] = obj
        return {"t": "ref", "id": number, "type": type(obj).__name__, "callable": callable(obj)}

    def resolve(self, tree) -> object:
        return self.handles[tree["id"]]

    def reply(self, value) -> tuple[dict, list]:
        blobs: list = []
        return {"ok": True, "value": encode(value, blobs, self.make_ref)}, blobs

    def handle(self, header: dict, blobs: list) -> tuple[dict, list]:
        op = header["op"]
        if op == "exec":
            code = compile(_strip_magics(header["code"]), f"<cell {header['name']}>", "exec")
            exec(code, self.namespace)
            return {"ok": True}, []
        if op == "get":
            if header["name"] not in self.namespace:
                return {"ok": True, "missing": True}, []
            return self.reply(self.namespace[header["name"]])
        if op == "getattr":
            return self.reply(getattr(self.resolve(header["target"]), header["name"]))
        if op == "call":
            target = decode(header["target"], blobs, self.resolve)
            args = decode(header["args"], blobs, self.resolve)
            kwargs = decode(header["kwargs"], blobs, self.resolve)
            arrays = arrays_in([args, kwargs])
            before = [a.copy() for a in arrays]
            set_random_states(header, blobs, self.random_states)
            with np.errstate(**header["errstate"]):
                result = target(*args, **kwargs)
            reply, out_blobs = self.reply(result)
            reply.update(get_random_states(out_blobs, self.random_states))
            # The caller's arrays are copies: send back the ones the student's code changed in place.
            changed = {i: a for i, (a, b) in enumerate(zip(arrays, before)) if not np.array_equal(a, b, equal_nan=True)}
            reply["changed"] = {str(i): encode(a, out_blobs, self.make_ref) for i, a in changed.items()}
            return reply, out_blobs
        raise ProtocolError(f"unknown request {op!r}")


def main(argv: list[str]) -> None:
    in_fd, out_fd, workdir, memory_mb, cpu_s = int(argv[0]), int(argv[1]), argv[2], int(argv[3]), int(argv[4])
    workdir = os.path.realpath(workdir)
    os.chdir(workdir)
    _set_limits(memory_mb, cpu_s)
    _install_reference_stand_ins()
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # lstm_course/
    libraries = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    readable = libraries + tuple({os.path.realpath(p) for p in (package, workdir, "/usr", "/lib", "/lib64",
                                                                "/etc", "/proc", "/sys", "/dev")})
    _landlock_writes_only_below(workdir)
    _install_audit_hook(workdir, readable, libraries)
    output = _CappedOutput()
    sys.stdout = sys.stderr = output
    session = _Session()
    while True:
        try:
            header, blobs = read_message(in_fd)
        except EOFError:
            return
        try:
            reply, out_blobs = session.handle(header, blobs)
        except BaseException as error:  # the student's code may raise anything, SystemExit included
            reply, out_blobs = _error(error), []
        try:
            write_message(out_fd, reply, out_blobs)
        except (ProtocolError, ValueError, TypeError) as error:
            write_message(out_fd, _error(error))


if __name__ == "__main__":
    main(sys.argv[1:])
