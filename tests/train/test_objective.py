"""Tests of lstm_course.train.objective: the batch contract."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_course.train.objective import Objective, autocast, trainable_parameters

from .toys import TinyLanguageModel


def test_pair_batch_gives_the_loss_and_its_weight():
    model = nn.Linear(3, 2)
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    result = Objective(nn.MSELoss(), None, stateful=False)(model, (x, y), None)
    torch.testing.assert_close(result.loss, nn.MSELoss()(model(x), y))
    assert result.weight == 10, "expected weight targets.numel() = 5 * 2"
    assert result.state is None


def test_stateful_batch_flattens_time_and_batch_and_returns_the_state():
    model = TinyLanguageModel(vocab=7)
    x, y = torch.randint(0, 7, (4, 3)), torch.randint(0, 7, (4, 3))  # (k, B)
    result = Objective(nn.CrossEntropyLoss(), None, stateful=True)(model, (x, y), None)
    assert result.outputs.shape == (12, 7) and result.targets.shape == (12,), "expected (k*B, V) and (k*B,)"
    assert result.weight == 12
    h, c = result.state
    assert h.shape == c.shape == (1, 3, 5), "expected the LSTM's (h, c), each (1, B, H)"


def test_forward_fn_batches_weigh_one():
    model = nn.Linear(3, 1)
    batch = {"x": torch.randn(4, 3)}
    result = Objective(None, lambda m, b: m(b["x"]).pow(2).mean(), stateful=False)(model, batch, None)
    assert result.weight == 1 and result.outputs is None


@pytest.mark.parametrize(
    ("loss_fn", "forward_fn", "stateful", "message"),
    [
        (None, None, False, r"pass exactly one of loss_fn"),
        (nn.MSELoss(), lambda m, b: 0, False, r"pass exactly one of loss_fn"),
        (None, lambda m, b: 0, True, r"stateful=True calls model\(inputs, state\) itself; expected loss_fn"),
        ("mse", None, False, r"loss_fn must be callable; got 'mse'"),
    ],
)
def test_inconsistent_objectives_are_errors(loss_fn, forward_fn, stateful, message):
    with pytest.raises(ValueError, match=message):
        Objective(loss_fn, forward_fn, stateful)


def test_forward_fn_must_return_a_scalar_tensor():
    objective = Objective(None, lambda m, b: 0.5, stateful=False)
    with pytest.raises(ValueError, match=r"forward_fn must return a scalar tensor .*got float"):
        objective(nn.Linear(1, 1), None, None)


def test_autocast_off_changes_nothing():
    with autocast(False):
        assert not torch.is_autocast_enabled()


def test_trainable_parameters_skips_frozen_ones():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model[0].requires_grad_(False)
    assert trainable_parameters(model) == list(model[1].parameters())
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got function"):
        trainable_parameters(lambda x: x)
