"""The grader's side of a student process: start it, send it requests, stand in for its objects.

``StudentProcess`` starts ``child.py`` in a new sandbox (``sandbox.py``), or
without one when the instructor asked for ``--no-sandbox``, and exchanges
messages with it under a deadline: a request that gets no reply in time
kills the process. Every reply is checked against the protocol's schema
(``wire.py``) before any of it is used; a reply that breaks it kills the
process, as a hang would.

``StudentSession`` is the test cells' view of it:
``session.remote_name("lstm_step_forward")`` returns what the student's code
bound to that name, a value if it can cross by value (an array, a number) and
otherwise a ``Remote`` that forwards calls and attribute reads. Calling a
``Remote`` sends copies of the arguments, the caller's ``np.errstate`` and
the grader's global random states (when they changed since they were last
sent, so the student's draws go on from call to call as in one kernel, and a
test cell that seeds seeds the student's code), and returns what the
student's function returned. The caller's arrays are never changed by the
call, except for a function the source notebook declares to work in place
(``in_place=True``), whose changes to its array arguments are copied back.
The student process's random states never come back.

An error raised by the student's code is raised again in the test cell: as
the same built-in exception when it is one (``FloatingPointError``,
``NotImplementedError``...), otherwise as ``StudentCodeError`` with the
original name in the message. A process that runs past its deadline, runs
out of memory, exits or breaks the protocol raises ``StudentProcessDied``;
one that used up the notebook's time budget raises ``BudgetUsedUp``.
"""

from __future__ import annotations

import builtins
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import sandbox as _sandbox
from . import wire

__all__ = ["BudgetUsedUp", "Remote", "StudentCodeError", "StudentProcess", "StudentProcessDied", "StudentSession",
           "runtime_folder"]

REPLY_LIMIT = wire.MESSAGE_LIMIT
_CHILD_FILES = ("child.py", "wire.py")


class StudentCodeError(Exception):
    """The student's code raised an exception that is not one of Python's built-in ones."""


class StudentProcessDied(Exception):
    """The student process ran past its deadline, or exited, or broke the protocol; it is gone."""


class BudgetUsedUp(StudentProcessDied):
    """The student's code used up the time budget of the notebook."""


def runtime_folder(root: Path) -> Path:
    """A folder under ``root`` holding the student's side of the protocol, and nothing else of the course."""
    folder = Path(root) / "runtime"
    folder.mkdir(mode=0o755, exist_ok=True)
    here = Path(__file__).resolve().parent
    for name in _CHILD_FILES:
        (folder / name).write_bytes((here / name).read_bytes())
    return folder


