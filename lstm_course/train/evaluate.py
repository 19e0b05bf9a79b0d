"""Evaluation: the mean loss and metrics of a model over batches, without gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Mapping, Optional, Union

import torch

from .device import to_device
from .objective import ForwardFn, LossFn, Objective, autocast, trainable_parameters

Metric = Callable[[torch.Tensor, torch.Tensor], Union[torch.Tensor, float]]


def weighted_mean(values: list, weights: list) -> float:
    """The mean of ``values`` (floats or scalar tensors) weighted by ``weights``."""
    # Called once per epoch on the collected losses, not once per batch:
    # float() of a CUDA tensor waits for the GPU, which would stall every step.
    return sum(float(value) * weight for value, weight in zip(values, weights)) / sum(weights)


def evaluate_batches(
    model: torch.nn.Module,
    batches: Iterable,
    objective: Objective,
    metrics: Mapping[str, Metric],
    device: torch.device,
    amp: bool,
) -> tuple[float, dict[str, float]]:
    """Mean loss and metrics over ``batches``, in eval mode and without gradients."""
    model.eval()
    state, losses, weights = None, [], []
    values = {name: [] for name in metrics}
    with torch.no_grad():
        for batch in batches:
            batch = to_device(batch, device)
            with autocast(amp):
                result = objective(model, batch, state)
            state = result.state
            losses.append(result.loss)
            weights.append(result.weight)
            for name, metric in metrics.items():
                values[name].append(metric(result.outputs, result.targets))
    if not losses:
        raise ValueError("the validation batches yielded no batch; expected at least one")
    return weighted_mean(losses, weights), {name: weighted_mean(v, weights) for name, v in values.items()}


def check_metrics(metrics: Optional[Mapping[str, Metric]], forward_fn: Optional[ForwardFn]) -> dict[str, Metric]:
    """``metrics`` as a dict, checked: named functions of (outputs, targets), and no forward_fn."""
    metrics = dict(metrics or {})
    if metrics and forward_fn is not None:
        raise ValueError("metrics receive (outputs, targets) and need loss_fn; with forward_fn compute them there")
    for name, metric in metrics.items():
        if not isinstance(name, str) or name == "loss" or not callable(metric):
            raise ValueError(
                "metrics must map names other than 'loss' to functions (outputs, targets) -> value; "
                f"got {name!r}: {metric!r}"
            )
    return metrics


def evaluate(
    model: torch.nn.Module,
    batches: Iterable,
    *,
    loss_fn: Optional[LossFn] = None,
    forward_fn: Optional[ForwardFn] = None,
    metrics: Optional[Mapping[str, Metric]] = None,
    stateful: bool = False,
) -> dict[str, float]:
    """The mean loss and metrics of ``model`` on ``batches``, as ``fit`` computes them for validation.

    Args:
        model: on the device the batches should go to.
        batches: batches in the contract of ``objective.py``.
        loss_fn, forward_fn, stateful: as for :func:`~lstm_course.train.fit`.
        metrics: ``{name: metric(outputs, targets) -> value}``, each averaged
            over the batches like the loss.

    Returns:
        ``{"loss": mean loss, name: mean metric, ...}``. The model is left in eval mode.
    """
    trainable_parameters(model)
    device = next(model.parameters()).device
    objective = Objective(loss_fn, forward_fn, stateful)
    metrics = check_metrics(metrics, forward_fn)
    loss, values = evaluate_batches(model, batches, objective, metrics, device, amp=False)
    return {"loss": loss, **values}
