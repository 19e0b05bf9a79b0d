"""The grader's side of a student process: start it, send it requests, stand in for its objects.

``StudentProcess`` starts ``student_process.py`` and exchanges messages with
it under a deadline: a request that gets no reply in time kills the process.
``StudentSession`` puts a friendlier face on it for the test cells, which run
in the grader: ``session.remote_name("lstm_step_forward")`` returns what the
student's code bound to that name, a value if it can cross by value (an
array, a number) and otherwise a ``Remote`` that forwards calls and attribute
reads to the student process. Calling a ``Remote`` sends the arguments
(inputs only), the caller's ``np.errstate`` and the global random states,
and returns what the student's function returned; arrays the function changed
in place are changed in the caller's copies too, so a test cell reads as if
it ran in the student's kernel.

An error raised by the student's code is raised again in the test cell: as
the same built-in exception when it is one (``FloatingPointError``,
``NotImplementedError``...), otherwise as ``StudentCodeError`` with the
original name in the message. A process that runs past its deadline, runs
out of memory or exits raises ``StudentProcessDied``.
"""

from __future__ import annotations

import builtins
import os
import select
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import student_process as wire

__all__ = ["Remote", "StudentCodeError", "StudentProcess", "StudentProcessDied", "StudentSession"]

SCRIPT = str(Path(wire.__file__).resolve())


class StudentCodeError(Exception):
    """The student's code raised an exception that is not one of Python's built-in ones."""


class StudentProcessDied(Exception):
    """The student process ran past its deadline, or exited, or broke the protocol; it is gone."""


def _child_environment(workdir: str) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "TMPDIR": workdir,
           "MPLCONFIGDIR": workdir, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"}
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = "1"  # one core per submission: -j runs several at once
    return env


class StudentProcess:
    """One fresh ``python -I`` process that runs one submission's code, in ``workdir``."""

    def __init__(self, workdir: Path, *, memory_mb: int, cpu_s: int, python: str = sys.executable):
        to_child, self._to = os.pipe()
        self._from, from_child = os.pipe()
        self.workdir = Path(workdir)
        workdir = str(workdir)
        try:
            self._process = subprocess.Popen(
                [python, "-I", "-B", SCRIPT, str(to_child), str(from_child), workdir, str(memory_mb), str(cpu_s)],
                pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=workdir, env=_child_environment(workdir), start_new_session=True)
        finally:
            os.close(to_child)
            os.close(from_child)
        os.set_blocking(self._to, False)
        self.memory_mb = memory_mb
        self.pending = 0  # requests sent ahead (prestart) whose replies have not been read

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def kill(self) -> None:
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

    def _death(self, what: str) -> StudentProcessDied:
        code = self._process.poll()
        self.kill()
        if code is None or code == -signal.SIGKILL:
            return StudentProcessDied(what)
        if code == -signal.SIGXCPU:
            return StudentProcessDied("the code used up its CPU time limit and was stopped")
        if code < 0:
            return StudentProcessDied(f"the process running the code was killed by signal {-code} "
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

    def _read(self, size: int, deadline: float, limit: str) -> bytes:
        chunks = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from], [], [], remaining)[0]:
                raise self._death(limit)
            chunk = os.read(self._from, min(size, 1 << 20))
            if not chunk:
                self._process.wait()
                raise self._death("the process exited")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def receive(self, *, deadline: float, limit: str) -> tuple[dict, list]:
        """The next reply; ``limit`` says what happened if it does not come by ``deadline``."""
        if self._from < 0:
            raise StudentProcessDied("the process is gone")
        (size,) = struct.unpack(">Q", self._read(8, deadline, limit))
        if size > wire.MESSAGE_LIMIT:
            raise self._death(f"the code returned more than {wire.MESSAGE_LIMIT >> 20} MiB")
        try:
            reply = wire.split_message(self._read(size, deadline, limit))
        except wire.ProtocolError as error:
            raise self._death(f"the process sent a malformed reply ({error})") from None
        self.pending -= 1
        return reply

    def request(self, header: dict, blobs: list = (), *, timeout: float, limit: str) -> tuple[dict, list]:
        """Send one request and return its reply, after the replies still pending."""
        deadline = time.monotonic() + timeout
        while self.pending:
            self.receive(deadline=deadline, limit=limit)
        self.send(header, blobs, deadline=deadline, limit=limit)
        return self.receive(deadline=deadline, limit=limit)


