"""The batch contract: how ``fit`` and ``evaluate`` turn a batch into a loss.

By default a batch is an ``(inputs, targets)`` pair; every tensor in it is
moved to the device of the model's parameters, and the loss of the batch is
``loss_fn(model(inputs), targets)``. With ``TrainConfig(stateful=True)`` the
model is a stateful language model, ``model(inputs, state) -> (logits,
new_state)`` with logits (k, B, V) and targets (k, B), and the loss is
``loss_fn(logits.flatten(0, -2), targets.flatten())`` (see ``tbptt.py``).
Any other layout (several inputs, masks, a model that computes its own loss)
passes ``forward_fn(model, batch) -> loss`` instead of ``loss_fn``; the
batch reaches it already on the device.

The loss of an epoch is the mean of its batches' losses weighted by
``targets.numel()``: the mean over the whole data set for a loss with
``reduction="mean"`` even when the last batch is smaller. With
``forward_fn`` every batch weighs the same.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

import torch

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
ForwardFn = Callable[[torch.nn.Module, Any], torch.Tensor]


class BatchResult(NamedTuple):
    """One batch's loss, with what the metrics and the next batch need."""

    loss: torch.Tensor  # () the batch's loss, still attached to the graph
    weight: int  # targets.numel(), or 1 with forward_fn
    outputs: Optional[torch.Tensor]  # what loss_fn received, for the metrics
    targets: Optional[torch.Tensor]
    state: Any  # the model's new state in stateful mode, else None


@dataclass(frozen=True)
class Objective:
    """How a batch becomes a loss: the batch contract of the module docstring."""

    loss_fn: Optional[LossFn]
    forward_fn: Optional[ForwardFn]
    stateful: bool

    def __post_init__(self) -> None:
        if (self.loss_fn is None) == (self.forward_fn is None):
            raise ValueError(
                "pass exactly one of loss_fn (batches are (inputs, targets) pairs) and "
                "forward_fn (forward_fn(model, batch) -> loss for any other batch)"
            )
        if self.forward_fn is not None and self.stateful:
            raise ValueError("stateful=True calls model(inputs, state) itself; expected loss_fn, not forward_fn")
        for name in ("loss_fn", "forward_fn"):
            fn = getattr(self, name)
            if fn is not None and not callable(fn):
                raise ValueError(f"{name} must be callable; got {fn!r}")

    def __call__(self, model: torch.nn.Module, batch: Any, state: Any) -> BatchResult:
        if self.forward_fn is not None:
            return BatchResult(check_loss(self.forward_fn(model, batch), "forward_fn"), 1, None, None, None)
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            got = type(batch).__name__
            if isinstance(batch, (tuple, list)):
                got = f"a {got} of length {len(batch)}"
            raise ValueError(
                f"expected each batch to be an (inputs, targets) pair; got {got}. "
                "Pass forward_fn(model, batch) -> loss for other batch layouts"
            )
        inputs, targets = batch
        if self.stateful:
            out = model(inputs, state)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ValueError(
                    f"with stateful=True the model must return (logits, new_state); got {type(out).__name__}"
                )
            logits, state = out
            outputs, targets = logits.flatten(0, -2), targets.flatten()  # (k*B, V), (k*B,)
        else:
            outputs = model(inputs)
        loss = check_loss(self.loss_fn(outputs, targets), "loss_fn")
        weight = targets.numel() if isinstance(targets, torch.Tensor) else 1
        return BatchResult(loss, weight, outputs, targets, state)


def check_loss(loss: Any, source: str) -> torch.Tensor:
    """``loss`` if it is a scalar tensor; otherwise an error naming ``source``."""
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"{source} must return a scalar tensor (a reduced loss, e.g. reduction='mean'); got {got}")
    return loss


def autocast(amp: bool):
    """float16 autocast on CUDA when ``amp`` is on, else a context that changes nothing."""
    return torch.autocast("cuda", dtype=torch.float16) if amp else contextlib.nullcontext()


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters of ``model`` that require grad; an error if there are none."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(
            f"{type(model).__name__} has no trainable parameters; expected a module with at least one "
            "parameter that requires grad"
        )
    return params
