"""The training loop: :func:`fit` a model to batches, epoch after epoch.

What a batch is, and how it becomes a loss, is the batch contract of
``objective.py``; validation is ``evaluate.py``; this module adds the
optimiser steps, gradient clipping, mixed precision, the learning-rate
schedule, early stopping, checkpoints and the per-epoch records.

Reproducibility. Seed with :func:`~lstm_course.train.seed_everything`
before building the model. A run resumed from a checkpoint continues
exactly as the uninterrupted run would have, because the checkpoint
restores the random number generators; the order of the training data must
then come from them too. A ``DataLoader(shuffle=True)`` without a
``generator`` draws its order from torch's generator and needs nothing more.
Code that shuffles with a generator of its own passes ``train_batches`` as a
function of the epoch number (1 for the first) that seeds it, for instance
``lambda epoch: DataLoader(data, shuffle=True, generator=torch.Generator().manual_seed(epoch))``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence, Union

import torch
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .device import to_device
from .evaluate import Metric, check_metrics, evaluate_batches, weighted_mean
from .history import EpochRecord, History
from .objective import ForwardFn, LossFn, Objective, autocast, trainable_parameters
from .progress import progress_enabled
from .tbptt import detach_state

Batches = Union[Iterable, Callable[[int], Iterable]]


def _grad_norm(params: list[torch.nn.Parameter], max_norm: Optional[float]) -> torch.Tensor:
    """The global L2 norm of the gradients before clipping, and clip them if ``max_norm`` is set."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        raise ValueError("no parameter received a gradient; expected a loss computed from the model's outputs")
    if max_norm is not None:
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads]))


class _Run(NamedTuple):
    """The objects every step of one ``fit`` call uses."""

    model: torch.nn.Module
    params: list
    device: torch.device
    objective: Objective
    optimizer: torch.optim.Optimizer
    scheduler: Any  # a torch LR scheduler, or None
    scaler: Optional[torch.amp.GradScaler]  # None unless mixed precision is on
    config: TrainConfig

    @property
    def amp(self) -> bool:
        return self.scaler is not None


def _train_epoch(run: _Run, batches: Iterable, epoch: int) -> tuple[float, list]:
    """One pass over ``batches``; returns the mean loss and each step's gradient norm before clipping."""
    run.model.train()
    state, losses, weights, norms = None, [], [], []  # the state starts afresh every epoch
    for batch in batches:
        batch = to_device(batch, run.device)
        run.optimizer.zero_grad(set_to_none=True)
        with autocast(run.amp):
            result = run.objective(run.model, batch, state)
        if run.amp:
            run.scaler.scale(result.loss).backward()
            run.scaler.unscale_(run.optimizer)  # clip and measure true, not scaled, gradients
        else:
            result.loss.backward()
        norms.append(_grad_norm(run.params, run.config.clip_grad_norm))
        if run.amp:
            run.scaler.step(run.optimizer)  # skipped when the gradients overflowed
            run.scaler.update()
        else:
            run.optimizer.step()
        if run.scheduler is not None and run.config.scheduler_step == "batch":
            run.scheduler.step()
        state = detach_state(result.state)  # truncate: the next chunk's backward stops here
        losses.append(result.loss.detach())
        weights.append(result.weight)
    if not losses:
        raise ValueError(
            f"train_batches yielded no batch in epoch {epoch}; expected at least one. "
            "A function epoch -> batches must return a fresh collection each call"
        )
    return weighted_mean(losses, weights), norms


def _norm_summary(norms: list) -> tuple[Optional[float], Optional[float]]:
    # Steps that a GradScaler skipped have infinite norms; they change nothing and are left out.
    finite = [value for value in (float(n) for n in norms) if math.isfinite(value)]
    return (sum(finite) / len(finite), max(finite)) if finite else (None, None)


def _resolve_monitor(config: TrainConfig, has_val: bool, metric_names: Sequence[str]) -> str:
    available = ["train_loss"] + (["val_loss", *(f"val_{name}" for name in metric_names)] if has_val else [])
    monitor = config.monitor or ("val_loss" if has_val else "train_loss")
    if monitor not in available:
        hint = "" if has_val else " (the val_ columns need val_batches)"
        raise ValueError(
            f"TrainConfig.monitor={monitor!r} is not recorded by this run; expected one of {available}{hint}"
        )
    return monitor


