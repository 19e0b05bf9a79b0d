"""When to draw a progress bar.

The book's pages are executed when the book is built and their outputs
compared on every build, so a progress bar (whose text holds timings) must
never reach them. ``progress="auto"`` therefore draws one only for a person
at a terminal: stderr is an interactive terminal, and the ``CI`` environment
variable, which CI services set, is unset or empty. In Jupyter stderr is not
a terminal, so a notebook asks for a bar with ``progress=True``.
"""

from __future__ import annotations

import os
import sys
from typing import Literal, Union


def progress_enabled(progress: Union[bool, Literal["auto"]]) -> bool:
    """Whether to draw a progress bar for the setting ``progress``.

    Args:
        progress: True, False, or ``"auto"`` (see the module docstring).

    >>> progress_enabled(False)
    False
    """
    if progress == "auto":
        # stderr is None under pythonw, and some notebook wrappers lack isatty.
        is_terminal = sys.stderr is not None and getattr(sys.stderr, "isatty", lambda: False)()
        return bool(is_terminal) and not os.environ.get("CI")
    if isinstance(progress, bool):
        return progress
    raise ValueError(f"progress must be True, False or 'auto'; got {progress!r}")
