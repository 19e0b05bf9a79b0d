"""The student's side of grading: a process that runs one submission's code and answers requests.

``lstm-course grade`` starts this file as a script, ``python -I -B child.py
IN_FD OUT_FD [--landlock]``, once per submission, inside the sandbox
(``sandbox.py``), beside a copy of ``wire.py`` and nothing else of the
course. It reads requests on ``IN_FD`` and answers each on ``OUT_FD``:

- ``exec``: run an answer or set-up cell;
- ``get``: what the code bound to a name;
- ``getattr``: an attribute of an object that lives here;
- ``call``: call a function or method with the given arguments (copies of
  the grader's arrays, and the grader's global random states).

Only return values go back, never expected values: the verdict is reached in
the grader. The guarantees come from the sandbox around this process (no
reference code in its file system, no other processes, no network, limits
on memory, time, files and disk), not from anything below. What this module
adds is for the student's benefit, clear messages instead of bare errors:

- ``import lstm_course`` and everything under it give stand-ins whose every
  function raises ``ReferenceUnavailable`` ("write the code yourself");
- an audit hook (PEP 578) refuses, with a message that says so, writing
  outside the working folder, reading outside the Python installation and
  the working folder, starting processes, sending signals and opening sockets;
- with ``--landlock`` (grading without the sandbox) the kernel's Landlock
  confines writes to the working folder, where the kernel offers it;
- what the code prints goes to a buffer that keeps the first 64 KiB.
"""

import builtins
import io
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # python -I leaves the script's folder out
import wire  # noqa: E402  (beside this file, and nothing else of the course is)

OUTPUT_LIMIT = 64 << 10  # characters of printed output kept per process
REQUEST_LIMIT = wire.MESSAGE_LIMIT


class ReferenceUnavailable(RuntimeError):
    """Raised by every stand-in of the course's own code while grading."""


