"""The sandbox holds when everything inside the student's process that could help has been taken away.

Each attack first neuters the extra layer inside the student process (the
audit hook's lists and the stand-ins of the course's package, reached through
the garbage collector), as a determined student would, and then tries its
route. The same attacks run without the sandbox show that the neutering works
and that only the sandbox stops them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import lstm_course
from lstm_course.grading import sandbox
from lstm_course.grading.remote import StudentProcess, StudentSession, runtime_folder

PACKAGE = Path(lstm_course.__file__).resolve().parent

# Empties the audit hook's lists and closure, and removes the stand-ins of lstm_course.
NEUTER = """
import gc, sys, types
for obj in gc.get_objects():
    if isinstance(obj, types.FunctionType) and obj.__name__ == "hook" and obj.__closure__:
        for cell in obj.__closure__:
            if isinstance(cell.cell_contents, tuple):
                cell.cell_contents = ("/",)
        for value in obj.__globals__.values():
            if isinstance(value, dict) and ("subprocess.Popen" in value or "os.remove" in value):
                value.clear()
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "Finder"]
for name in [name for name in sys.modules if name.startswith("lstm_course")]:
    del sys.modules[name]
"""


def attempt(code: str) -> str:
    """A cell that sets ``outcome`` to "ok: <result>" or to the error ``code`` raised."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return f"try:\n{body}\n    outcome = 'ok: ' + str(result)\nexcept BaseException as error:\n" \
           f"    outcome = type(error).__name__ + ': ' + str(error)\n"


@pytest.fixture
def start(tmp_path):
    sessions = []

    def start(sandboxed: bool = True) -> StudentSession:
        process = StudentProcess(runtime_folder(tmp_path), memory_mb=1024, cpu_s=60, sandboxed=sandboxed)
        session = StudentSession(process, timeout=30)
        assert session.execute(NEUTER, "neuter") is None
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.process.kill()


def outcome(session: StudentSession, code: str) -> str:
    assert session.execute(attempt(code), "attack") is None
    value, bound = session.remote_name("outcome")
    assert bound
    return value


SPAWNS = {
    "subprocess": "import subprocess\nresult = subprocess.run(['/bin/sh', '-c', 'echo spawned'], capture_output=True)",
    "os.system": "import os\nresult = os.system('true')\nassert result == 0, result",
    "os.posix_spawn": "import os\nresult = os.posix_spawn('/bin/true', ['true'], {})",
    "os.fork": "import os\nresult = os.fork()\nif result == 0:\n    os._exit(0)",
    "multiprocessing": "import multiprocessing as mp\np = mp.get_context('fork').Process(target=print)\np.start()\n"
                       "result = p.pid",
    "the low-level fork helper": (
        "import _posixsubprocess, os\n"
        "r, w = os.pipe()\n"
        "args = (['/bin/true'], [b'/bin/true'], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False,"
        " -1, None, None, None, -1, None, False)\n"  # the arguments subprocess passes on Python 3.11
        "result = _posixsubprocess.fork_exec(*args)"),
    "ctypes fork": "import ctypes\nlibc = ctypes.CDLL(None)\nresult = libc.fork()\nassert result >= 0, result\n"
                   "if result == 0:\n    libc._exit(0)",
    "ctypes clone3": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                     "args = (ctypes.c_uint64 * 11)(0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0)\n"
                     "result = libc.syscall(435, ctypes.byref(args), 88)\nassert result >= 0, ctypes.get_errno()\n"
                     "if result == 0:\n    libc._exit(0)",
    "a daemon": "import os\nresult = os.fork()\nif result == 0:\n    os.setsid()\n    os._exit(0)",
}


@pytest.mark.parametrize("route", list(SPAWNS))
def test_no_route_starts_a_process_in_the_sandbox(start, route):
    said = outcome(start(), SPAWNS[route])
    assert not said.startswith("ok"), said


@pytest.mark.parametrize("route", list(SPAWNS))
def test_without_the_sandbox_the_neutered_hook_lets_a_process_start(start, route):
    said = outcome(start(sandboxed=False), SPAWNS[route])
    assert said.startswith("ok"), said  # the attack works where only in-process checks stand in its way


def test_threads_still_work_in_the_sandbox(start):
    said = outcome(start(), "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join()\nresult = 1")
    assert said == "ok: 1"


