"""The sandbox around a student process: bubblewrap, a seccomp filter, and kernel resource limits.

Why bubblewrap (``bwrap``): it is the sandbox Flatpak confines desktop
applications with, small and audited, packaged by every Linux distribution
(Debian/Ubuntu: ``bubblewrap``), it needs no daemon and no root (it uses
unprivileged user namespaces), and it starts a process in a few hundredths of
a second, so one fresh sandbox per submission stays cheap. Docker, which
otter-grader uses, needs a daemon and root-equivalent rights on the
instructor's machine; nsjail does the same job as bwrap but is not packaged
by Debian. The seccomp filter is compiled by libseccomp (through
``pyseccomp``), the library systemd, Docker and Flatpak use for theirs.

Each student process runs

- in new user, PID, network, IPC, UTS and cgroup namespaces, as uid and gid
  65534 with no capabilities and no way to make further user namespaces; it
  sees only its own processes, has no network, and gets a new session (no
  terminal to inject keystrokes into);
- in a file system that holds only the Python installation the grader runs
  (interpreter, standard library, site-packages with the course's own
  package masked by an empty folder), the system libraries under ``/usr``,
  the two files of its side of the protocol (``child.py``, ``wire.py``) and a
  private, empty working folder of ``DISK_MB`` MB; the course's code, the
  source notebooks, other submissions and the output folder are not there;
- with an empty environment but for a few variables (``environment``);
- under a seccomp filter that refuses every new process (``fork``, ``vfork``,
  a ``clone`` that is not a thread, ``clone3``), ``ptrace`` and the other
  system calls listed in ``_REFUSED``;
- under hard resource limits set before ``bwrap`` starts: memory used
  (``RLIMIT_DATA``: heap and private mappings; unlike an address-space limit
  it admits the CUDA build of PyTorch, which maps about 3 GB of libraries),
  CPU time, file size, open files and no core dumps;
- tied to the grader: ``--die-with-parent``, and killing ``bwrap`` ends the
  PID namespace and everything in it.
"""

from __future__ import annotations

import errno
import functools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["DISK_MB", "SandboxUnavailable", "WORKDIR", "command", "environment", "interpreter", "problem",
           "resource_limits", "seccomp_filter"]

WORKDIR = "/home/student"  # the student process's working folder inside the sandbox
RUNTIME = "/opt/grader"  # where child.py and wire.py are, inside the sandbox
DISK_MB = 64  # size of the working folder (a tmpfs)
FILE_SIZE_LIMIT = 64 << 20  # bytes; the largest file student code may write
OPEN_FILES_LIMIT = 256
UID = 65534  # "nobody"

