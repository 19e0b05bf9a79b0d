"""Seeding every random number generator, and saving and restoring their states.

A training run draws random numbers from three generators: Python's
``random``, NumPy's global generator and torch's (one on the CPU, one per
CUDA or MPS device). Weight initialisation, dropout masks and the shuffling
of a ``DataLoader`` all come from them. :func:`seed_everything` seeds them
all, so that a page of the book prints the same numbers on every build;
:func:`capture_rng_state` and :func:`restore_rng_state` let a checkpoint put
them back where they were, so that a resumed run draws the same numbers as
an uninterrupted one.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

# NumPy's legacy global seed is an unsigned 32-bit integer.
_MAX_SEED = 2**32 - 1


def seed_everything(seed: int, *, deterministic: bool = False) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and all GPUs).

    Args:
        seed: an integer in ``[0, 2**32 - 1]``.
        deterministic: True also switches torch to deterministic algorithms
            (``torch.use_deterministic_algorithms(True)``, cuDNN autotuning
            off, and the cuBLAS workspace setting that deterministic matrix
            products need). Some CUDA operations then run slower, and the
            few without a deterministic version raise an error instead of
            running. CPU runs are already reproducible without it. False
            leaves the current setting as it is.

    Returns:
        A CPU ``torch.Generator`` seeded with ``seed``, for code that wants
        a stream of its own, such as ``DataLoader(..., generator=g)``.

    Raises:
        ValueError: ``seed`` is not an integer in range.

    >>> g = seed_everything(0)
    >>> torch.rand(1, generator=g).item() == torch.rand(1).item()
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be an integer in [0, {_MAX_SEED}]; got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds the CPU and every CUDA and MPS device
    if deterministic:
        # cuBLAS reads this when it creates its handle, so it must be set before
        # the first matrix product on the GPU; setdefault keeps a user's choice.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True)
    return torch.Generator().manual_seed(seed)


def capture_rng_state() -> dict:
    """The states of every generator :func:`seed_everything` seeds.

    Returns:
        A dict of plain Python values and CPU tensors (no NumPy arrays), so
        that ``torch.load(..., weights_only=True)`` reads it back. Keys:
        ``python``, ``numpy``, ``torch`` and, where present, ``cuda`` (one
        state per CUDA device) and ``mps``.
    """
    np_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {**np_state, "state": {**np_state["state"], "key": np_state["state"]["key"].tolist()}},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if torch.backends.mps.is_available():
        state["mps"] = torch.mps.get_rng_state()
    return state


def restore_rng_state(state: dict) -> None:
    """Put every generator back in the state :func:`capture_rng_state` returned.

    The CUDA and MPS states are restored when this machine has that device;
    a state captured on a machine with a GPU restores its CPU part anywhere.

    >>> state = capture_rng_state()
    >>> first = torch.rand(1)
    >>> restore_rng_state(state)
    >>> bool(torch.rand(1) == first)
    True
    """
    random.setstate(state["python"])
    np_state = state["numpy"]
    key = np.asarray(np_state["state"]["key"], dtype=np.uint32)
    np.random.set_state({**np_state, "state": {**np_state["state"], "key": key}})
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) != torch.cuda.device_count():
            raise ValueError(
                f"the saved RNG state is for {len(cuda_states)} CUDA device(s) but this machine has "
                f"{torch.cuda.device_count()}; expected the same number of devices"
            )
        torch.cuda.set_rng_state_all(cuda_states)
    if "mps" in state and torch.backends.mps.is_available():
        torch.mps.set_rng_state(state["mps"])
