"""Run the kernels that execute the pages over IPC (Unix domain sockets) instead of TCP.

MyST-NB executes each page through jupyter-cache's ``single_nb_execution``,
which starts a kernel with nbclient's default kernel manager: TCP on
127.0.0.1. ipykernel 7.3 then logs "Kernel is running over TCP without
encryption ... susceptible to eavesdropping" once per executed page. The
message is right about TCP: any local user may connect to those ports. A Unix
socket in the user's Jupyter runtime folder (mode 0700) is not reachable by
other users, so the build switches the transport instead of hiding the message.

The sockets get absolute paths: jupyter_client's default for IPC,
``kernel-ipc`` relative to the current folder, would be resolved in the
build's folder by the client and in book/ by the kernel, which runs next to
its page. Windows has no IPC transport in jupyter_client; there the kernels
keep TCP, and the message.

``tests/book/test_local_kernels.py`` checks the transport and that a small
book builds without the message.
"""

import functools
import os
import uuid

from jupyter_client import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on Unix sockets in the user's runtime folder."""

    def _transport_default(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        folder = jupyter_runtime_dir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.path.join(folder, f"kernel-{uuid.uuid4()}-ipc")


def _on_ipc(single_nb_execution):
    @functools.wraps(single_nb_execution)
    def execute(*args, **kwargs):
        kwargs.setdefault("kernel_manager_class", IPCKernelManager)
        return single_nb_execution(*args, **kwargs)

    return execute


def setup(app):
    if os.name == "posix":
        # the two execution modes of MyST-NB that start a kernel per page: cache and force
        from myst_nb.core.execute import cache, direct

        for module in (cache, direct):
            if not hasattr(module.single_nb_execution, "__wrapped__"):  # once per process
                module.single_nb_execution = _on_ipc(module.single_nb_execution)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
