"""Choosing the device once, and moving batches onto it.

The book calls :func:`pick_device` once per page, at the top, and passes the
result to ``.to(device)`` for the model; :func:`lstm_course.train.fit` then
moves every batch to the device of the model's parameters with
:func:`to_device`. Pages therefore run unchanged on a laptop (CPU or Apple
``mps``) and on a CUDA machine.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import torch

# Preference order when nothing is asked for: the fastest accelerator first.
_ORDER = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    # ``torch.backends.mps`` exists on every build; it reports False off macOS.
    return torch.backends.mps.is_available()


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return _mps_available()
    return kind == "cpu"


def pick_device(prefer: Optional[Union[str, torch.device]] = None) -> torch.device:
    """The device to train on: ``cuda`` if present, else ``mps``, else ``cpu``.

    Args:
        prefer: a device to use instead of the automatic choice, such as
            ``"cpu"`` (to compare with a CPU run on a GPU machine) or
            ``"cuda:1"``. It must be available.

    Returns:
        A ``torch.device``.

    Raises:
        ValueError: ``prefer`` is not a device name torch understands, or a
            kind other than cuda, mps and cpu.
        RuntimeError: the preferred device is not available on this machine.

    >>> pick_device("cpu")
    device(type='cpu')
    """
    if prefer is None:
        return torch.device(next(kind for kind in _ORDER if _available(kind)))
    try:
        device = torch.device(prefer)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"prefer={prefer!r} is not a device; expected 'cuda', 'cuda:N', 'mps' or 'cpu'") from err
    if device.type not in _ORDER:
        raise ValueError(f"prefer={prefer!r} has device type {device.type!r}; expected one of {', '.join(_ORDER)}")
    available = [kind for kind in _ORDER if _available(kind)]
    if device.type not in available:
        raise RuntimeError(
            f"prefer={prefer!r} but {device.type} is not available here; available: {', '.join(available)}"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeError(
            f"prefer={prefer!r} but this machine has {torch.cuda.device_count()} CUDA device(s); "
            f"expected an index below {torch.cuda.device_count()}"
        )
    return device


def to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor in it moved to ``device``.

    Tensors may sit inside tuples, lists and dicts, nested to any depth;
    anything else (ints, strings, None) is returned as it is. The copy is
    asynchronous on CUDA, which overlaps it with the previous step's work
    when the tensor is in pinned memory (``DataLoader(pin_memory=True)``).

    >>> x, y = to_device((torch.zeros(2, 3), [torch.ones(2)]), torch.device("cpu"))
    >>> x.shape, y[0].device
    (torch.Size([2, 3]), device(type='cpu'))
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=device.type == "cuda")
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    return batch
