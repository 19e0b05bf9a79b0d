"""Fixtures shared by the whole test suite."""

import os

import pytest
import torch

# tests/site checks the built book: `make site` runs it after the strict build and
# names the site in LSTM_COURSE_SITE. Before a build there is nothing to check.
collect_ignore = [] if os.environ.get("LSTM_COURSE_SITE") else ["site"]

# Tests that take ``device`` run on the CPU, and on every accelerator present.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """A torch device name; the test runs once per available device."""
    return request.param
