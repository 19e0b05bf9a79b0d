"""Tests of lstm_course.train.config: TrainConfig rejects bad settings, naming what it expected."""

from __future__ import annotations

import functools

import pytest
import torch

from lstm_course.train import TrainConfig


def test_defaults_are_valid():
    config = TrainConfig(epochs=1)
    assert config.progress == "auto" and config.clip_grad_norm is None and config.patience is None


def test_config_is_immutable():
    config = TrainConfig(epochs=3)
    with pytest.raises(AttributeError):
        config.epochs = 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, r"epochs must be an integer >= 1; got 0"),
        ({"epochs": -2}, r"epochs must be an integer >= 1; got -2"),
        ({"epochs": 2.0}, r"epochs must be an integer >= 1; got 2.0"),
        ({"epochs": True}, r"epochs must be an integer >= 1; got True"),
        ({"clip_grad_norm": 0.0}, r"clip_grad_norm must be None or a finite number > 0; got 0.0"),
        ({"clip_grad_norm": -1.0}, r"clip_grad_norm must be None or a finite number > 0; got -1.0"),
        ({"clip_grad_norm": float("inf")}, r"clip_grad_norm must be None or a finite number > 0; got inf"),
        ({"patience": 0}, r"patience must be None or an integer >= 1; got 0"),
        ({"checkpoint_every": 0}, r"checkpoint_every must be an integer >= 1; got 0"),
        ({"log_every": 0}, r"log_every must be None or an integer >= 1; got 0"),
        ({"min_delta": -0.1}, r"min_delta must be a number >= 0; got -0.1"),
        ({"mode": "max_"}, r"mode must be one of \('min', 'max'\); got 'max_'"),
        ({"scheduler_step": "step"}, r"scheduler_step must be one of \('epoch', 'batch'\); got 'step'"),
        ({"progress": "yes"}, r"progress must be True, False or 'auto'; got 'yes'"),
        ({"progress": 1}, r"progress must be True, False or 'auto'; got 1"),
        ({"amp": 1}, r"amp must be True or False; got 1"),
        ({"scheduler": "StepLR"}, r"scheduler must be None or a function optimizer -> scheduler"),
        ({"checkpoint_path": 3}, r"checkpoint_path must be None or a file path; got 3"),
    ],
)
def test_bad_settings_are_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{"epochs": 1, **settings})


def test_scheduler_is_a_factory():
    config = TrainConfig(epochs=1, scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=2))
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    assert isinstance(config.scheduler(optimizer), torch.optim.lr_scheduler.StepLR)
