"""Fixtures shared by the whole test suite."""

import pytest
import torch

# Tests that take ``device`` run on the CPU, and on every accelerator present.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """A torch device name; the test runs once per available device."""
    return request.param