class Remote:
    """An object that lives in the student process; calls and attribute reads are forwarded to it."""

    __slots__ = ("_session", "_tree", "_generation")

    def __init__(self, session: "StudentSession", tree: dict):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_generation", session.generation)

    def __call__(self, *args, **kwargs):
        return self._session.call(self, args, kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.getattr(self, name)

    def __getitem__(self, key):
        return self._session.getattr(self, "__getitem__")(key)

    def __len__(self) -> int:
        return self._session.getattr(self, "__len__")()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<{self._tree.get('type', 'object')} in the student's process>"


class StudentSession:
    """The test cells' view of one student process (which ``restart`` may replace)."""

    def __init__(self, process: StudentProcess, *, timeout: float):
        self.process = process
        self.timeout = timeout
        self.budget = timeout  # seconds the student's code may still run in this cell; see start_cell
        self.generation = 0
        self.random_states: dict = {}  # as last exchanged with the student process

    def replace(self, process: StudentProcess) -> None:
        """Continue with a new process; handles to the old one's objects become invalid."""
        self.process.kill()
        self.process = process
        self.generation += 1
        self.random_states = {}

    def start_cell(self) -> None:
        """Give the student's code a new time budget: the time limit counts per cell.

        Only time spent waiting for the student process counts, not the time the
        test cell itself spends computing the reference.
        """
        self.budget = self.timeout

    def _request(self, header: dict, blobs: list = ()) -> tuple[dict, list]:
        limit = f"the code ran longer than the time limit of {self.timeout:g} s per cell and was stopped"
        started = time.monotonic()
        try:
            return self.process.request(header, blobs, timeout=max(0.0, self.budget), limit=limit)
        finally:
            self.budget -= time.monotonic() - started

    def _encode(self, value, blobs: list):
        def make_ref(obj):
            if isinstance(obj, Remote):
                if obj._generation != self.generation:
                    raise StudentProcessDied("this object belonged to a student process that was stopped earlier")
                return obj._tree
            raise TypeError(f"a {type(obj).__name__} cannot be passed to the student's code: pass arrays, tensors, "
                            "numbers, strings or lists, tuples and dicts of them")

        return wire.encode(value, blobs, make_ref)

    def _value(self, reply: dict, blobs: list):
        if not reply.get("ok"):
            name, message = reply.get("ename", "Exception"), reply.get("evalue", "")
            error_type = getattr(builtins, name, None)
            if isinstance(error_type, type) and issubclass(error_type, Exception) and error_type.__module__ == "builtins":
                try:
                    raise error_type(message)
                except TypeError:  # an exception type with another constructor (UnicodeDecodeError...)
                    pass
            raise StudentCodeError(f"{name}: {message}" if message else name)
        return wire.decode(reply["value"], blobs, lambda tree: Remote(self, tree))

    def execute(self, code: str, name: str) -> str | None:
        """Run a cell in the student process; None if it ran, else its error as "Name: message"."""
        reply, _ = self._request({"op": "exec", "code": code, "name": name})
        return None if reply.get("ok") else f"{reply.get('ename')}: {reply.get('evalue', '')}".rstrip(": ")

    def remote_name(self, name: str):
        """What the student's code bound to ``name``: a value, a ``Remote``, or None and False if unbound."""
        reply, blobs = self._request({"op": "get", "name": name})
        if reply.get("missing"):
            return None, False
        return self._value(reply, blobs), True

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
                  "kwargs": self._encode(dict(kwargs), blobs), "errstate": np.geterr(),
                  **wire.get_random_states(blobs, self.random_states)}
        reply, reply_blobs = self._request(header, blobs)
        result = self._value(reply, reply_blobs)
        wire.set_random_states(reply, reply_blobs, self.random_states)
        arrays = wire.arrays_in([list(args), dict(kwargs)])
        for index, tree in reply.get("changed", {}).items():
            changed = wire.decode(tree, reply_blobs, lambda tree: None)
            original = arrays[int(index)]
            if isinstance(changed, np.ndarray) and changed.shape == original.shape and original.flags.writeable:
                original[...] = changed
        return result
