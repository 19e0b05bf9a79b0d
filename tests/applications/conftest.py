"""Shared fixtures of the applications' tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def one_thread():
    """Train as the chapters do: on one thread, which models this small do not miss and which keeps them
    fast on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
