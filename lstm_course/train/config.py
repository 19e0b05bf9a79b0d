"""The settings of a training run, in one checked, immutable object.

:func:`lstm_course.train.fit` takes the objects of a run (model, data,
optimiser, loss) as arguments and every setting in a :class:`TrainConfig`,
so that a page of the book can show a run's settings in one place and reuse
them for a second run.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Optional, Union

import torch

SchedulerFactory = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_positive_int(name: str, value, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not _is_int(value) or value < 1:
        expected = "None or an integer >= 1" if optional else "an integer >= 1"
        raise ValueError(f"TrainConfig.{name} must be {expected}; got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`~lstm_course.train.fit`.

    Attributes:
        epochs: total number of epochs of the run, counting those before a
            resume (a run resumed after epoch 3 with ``epochs=10`` trains
            epochs 4 to 10).
        clip_grad_norm: None, or the largest global L2 norm of the gradient;
            larger gradients are scaled down to it with
            ``torch.nn.utils.clip_grad_norm_`` before each optimiser step.
            The norm before clipping is recorded either way.
        scheduler: None, or a function ``optimizer -> scheduler`` that
            builds a torch learning-rate scheduler, for instance
            ``functools.partial(torch.optim.lr_scheduler.StepLR, step_size=10)``.
            ``fit`` builds it on its optimiser, which is what lets a resumed
            run rebuild it and load its state.
        scheduler_step: ``"epoch"`` steps the scheduler after every epoch,
            ``"batch"`` after every optimiser step. ``ReduceLROnPlateau`` is
            stepped per epoch with the monitored value.
        monitor: the history column that decides the best epoch, early
            stopping and ``ReduceLROnPlateau``: ``"train_loss"``,
            ``"val_loss"`` or ``"val_<name>"`` for a metric passed to ``fit``.
            None means ``"val_loss"`` when there is validation data, else
            ``"train_loss"``.
        mode: ``"min"`` when a smaller monitored value is better, ``"max"``
            for metrics such as accuracy.
        min_delta: how much the monitored value must beat the best so far
            to count as an improvement.
        patience: None (no early stopping), or the number of epochs without
            improvement after which training stops. With patience set,
            ``fit`` ends with the weights of the best epoch.
        checkpoint_path: None, or a file that ``fit`` writes a checkpoint to
            every ``checkpoint_every`` epochs and after the last epoch,
            overwriting the previous one.
        checkpoint_every: epochs between two checkpoints.
        amp: mixed precision (float16 ``torch.autocast`` and a
            ``GradScaler``) when the model is on CUDA; ignored elsewhere.
        stateful: truncated back-propagation through time. The model is
            called as ``model(inputs, state) -> (logits, new_state)``, the
            state is carried from batch to batch, detached, and reset to
            None at the start of every epoch and of validation.
        progress: True or False to show a progress bar or not; ``"auto"``
            shows one only when stderr is an interactive terminal and the
            ``CI`` environment variable is unset, so that built pages and
            test logs stay free of it.
        log_every: None, or print a line with the epoch's losses (never its
            duration, so that printed output is reproducible) every
            ``log_every`` epochs and after the last one.
    """

    epochs: int
    clip_grad_norm: Optional[float] = None
    scheduler: Optional[SchedulerFactory] = None
    scheduler_step: Literal["epoch", "batch"] = "epoch"
    monitor: Optional[str] = None
    mode: Literal["min", "max"] = "min"
    min_delta: float = 0.0
    patience: Optional[int] = None
    checkpoint_path: Optional[Union[str, Path]] = None
    checkpoint_every: int = 1
    amp: bool = False
    stateful: bool = False
    progress: Union[bool, Literal["auto"]] = "auto"
    log_every: Optional[int] = None

    def __post_init__(self) -> None:
        _check_positive_int("epochs", self.epochs)
        _check_positive_int("patience", self.patience, optional=True)
        _check_positive_int("checkpoint_every", self.checkpoint_every)
        _check_positive_int("log_every", self.log_every, optional=True)
        clip = self.clip_grad_norm
        if clip is not None and (
            isinstance(clip, bool) or not isinstance(clip, (int, float)) or not math.isfinite(clip) or clip <= 0
        ):
            raise ValueError(f"TrainConfig.clip_grad_norm must be None or a finite number > 0; got {clip!r}")
        if isinstance(self.min_delta, bool) or not isinstance(self.min_delta, (int, float)) or not self.min_delta >= 0:
            raise ValueError(f"TrainConfig.min_delta must be a number >= 0; got {self.min_delta!r}")
        if self.scheduler is not None and not callable(self.scheduler):
            raise ValueError(
                "TrainConfig.scheduler must be None or a function optimizer -> scheduler, "
                f"such as functools.partial(StepLR, step_size=10); got {self.scheduler!r}"
            )
        for name, allowed in (("scheduler_step", ("epoch", "batch")), ("mode", ("min", "max"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"TrainConfig.{name} must be one of {allowed}; got {getattr(self, name)!r}")
        if self.progress not in (True, False, "auto") or not isinstance(self.progress, (bool, str)):
            raise ValueError(f"TrainConfig.progress must be True, False or 'auto'; got {self.progress!r}")
        for name in ("amp", "stateful"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"TrainConfig.{name} must be True or False; got {getattr(self, name)!r}")
        if self.checkpoint_path is not None and not isinstance(self.checkpoint_path, (str, os.PathLike)):
            raise ValueError(f"TrainConfig.checkpoint_path must be None or a file path; got {self.checkpoint_path!r}")
        if self.monitor is not None and not isinstance(self.monitor, str):
            raise ValueError(f"TrainConfig.monitor must be None or a history column name; got {self.monitor!r}")
