"""The book's pages execute in kernels reached over Unix sockets, and the build says nothing alarming.

ipykernel logs "Kernel is running over TCP without encryption" for every
kernel started over TCP; book/_ext/local_kernels.py starts them over IPC.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import local_kernels  # noqa: E402

pytestmark = pytest.mark.skipif(os.name != "posix", reason="jupyter_client has no IPC transport on Windows")


def test_the_kernel_manager_uses_ipc_with_absolute_socket_paths():
    """A relative path would be resolved in one folder by the client and in another by the kernel."""
    first, second = local_kernels.IPCKernelManager(), local_kernels.IPCKernelManager()
    assert first.transport == "ipc"
    assert os.path.isabs(first.ip) and first.ip != second.ip


def test_the_book_config_loads_the_extension():
    config = (ROOT / "_config.yml").read_text()
    assert "local_kernels: book/_ext" in config


PAGE = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Page {n}

```{{code-cell}} ipython3
print("answer", 6 * {n})
```
"""


@pytest.mark.timeout(180)
def test_a_two_page_book_builds_over_ipc_without_a_warning(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(textwrap.dedent(f"""\
        title: Two pages
        only_build_toc_files: true
        execute:
          execute_notebooks: cache
          timeout: 60
          raise_on_error: true
          run_in_temp: false
        sphinx:
          local_extensions:
            local_kernels: {ROOT / "book" / "_ext"}
        """))
    (book / "_toc.yml").write_text("format: jb-book\nroot: one\nchapters:\n  - file: two\n")
    for n, name in ((1, "one"), (2, "two")):
        (book / f"{name}.md").write_text(PAGE.format(n=n))
    build = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book), "-W", "-n",
                            "--keep-going"], capture_output=True, text=True, timeout=170,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    output = build.stdout + build.stderr
    assert build.returncode == 0, output
    assert "Executed notebook" in output, "the pages were not executed"
    assert "eavesdropping" not in output and "WARNING" not in output, output
    html = (book / "_build" / "html" / "two.html").read_text()
    assert "answer 12" in html
    assert not list(book.glob("kernel-*")), "socket files were left next to the pages"