class StudentProcess:
    """One fresh Python process that runs one submission's code, in a sandbox of its own.

    ``runtime`` is a ``runtime_folder``. Without the sandbox (``sandboxed=False``)
    the process runs in a new folder under ``runtime``'s parent, which ``kill``
    removes.
    """

    def __init__(self, runtime: Path, *, memory_mb: int, cpu_s: int, sandboxed: bool = True):
        to_child, self._to = os.pipe()
        self._from, from_child = os.pipe()
        self.memory_mb = memory_mb
        self.workdir = None if sandboxed else Path(tempfile.mkdtemp(dir=Path(runtime).parent))
        limits = _sandbox.resource_limits(memory_mb, cpu_s)
        fds = [to_child, from_child]
        try:
            if sandboxed:
                argv = [_sandbox.interpreter(), "-I", "-B", f"{_sandbox.RUNTIME}/child.py", str(to_child),
                        str(from_child)]
                argv, filter_fd = _sandbox.command(Path(runtime), argv)
                fds.append(filter_fd)
                cwd, env = "/", {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            else:
                argv = [sys.executable, "-I", "-B", str(Path(runtime) / "child.py"), str(to_child), str(from_child),
                        "--landlock"]
                cwd, env = str(self.workdir), _sandbox.environment(str(self.workdir))
            self._process = subprocess.Popen(argv, pass_fds=fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, cwd=cwd, env=env, preexec_fn=limits,
                                             start_new_session=True)
        finally:
            for fd in fds:
                os.close(fd)
        os.set_blocking(self._to, False)
        self.pending = 0  # requests sent ahead (prestart) whose replies have not been read

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def kill(self) -> None:
        """End the process and everything it started (the sandbox's PID namespace goes with it)."""
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._process.wait()
        for fd in (self._to, self._from):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to = self._from = -1
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _death(self, what: str, kind=StudentProcessDied) -> StudentProcessDied:
        code = self._process.poll()
        self.kill()
        if code is None or code == -signal.SIGKILL:
            return kind(what)
        if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return StudentProcessDied("the code used up its CPU time limit and was stopped")
        if code < 0 or code > 128:  # bwrap reports its child's death by signal N as 128 + N
            return StudentProcessDied(f"the process running the code was killed by signal {abs(code) % 128} "
                                      f"(memory limit {self.memory_mb} MB?)")
        return StudentProcessDied(f"the code ended the Python process (exit status {code}), "
                                  "e.g. with os._exit(); code after that point did not run")

    def send(self, header: dict, blobs: list = (), *, deadline: float,
             limit: str = "the code did not take its next input in time") -> None:
        data = memoryview(wire.frame(header, blobs))
        while data:
            if self._to < 0:
                raise StudentProcessDied("the process is gone")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self._to], [], remaining)[1]:
                raise self._death(limit)
            try:
                data = data[os.write(self._to, data):]
            except BrokenPipeError:
                raise self._death("the process stopped reading") from None
        self.pending += 1

    def _read(self, size: int, deadline: float, limit: str, kind) -> bytes:
        chunks = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from], [], [], remaining)[0]:
                raise self._death(limit, kind)
            chunk = os.read(self._from, min(size, 1 << 20))
            if not chunk:
                self._process.wait()
                raise self._death("the process exited")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def receive(self, *, deadline: float, limit: str, kind=StudentProcessDied) -> tuple[dict, list]:
        """The next reply, checked; ``limit`` says what happened if it does not come by ``deadline``."""
        if self._from < 0:
            raise StudentProcessDied("the process is gone")
        (size,) = struct.unpack(">Q", self._read(8, deadline, limit, kind))
        if size > REPLY_LIMIT:
            raise self._death(f"the code returned more than {REPLY_LIMIT >> 20} MiB")
        try:
            reply = wire.split_message(self._read(size, deadline, limit, kind))
            _check_reply(*reply)
        except wire.ProtocolError as error:
            raise self._death(f"the process sent a malformed reply ({error})") from None
        self.pending -= 1
        return reply

    def request(self, header: dict, blobs: list = (), *, timeout: float, limit: str,
                kind=StudentProcessDied) -> tuple[dict, list]:
        """Send one request and return its reply, after the replies still pending."""
        deadline = time.monotonic() + timeout
        while self.pending:
            self.receive(deadline=deadline, limit=limit, kind=kind)
        self.send(header, blobs, deadline=deadline, limit=limit)
        return self.receive(deadline=deadline, limit=limit, kind=kind)


def _check_reply(header: dict, blobs: list) -> None:
    """Raise ``wire.ProtocolError`` unless ``header`` is a reply of the protocol's schema."""
    if type(header.get("ok")) is not bool:
        raise wire.ProtocolError("a reply without ok")
    if not header["ok"]:
        if set(header) != {"ok", "ename", "evalue"} or type(header["ename"]) is not str or \
                type(header["evalue"]) is not str:
            raise wire.ProtocolError("a malformed error reply")
        return
    if not set(header) <= {"ok", "value", "missing", "changed"} or header.get("missing", True) is not True:
        raise wire.ProtocolError(f"unexpected fields {sorted(header)[:8]}")
    changed = header.get("changed", {})
    if type(changed) is not dict or not all(key.isdigit() and len(key) < 8 for key in changed):
        raise wire.ProtocolError("a malformed list of changed arguments")
    wire.check_values(blobs, header.get("value"), *changed.values())