_CLONE_THREAD = 0x00010000
_REFUSED = ("fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount",
            "umount2", "pivot_root", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
            "io_uring_setup", "kexec_load", "init_module", "finit_module", "reboot", "swapon", "acct")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message says why and how to fix it."""


def resource_limits(memory_mb: int, cpu_s: int):
    """A ``preexec_fn`` that sets the hard limits of the process about to start (and of all it runs)."""
    limits = [(resource.RLIMIT_DATA, memory_mb << 20), (resource.RLIMIT_CPU, cpu_s),
              (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT), (resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT),
              (resource.RLIMIT_CORE, 0)]

    def apply() -> None:
        for limit, value in limits:
            soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value))  # hard too: the student's code cannot raise it back

    return apply


def environment(home: str) -> dict:
    """The whole environment of a student process: nothing of the grader's but what Python needs."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "MPLCONFIGDIR": home, "MPLBACKEND": "Agg",
           "PYTHONHASHSEED": "0", "LANG": "C.UTF-8", "CUDA_VISIBLE_DEVICES": ""}  # student code runs on the CPU
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = "1"  # one core per submission: -j runs several at once
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # set on some processors for a correct OpenBLAS
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@functools.lru_cache(maxsize=1)
def seccomp_filter() -> bytes:
    """The compiled seccomp program (BPF) that refuses new processes and the calls of ``_REFUSED``."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError) as error:  # RuntimeError: pyseccomp found no libseccomp
        raise SandboxUnavailable(f"libseccomp is not available ({error}): install the pyseccomp package and "
                                 "the system library (Debian/Ubuntu: sudo apt-get install libseccomp2)") from None
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in _REFUSED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            pass  # a call this architecture does not have (fork and vfork on arm64)
    rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # its flags are out of reach: the C library falls back
    with tempfile.TemporaryFile() as file:
        rules.export_bpf(file)
        file.seek(0)
        return file.read()


def _filter_fd() -> int:
    """A new, inheritable file descriptor from which bwrap reads the seccomp program."""
    fd = os.memfd_create("lstm-course-seccomp", 0)
    os.write(fd, seccomp_filter())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def interpreter() -> str:
    """The path of this Python inside the sandbox, where only the real paths of its prefixes exist."""
    executable = os.path.abspath(sys.executable)
    for prefix in (sys.prefix, sys.base_prefix):
        if executable.startswith(os.path.abspath(prefix) + os.sep):  # a virtual environment's bin/python
            return os.path.join(os.path.realpath(prefix), os.path.relpath(executable, os.path.abspath(prefix)))
    return os.path.realpath(executable)


def _python_mounts() -> list:
    """bwrap arguments that show the Python installation read-only, without the course's package."""
    args, seen = [], set()
    for prefix in sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}):
        if not any(prefix == s or prefix.startswith(s + os.sep) for s in seen):
            args += ["--ro-bind", prefix, prefix]
            seen.add(prefix)
    package = Path(__file__).resolve().parents[1]  # lstm_course/
    if any(str(package).startswith(s + os.sep) for s in seen):
        args += ["--tmpfs", str(package)]  # installed into site-packages: hide it behind an empty folder
    return args


def _system_mounts() -> list:
    args = ["--ro-bind", "/usr", "/usr"]
    for path in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def command(runtime: Path, argv: list, *, bwrap: str = "bwrap") -> tuple[list, int]:
    """The command that runs ``argv`` (a Python command line) in a new sandbox, and the filter's descriptor.

    ``runtime`` is the folder that holds ``child.py`` and ``wire.py``; it is shown at ``RUNTIME``. The
    caller passes the returned descriptor to the new process (``pass_fds``) and closes it after the start.
    """
    fd = _filter_fd()
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(UID), "--gid", str(UID),
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv",
            *_system_mounts(), *_python_mounts(),
            "--ro-bind", str(runtime), RUNTIME, "--proc", "/proc", "--dev", "/dev",
            "--size", str(DISK_MB << 20), "--perms", "0700", "--tmpfs", WORKDIR, "--chdir", WORKDIR]
    for name, value in environment(WORKDIR).items():
        args += ["--setenv", name, value]
    return [*args, "--seccomp", str(fd), *argv], fd


@functools.lru_cache(maxsize=1)
def problem() -> str | None:
    """Why the sandbox cannot run here, with what to do about it; None when it works."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap (bwrap) is not installed. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap; "
                "Fedora: sudo dnf install bubblewrap), or pass --no-sandbox to grade without it")
    try:
        args, fd = command(Path(__file__).resolve().parent, [interpreter(), "-I", "-c", "import numpy"], bwrap=bwrap)
    except SandboxUnavailable as error:
        return f"{error}; or pass --no-sandbox to grade without the sandbox"
    try:
        result = subprocess.run(args, pass_fds=(fd,), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=60)
    finally:
        os.close(fd)
    if result.returncode == 0:
        return None
    said = result.stderr.strip()[-300:] or f"exit status {result.returncode}"
    hint = ""
    if any(word in said for word in ("namespace", "uid map", "Operation not permitted", "Permission denied")):
        hint = (" It needs unprivileged user namespaces: check `sysctl kernel.unprivileged_userns_clone` (Debian) "
                "and `sysctl kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 24.04), or run the grader in a "
                "container or VM that allows them.")
    return f"bubblewrap cannot start a sandbox here ({said}).{hint} Or pass --no-sandbox to grade without it"