def _check_batches(batches: Any, name: str, *, allow_function: bool) -> None:
    kinds = "a list, a DataLoader" + (" or a function epoch -> batches" if allow_function else "")
    if isinstance(batches, Iterator):
        raise ValueError(f"{name} is an iterator, which its first epoch uses up; expected {kinds}")
    if not (isinstance(batches, Iterable) or (allow_function and callable(batches))):
        raise ValueError(f"{name} must be {kinds}; got {type(batches).__name__}")


def _copy_weights(model: torch.nn.Module) -> dict:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def _run_epoch(
    run: _Run, train_batches: Batches, val_batches: Optional[Iterable], metrics: dict, epoch: int
) -> EpochRecord:
    """Train one epoch, validate, and return the epoch's record."""
    started = time.perf_counter()
    lr = run.optimizer.param_groups[0]["lr"]
    batches = train_batches(epoch) if callable(train_batches) else train_batches
    train_loss, norms = _train_epoch(run, batches, epoch)
    val_loss, val_metrics = None, {}
    if val_batches is not None:
        val_loss, val_metrics = evaluate_batches(run.model, val_batches, run.objective, metrics, run.device, run.amp)
    grad_norm, grad_norm_max = _norm_summary(norms)
    return EpochRecord(
        epoch,
        train_loss=train_loss,
        lr=lr,
        seconds=time.perf_counter() - started,
        grad_norm=grad_norm,
        grad_norm_max=grad_norm_max,
        val_loss=val_loss,
        val_metrics=val_metrics,
    )


def _resume(path: Union[str, Path], run: _Run, monitor: str) -> tuple[History, Optional[dict]]:
    """Load a checkpoint into the run's objects; return its history and the best weights it kept."""
    checkpoint = load_checkpoint(
        path, model=run.model, optimizer=run.optimizer, scheduler=run.scheduler, scaler=run.scaler
    )
    config = run.config
    if checkpoint.epoch > config.epochs:
        raise ValueError(
            f"'{path}' was written after epoch {checkpoint.epoch} but config.epochs={config.epochs}; "
            f"expected epochs >= {checkpoint.epoch} (the total of the run, not the epochs still to train)"
        )
    history = checkpoint.history
    history.monitor, history.mode, history.min_delta = monitor, config.mode, config.min_delta
    return history, checkpoint.extra.get("best_weights")