class Remote:
    """An object that lives in the student process; calls and attribute reads are forwarded to it."""

    __slots__ = ("_session", "_tree", "_generation", "_in_place")

    def __init__(self, session: "StudentSession", tree: dict, in_place: bool = False):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_generation", session.generation)
        object.__setattr__(self, "_in_place", in_place)

    def __call__(self, *args, **kwargs):
        return self._session.call(self, args, kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.getattr(self, name)

    def __getitem__(self, key):
        return self._session.getattr(self, "__getitem__")(key)

    def __len__(self) -> int:
        length = self._session.getattr(self, "__len__")()
        if type(length) is not int or length < 0:
            raise TypeError("the student's object returned an invalid length")
        return length

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<{self._tree.get('type', 'object')} in the student's process>"


def _random_states() -> dict:
    """The grader's global random states, as arrays: NumPy's legacy one and, once imported, PyTorch's."""
    name, keys, position, has_gauss, gauss = np.random.get_state()
    states = {"np_random": np.concatenate([keys.astype(np.float64), [position, has_gauss, gauss]])}
    torch = sys.modules.get("torch")
    if torch is not None:
        states["torch_random"] = torch.get_rng_state().numpy()
    return states


class StudentSession:
    """The test cells' view of one student process (which ``replace`` may replace).

    ``timeout`` limits the student's code per cell; ``budget`` is what is left
    of the notebook's time, which every request spends, replays included.
    """

    def __init__(self, process: StudentProcess, *, timeout: float, budget: float = float("inf")):
        self.process = process
        self.timeout = timeout
        self.cell_budget = timeout  # seconds the student's code may still run in this cell; see start_cell
        self.budget = budget
        self.generation = 0
        self._sent_states: dict = {}  # the random states last sent to the student process

    def replace(self, process: StudentProcess) -> None:
        """Continue with a new process; handles to the old one's objects become invalid."""
        self.process.kill()
        self.process = process
        self.generation += 1
        self._sent_states = {}

    def start_cell(self) -> None:
        """Give the student's code a new time budget for a cell (the notebook's budget goes on).

        Only time spent waiting for the student process counts, not the time the
        test cell itself spends computing the reference.
        """
        self.cell_budget = self.timeout

    def _request(self, header: dict, blobs: list = ()) -> tuple[dict, list]:
        if self.cell_budget <= self.budget:
            timeout, kind = self.cell_budget, StudentProcessDied
            limit = f"the code ran longer than the time limit of {self.timeout:g} s per cell and was stopped"
        else:
            timeout, kind = self.budget, BudgetUsedUp
            limit = "the code used up the time budget of the notebook and was stopped"
        started = time.monotonic()
        try:
            return self.process.request(header, blobs, timeout=max(0.0, timeout), limit=limit, kind=kind)
        finally:
            spent = time.monotonic() - started
            self.cell_budget -= spent
            self.budget -= spent

    def _encode(self, value, blobs: list):
        def make_ref(obj):
            if isinstance(obj, Remote):
                if obj._generation != self.generation:
                    raise StudentProcessDied("this object belonged to a student process that was stopped earlier")
                return obj._tree
            raise TypeError(f"a {type(obj).__name__} cannot be passed to the student's code: pass arrays, tensors, "
                            "numbers, strings or lists, tuples and dicts of them")

        return wire.encode(value, blobs, make_ref)

    def _value(self, reply: dict, blobs: list, in_place: bool = False):
        if not reply["ok"]:
            name, message = reply["ename"], reply["evalue"]
            error_type = getattr(builtins, name, None)
            if isinstance(error_type, type) and issubclass(error_type, Exception) and error_type.__module__ == "builtins":
                try:
                    raise error_type(message)
                except TypeError:  # an exception type with another constructor (UnicodeDecodeError...)
                    pass
            raise StudentCodeError(f"{name}: {message}" if message else name)
        return wire.decode(reply.get("value"), blobs, lambda tree: Remote(self, tree, in_place))

    def execute(self, code: str, name: str) -> str | None:
        """Run a cell in the student process; None if it ran, else its error as "Name: message"."""
        reply, _ = self._request({"op": "exec", "code": code, "name": name})
        return None if reply["ok"] else f"{reply['ename']}: {reply['evalue']}".rstrip(": ")

    def remote_name(self, name: str, *, in_place: bool = False):
        """What the student's code bound to ``name``: a value, a ``Remote``, or None and False if unbound.

        ``in_place``: the name is a function declared to change its array arguments in place.
        """
        reply, blobs = self._request({"op": "get", "name": name})
        if reply.get("missing"):
            return None, False
        return self._value(reply, blobs, in_place), True

    def getattr(self, remote: Remote, name: str):
        self._check(remote)
        return self._value(*self._request({"op": "getattr", "target": remote._tree, "name": name}))

    def _check(self, remote: Remote) -> None:
        if remote._generation != self.generation:
            raise StudentProcessDied("this object belonged to a student process that was stopped earlier")

    def call(self, remote: Remote, args: tuple, kwargs: dict):
        self._check(remote)
        blobs: list = []
        header = {"op": "call", "target": remote._tree, "args": self._encode(list(args), blobs),
                  "kwargs": self._encode(dict(kwargs), blobs), "errstate": np.geterr(), "mirror": remote._in_place}
        for key, state in _random_states().items():
            if key not in self._sent_states or not np.array_equal(state, self._sent_states[key]):
                header[key] = self._encode(state, blobs)
                self._sent_states[key] = state
        reply, reply_blobs = self._request(header, blobs)
        result = self._value(reply, reply_blobs)
        if remote._in_place:
            arrays = wire.arrays_in([list(args), dict(kwargs)])
            for index, tree in reply.get("changed", {}).items():
                changed = wire.decode(tree, reply_blobs, lambda tree: None)
                if int(index) < len(arrays):
                    original = arrays[int(index)]
                    if isinstance(changed, np.ndarray) and changed.shape == original.shape and \
                            original.flags.writeable:
                        original[...] = changed
        return result
