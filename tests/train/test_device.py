"""Tests of lstm_course.train.device: the order of pick_device and moving batches."""

from __future__ import annotations

from collections import namedtuple

import pytest
import torch

from lstm_course.train import pick_device, to_device


@pytest.fixture
def machine(monkeypatch):
    """Set which accelerators this 'machine' has: machine(cuda=..., mps=...)."""

    def set_available(*, cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: int(cuda))
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_available


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_pick_device_prefers_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert pick_device() == torch.device(expected), f"with cuda={cuda}, mps={mps} expected {expected}"


def test_prefer_overrides_the_automatic_choice(machine):
    machine(cuda=True, mps=True)
    assert pick_device("cpu") == torch.device("cpu"), "prefer='cpu' must win over an available GPU"
    assert pick_device(torch.device("mps")) == torch.device("mps"), "prefer may be a torch.device"


def test_prefer_an_unavailable_device_is_an_error(machine):
    machine(cuda=False, mps=False)
    with pytest.raises(RuntimeError, match=r"cuda is not available here; available: cpu"):
        pick_device("cuda")


def test_prefer_a_missing_cuda_index_is_an_error(machine):
    machine(cuda=True, mps=False)
    with pytest.raises(RuntimeError, match=r"has 1 CUDA device\(s\); expected an index below 1"):
        pick_device("cuda:1")


@pytest.mark.parametrize("prefer", ["gpu", "xla", 3.5])
def test_prefer_not_a_device_is_an_error(prefer):
    with pytest.raises(ValueError, match="expected"):
        pick_device(prefer)


def test_to_device_moves_every_tensor_and_keeps_the_structure(device):
    Pair = namedtuple("Pair", "inputs targets")
    batch = {"pair": Pair(torch.zeros(2, 3), [torch.ones(2), 7]), "name": "b0"}
    moved = to_device(batch, torch.device(device))
    assert isinstance(moved["pair"], Pair), "a namedtuple must stay a namedtuple"
    assert moved["pair"].inputs.device.type == device, f"inputs: expected on {device}"
    assert moved["pair"].targets[0].device.type == device, f"nested list tensor: expected on {device}"
    assert moved["pair"].targets[1] == 7 and moved["name"] == "b0", "non-tensors must pass unchanged"