class _Blocked:
    """Stands in for any function, class or submodule of the course's package."""

    def __init__(self, path: str):
        self._path = path

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Blocked(f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        raise ReferenceUnavailable(
            f"{self._path} is the course's own code and is not available while grading: write the code yourself")

    def __mro_entries__(self, bases):
        path = self._path

        class Blocked:
            def __init__(self, *args, **kwargs):
                _Blocked(path)()

        return (Blocked,)


def _install_course_stand_ins() -> None:
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
            if name == "lstm_course" or name.startswith("lstm_course."):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None

        def create_module(self, spec):
            module = BlockedModule(spec.name)
            module.__path__ = []
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, Finder())


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
    "subprocess.Popen": "starting processes", "os.system": "starting processes", "os.exec": "starting processes",
    "os.posix_spawn": "starting processes", "os.spawn": "starting processes", "os.fork": "starting processes",
    "os.forkpty": "starting processes", "pty.spawn": "starting processes", "os.kill": "sending signals",
    "os.killpg": "sending signals", "signal.pthread_kill": "sending signals", "socket.connect": "network access",
    "socket.bind": "network access", "socket.sendto": "network access", "socket.getaddrinfo": "network access",
}
_PATH_EVENTS = {  # event name -> positions of the path arguments that the event changes
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (0, 1),
    "os.symlink": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
    "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.move": (1,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _inside(path: str, folders: tuple) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


def _install_audit_hook(workdir: str, readable: tuple) -> None:
    writable = (workdir, "/dev/null")
    realpath, fspath = os.path.realpath, os.fspath

    def resolve(path):
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
        elif event in _BLOCKED_EVENTS:
            raise PermissionError(f"{event} is not allowed while grading ({_BLOCKED_EVENTS[event]})")

    sys.addaudithook(hook)


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
    return {"ok": False, "ename": type(error).__name__[:200], "evalue": str(error)[:2000]}


def _take_random_states(header: dict, blobs: list) -> None:
    """Take the grader's global random states, sent when they changed, so seeding in a test cell works here.

    They only ever go this way: the grader never takes a state from this process.
    """
    if "np_random" in header:
        state = wire.decode(header["np_random"], blobs, None)  # float64: 624 keys, position, has_gauss, gauss
        np.random.set_state(("MT19937", state[:624].astype(np.uint32), int(state[624]), int(state[625]),
                             float(state[626])))
    torch = sys.modules.get("torch")  # not imported here: the student's code draws nothing from it yet
    if "torch_random" in header and torch is not None:
        torch.set_rng_state(torch.from_numpy(wire.decode(header["torch_random"], blobs, None)))


class _Session:
    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.handles: dict = {}

    def make_ref(self, obj) -> dict:
        number = len(self.handles) + 1
        self.handles[number] = obj
        return {"t": "ref", "id": number, "type": type(obj).__name__[:200], "callable": callable(obj)}

    def resolve(self, tree) -> object:
        if tree["id"] not in self.handles:
            raise wire.ProtocolError("an unknown handle")
        return self.handles[tree["id"]]

    def reply(self, value) -> tuple:
        blobs: list = []
        return {"ok": True, "value": wire.encode(value, blobs, self.make_ref)}, blobs

    def handle(self, header: dict, blobs: list) -> tuple:
        op = header.get("op")
        if op == "exec":
            code = compile(_strip_magics(header["code"]), f"<cell {header['name']}>", "exec")
            exec(code, self.namespace)
            return {"ok": True}, []
        if op == "get":
            if header["name"] not in self.namespace:
                return {"ok": True, "missing": True}, []
            return self.reply(self.namespace[header["name"]])
        if op == "getattr":
            wire.check_values(blobs, header["target"])
            return self.reply(getattr(self.resolve(header["target"]), header["name"]))
        if op == "call":
            trees = [header["target"], header["args"], header["kwargs"]]
            trees += [header[key] for key in ("np_random", "torch_random") if key in header]
            wire.check_values(blobs, *trees)
            target, args, kwargs = (wire.decode(tree, blobs, self.resolve) for tree in trees[:3])
            mirror = bool(header.get("mirror"))
            arrays = wire.arrays_in([args, kwargs]) if mirror else []
            before = [a.copy() for a in arrays]
            _take_random_states(header, blobs)
            with np.errstate(**header["errstate"]):
                result = target(*args, **kwargs)
            reply, out_blobs = self.reply(result)
            if mirror:  # a function declared to work in place: send back what it changed
                changed = {i: a for i, (a, b) in enumerate(zip(arrays, before))
                           if not np.array_equal(a, b, equal_nan=True)}
                reply["changed"] = {str(i): wire.encode(a, out_blobs, self.make_ref) for i, a in changed.items()}
            return reply, out_blobs
        raise wire.ProtocolError(f"unknown request {str(op)[:40]!r}")


def main(argv: list) -> None:
    in_fd, out_fd = int(argv[0]), int(argv[1])
    workdir = os.path.realpath(os.getcwd())
    if "--landlock" in argv[2:]:
        _landlock_writes_only_below(workdir)
    _install_course_stand_ins()
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    readable = tuple(prefixes | {os.path.dirname(os.path.realpath(__file__))} |
                     {os.path.realpath(p) for p in (workdir, "/usr", "/lib", "/lib64", "/etc", "/proc", "/sys",
                                                    "/dev")})
    _install_audit_hook(workdir, readable)
    sys.stdout = sys.stderr = _CappedOutput()
    session = _Session()
    while True:
        try:
            header, blobs = wire.read_message(in_fd, REQUEST_LIMIT)
        except EOFError:
            return
        try:
            reply, out_blobs = session.handle(header, blobs)
        except BaseException as error:  # the student's code may raise anything, SystemExit included
            reply, out_blobs = _error(error), []
        try:
            wire.write_message(out_fd, reply, out_blobs)
        except (wire.ProtocolError, ValueError, TypeError, OverflowError) as error:
            wire.write_message(out_fd, _error(error))


if __name__ == "__main__":
    main(sys.argv[1:])
