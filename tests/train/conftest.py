"""Fixtures of the training tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """Run each test's torch CPU work on one thread.

    The test models are tiny: splitting their operations across threads costs
    more than it saves, and on a busy machine a parallel region waits for
    every thread to be scheduled, which made a 60-epoch test ten times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
