"""Tests of lstm_course.train.seed: seeding and saving/restoring every generator."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from lstm_course.train import capture_rng_state, restore_rng_state, seed_everything


def _draws() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_same_seed_same_draws_from_every_generator():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    assert _draws() == first, "python, numpy and torch: expected the same draws after the same seed"
    seed_everything(124)
    assert all(a != b for a, b in zip(_draws(), first)), "a different seed must change every generator"


def test_returned_generator_is_seeded_like_torch():
    g = seed_everything(7)
    assert isinstance(g, torch.Generator)
    assert torch.equal(torch.rand(5, generator=g), torch.rand(5)), "expected the generator to start where torch does"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "0", True])
def test_bad_seed_is_an_error(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        seed_everything(seed)


def test_deterministic_switches_torch_to_deterministic_algorithms(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)  # restored after the test
    before = torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark
    try:
        torch.use_deterministic_algorithms(False)
        seed_everything(0)
        assert not torch.are_deterministic_algorithms_enabled(), "deterministic=False must leave the setting alone"
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled(), "deterministic=True must switch them on"
        assert os.environ.get("CUBLAS_WORKSPACE_CONFIG") == ":4096:8", "expected the cuBLAS workspace setting"
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.backends.cudnn.benchmark = before[1]


def test_restore_rng_state_replays_the_same_draws():
    seed_everything(5)
    _draws()
    state = capture_rng_state()
    expected = [_draws() for _ in range(3)]
    seed_everything(99)  # move every generator elsewhere
    restore_rng_state(state)
    assert [_draws() for _ in range(3)] == expected, "expected the draws that followed the capture"


def test_rng_state_survives_a_weights_only_round_trip(tmp_path):
    state = capture_rng_state()
    torch.save(state, tmp_path / "rng.pt")
    loaded = torch.load(tmp_path / "rng.pt", weights_only=True)
    expected = _draws()
    restore_rng_state(loaded)
    assert _draws() == expected, "a state read back with weights_only=True must restore the same draws"