def fit(
    model: torch.nn.Module,
    train_batches: Batches,
    *,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    loss_fn: Optional[LossFn] = None,
    forward_fn: Optional[ForwardFn] = None,
    val_batches: Optional[Iterable] = None,
    metrics: Optional[Mapping[str, Metric]] = None,
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    resume_from: Optional[Union[str, Path]] = None,
) -> History:
    """Train ``model`` for ``config.epochs`` epochs and return what happened each epoch.

    Args:
        model: any ``torch.nn.Module``, already on its device (see
            :func:`~lstm_course.train.pick_device`); batches follow it there.
        train_batches: a re-iterable collection of batches (a list, a
            ``DataLoader``, :func:`~lstm_course.train.tbptt_batches`), or a
            function ``epoch -> batches`` (epoch 1 first). See the module
            docstring for what a batch is.
        optimizer: a torch optimiser over the model's parameters.
        config: every setting of the run (:class:`TrainConfig`).
        loss_fn: ``loss_fn(outputs, targets) -> scalar loss``, such as
            ``torch.nn.CrossEntropyLoss()``; or else
        forward_fn: ``forward_fn(model, batch) -> scalar loss`` for batches
            that are not ``(inputs, targets)`` pairs.
        val_batches: batches to compute ``val_loss`` and the metrics on
            after every epoch, in eval mode and without gradients.
        metrics: ``{name: metric(outputs, targets) -> value}``, computed on
            ``val_batches`` and recorded as ``val_<name>``.
        callbacks: functions called with each epoch's :class:`EpochRecord`.
        resume_from: a checkpoint written by an earlier ``fit`` of the same
            run; training continues after its last epoch up to
            ``config.epochs`` as if it had never stopped. The model and the
            optimiser passed receive its state.

    Returns:
        The :class:`History`; with ``config.patience`` set the model ends
        with the weights of ``history.best_epoch``. The model is left in the
        train or eval mode it was in.

    Raises:
        ValueError: for inconsistent arguments and empty data, naming what was expected.
        FileNotFoundError: ``resume_from`` names no file.

    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(32, 3); y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    >>> model = torch.nn.Linear(3, 1)
    >>> history = fit(model, [(x, y)], loss_fn=torch.nn.MSELoss(),
    ...               optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
    ...               config=TrainConfig(epochs=100))
    >>> history[-1].train_loss < 1e-3 * history[0].train_loss
    True
    """
    params = trainable_parameters(model)
    device = params[0].device
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    _check_batches(train_batches, "train_batches", allow_function=True)
    if val_batches is not None:
        _check_batches(val_batches, "val_batches", allow_function=False)
    objective = Objective(loss_fn, forward_fn, config.stateful)
    metrics = check_metrics(metrics, forward_fn)
    if metrics and val_batches is None:
        raise ValueError("metrics are computed on val_batches; expected val_batches as well")
    if not all(callable(callback) for callback in callbacks):
        raise ValueError(f"callbacks must be functions of an EpochRecord; got {list(callbacks)!r}")
    monitor = _resolve_monitor(config, val_batches is not None, list(metrics))

    # Mixed precision only where it pays off and GradScaler works: CUDA. Elsewhere amp=True changes nothing.
    scaler = torch.amp.GradScaler("cuda") if config.amp and device.type == "cuda" else None
    scheduler = config.scheduler(optimizer) if config.scheduler is not None else None
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and config.scheduler_step == "batch":
        raise ValueError(
            "ReduceLROnPlateau follows the monitored value once per epoch; expected scheduler_step='epoch'"
        )
    run = _Run(model, params, device, objective, optimizer, scheduler, scaler, config)

    if resume_from is not None:
        history, best_weights = _resume(resume_from, run, monitor)
    else:
        history, best_weights = History(monitor=monitor, mode=config.mode, min_delta=config.min_delta), None

    was_training = model.training
    bar = tqdm(
        total=config.epochs,
        initial=len(history),
        disable=not progress_enabled(config.progress),
        file=sys.stderr,
        desc="training",
        unit="epoch",
    )
    with bar:
        while len(history) < config.epochs and not history.stopped_early:
            epoch = len(history) + 1
            record = _run_epoch(run, train_batches, val_batches, metrics, epoch)
            history.append(record)

            if config.patience is not None:
                if history.best_epoch == epoch:
                    best_weights = _copy_weights(model)
                history.stopped_early = history.epochs_since_best >= config.patience
            if plateau:
                scheduler.step(record.value(monitor))
            elif scheduler is not None and config.scheduler_step == "epoch":
                scheduler.step()
            last = epoch == config.epochs or history.stopped_early
            if config.checkpoint_path is not None and (epoch % config.checkpoint_every == 0 or last):
                save_checkpoint(
                    config.checkpoint_path,
                    model=model,
                    epoch=epoch,
                    history=history,
                    optimizer=optimizer,
                    scheduler=scheduler,
                    scaler=scaler,
                    extra={} if best_weights is None else {"best_weights": best_weights},
                )
            for callback in callbacks:
                callback(record)
            if config.log_every is not None and (epoch % config.log_every == 0 or last):
                tqdm.write(str(record))  # above the bar, when there is one
            bar.set_postfix_str(str(record))
            bar.update()

    if history.stopped_early and config.log_every is not None:
        tqdm.write(
            f"stopped early after epoch {len(history)}: {monitor} did not improve for {config.patience} epochs; "
            f"best epoch {history.best_epoch}"
        )
    if config.patience is not None and best_weights is not None:
        model.load_state_dict(best_weights)
    model.train(was_training)
    return history
