"""Saving a training run to a file and resuming it exactly.

A checkpoint holds everything the next epoch depends on: the model's
weights, the optimiser's state (Adam's moment estimates, the learning rate
of every group), the scheduler's and the gradient scaler's state, the
history so far, and the states of all random number generators (so that
dropout masks and shuffling continue as if the run had never stopped).
:func:`lstm_course.train.fit` writes one with ``TrainConfig(checkpoint_path=...)``
and continues from one with ``fit(..., resume_from=path)``.

The file is read back with ``torch.load(weights_only=True)``, which
unpickles only tensors and plain Python values, so loading a checkpoint
cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Optional, Union

import torch

from .history import History
from .seed import capture_rng_state, restore_rng_state

# Bumped when the layout of the saved dict changes.
FORMAT_VERSION = 1
_STATEFUL = ("optimizer", "scheduler", "scaler")


class Checkpoint(NamedTuple):
    """What :func:`load_checkpoint` returns besides the states it loads in place."""

    epoch: int  # epochs completed when the checkpoint was written
    history: History
    extra: dict  # whatever the writer passed as ``extra``


def save_checkpoint(
    path: Union[str, Path],
    *,
    model: torch.nn.Module,
    epoch: int,
    history: History,
    optimizer: Optional[torch.optim.Optimizer] = None,
    scheduler=None,
    scaler: Optional[torch.amp.GradScaler] = None,
    extra: Optional[dict] = None,
) -> Path:
    """Write a checkpoint, with the RNG states of this moment, to ``path``.

    Args:
        path: the file; its folder is created if needed, and an existing
            file is replaced only once the new one is completely written.
        model: its ``state_dict`` is saved.
        epoch: the number of epochs completed.
        history: the records so far.
        optimizer, scheduler, scaler: their ``state_dict`` is saved when given.
        extra: further tensors and plain values to save (``fit`` keeps the
            best weights of early stopping here).

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    payload = {
        "format": FORMAT_VERSION,
        "epoch": epoch,
        "model": model.state_dict(),
        "history": history.state_dict(),
        "rng": capture_rng_state(),
        "extra": extra or {},
    }
    for name, obj in zip(_STATEFUL, (optimizer, scheduler, scaler)):
        if obj is not None:
            payload[name] = obj.state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: an interrupted save leaves the previous checkpoint intact.
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return path


def load_checkpoint(
    path: Union[str, Path],
    *,
    model: torch.nn.Module,
    optimizer: Optional[torch.optim.Optimizer] = None,
    scheduler=None,
    scaler: Optional[torch.amp.GradScaler] = None,
    restore_rng: bool = True,
    strict: bool = True,
) -> Checkpoint:
    """Load a checkpoint into ``model`` and the other objects given, in place.

    Build the scheduler on the optimiser before calling: the optimiser's
    state is loaded first and the scheduler's after it, so that the
    learning rates are the checkpoint's and not the scheduler's initial ones.

    Args:
        path: a file written by :func:`save_checkpoint`.
        model: receives the saved weights, on whatever device it is.
        optimizer, scheduler, scaler: receive their saved states when given.
        restore_rng: put every random number generator back in its saved state.
        strict: require that the optimiser, scheduler and scaler given are
            exactly those whose states were saved, which resuming a run
            needs; False loads what is both given and saved (for instance
            the weights alone, for evaluation).

    Returns:
        A :class:`Checkpoint` with the epoch, the history and ``extra``.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        ValueError: the file is not such a checkpoint, or (``strict``) the
            objects given do not match the states saved.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at '{path}'; expected a file written by save_checkpoint")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"'{path}' is not a checkpoint of format {FORMAT_VERSION} written by save_checkpoint; "
            f"found format {found!r}"
        )
    given = dict(zip(_STATEFUL, (optimizer, scheduler, scaler)))
    if strict:
        for name, obj in given.items():
            if (obj is not None) != (name in payload):
                what = "holds no" if obj is not None else "holds a"
                need = "was given" if obj is not None else "was not given"
                raise ValueError(
                    f"'{path}' {what} {name} state but a {name} {need}; expected the same {name} "
                    "setup as the run that wrote it (or strict=False to load what matches)"
                )
    model.load_state_dict(payload["model"])
    for name, obj in given.items():  # optimizer before scheduler: see the docstring
        if obj is not None and name in payload:
            obj.load_state_dict(payload[name])
    if restore_rng:
        restore_rng_state(payload["rng"])
    return Checkpoint(payload["epoch"], History.from_state_dict(payload["history"]), payload["extra"])