def test_the_course_package_and_the_grader_files_are_not_there(start, tmp_path):
    session = start()
    files = [PACKAGE / "numpy_ref" / "lstm.py", PACKAGE / "grading" / "judge.py", tmp_path / "runtime" / "child.py"]
    for path in files:
        said = outcome(session, f"result = open({str(path)!r}).read()[:20]")
        assert said.startswith("FileNotFoundError"), (path, said)
    # the reference by file path, under another module name
    said = outcome(session, "import importlib.util\n"
                            f"spec = importlib.util.spec_from_file_location('mine', {str(PACKAGE / 'numpy_ref' / 'rnn.py')!r})\n"
                            "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)\n"
                            "result = module")
    assert said.startswith("FileNotFoundError"), said
    said = outcome(session, "import lstm_course.numpy_ref.lstm as r\nresult = r")
    assert said.startswith("ModuleNotFoundError"), said


def test_the_grader_cannot_be_seen_signalled_or_read(start, monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_TEST_SECRET", "s3cr3t-token")
    session = start()
    pids = outcome(session, "import os\nresult = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())")
    assert pids in ("ok: [1, 2]", "ok: [1, 2, 3]"), pids  # bwrap's init, the student process (and its thread)
    environ = outcome(session, "result = [open(f'/proc/{p}/environ', 'rb').read() for p in (1, 2)]")
    assert "s3cr3t" not in environ and "LSTM_COURSE" not in environ, environ
    for pid in (os.getpid(), os.getppid(), 1):
        said = outcome(session, f"import os, signal\nos.kill({pid}, signal.SIGKILL)\nresult = 'sent'")
        assert session.process.alive
    assert os.environ["LSTM_COURSE_TEST_SECRET"] == "s3cr3t-token"  # and this process is still here


def test_writes_are_confined_to_a_private_bounded_folder(start, tmp_path):
    session = start()
    target = tmp_path / "planted.txt"
    said = outcome(session, f"result = open({str(target)!r}, 'w').write('x')")
    assert not said.startswith("ok") and not target.exists(), said
    said = outcome(session, "import os\nblock = b'x' * (1 << 20)\nwith open('flood.bin', 'wb') as f:\n"
                            "    for _ in range(200):\n        f.write(block)\n        f.flush()\nresult = 'wrote 200 MB'")
    assert "No space left" in said or "File too large" in said or said.startswith("OSError"), said


def test_memory_is_limited_by_what_is_used_not_by_mapped_libraries(start):
    session = start()
    # Map PyTorch's largest library read-only until 3 GB of address space are mapped, as importing the CUDA
    # build of PyTorch does; a limit on address space (RLIMIT_AS) of 1 GB refuses that, RLIMIT_DATA does not.
    said = outcome(session, "import mmap, os, glob, torch\n"
                            "lib = max(glob.glob(os.path.join(os.path.dirname(torch.__file__), 'lib', '*.so*')), "
                            "key=os.path.getsize)\n"
                            "maps, size = [], 0\nwith open(lib, 'rb') as f:\n"
                            "    while size < 3 << 30:\n"
                            "        maps.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ, flags=mmap.MAP_PRIVATE))\n"
                            "        size += len(maps[-1])\nresult = size >> 20")
    assert said.startswith("ok") and int(said.split()[1]) >= 3 << 10, said
    said = outcome(session, "import numpy as np\nresult = np.ones(1 << 28).sum()")  # 2 GB used
    assert said.startswith("MemoryError"), said


def test_the_sandbox_reports_what_is_missing(monkeypatch):
    sandbox.problem.cache_clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        message = sandbox.problem()
    finally:
        sandbox.problem.cache_clear()
    assert "bubblewrap" in message and "apt-get install bubblewrap" in message and "--no-sandbox" in message


def test_the_sandbox_runs_here():
    assert sandbox.problem() is None


def test_every_student_process_gets_an_empty_working_folder(start):
    first, second = start(), start()
    assert outcome(first, "open('note.txt', 'w').write('first')\nimport os\nresult = os.listdir('.')") == \
        "ok: ['note.txt']"
    assert outcome(second, "import os\nresult = (os.getcwd(), os.listdir('.'), os.getuid())") == \
        "ok: ('/home/student', [], 65534)"


def test_student_code_runs_on_the_cpu(start):
    assert outcome(start(), "import torch\nresult = torch.cuda.is_available()") == "ok: False"


def test_arrays_sent_are_copies(start):
    session = start()
    assert session.execute("def zero(x):\n    x[...] = 0\n    return x.sum()", "answer") is None
    zero, _ = session.remote_name("zero")
    x = np.arange(4.0)
    assert zero(x) == 0
    np.testing.assert_array_equal(x, np.arange(4.0))
