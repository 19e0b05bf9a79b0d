"""Synthetic long-lag tasks with a lag parameter: how long must a network remember?

``adding_problem``
    Hochreiter & Schmidhuber (1997), experiment 4: add two marked values
    (from ``lstm_course.experiments.adding_problem``).
``temporal_order``
    Hochreiter & Schmidhuber (1997), experiment 6a: classify a sequence by the
    order of two symbols, X and Y, hidden among distractors far apart.
``copy_task``
    the copy (memory) task as in Arjovsky, Shah & Bengio (2016): read a few
    symbols, wait ``lag`` blank steps, then write the symbols back.

Each is drawn from a ``torch.Generator`` so that a seed gives the same data;
the lag sets the difficulty. Inputs are time-major token ids, (T, B).
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..experiments.adding_problem import adding_problem

__all__ = ["TEMPORAL_ORDER_CLASSES", "adding_problem", "copy_task", "temporal_order"]

# temporal order: distractors a, b, c, d are 0-3; then X, Y, and the start and end markers E and B
_X, _Y, _E, _B = 4, 5, 6, 7
TEMPORAL_ORDER_SYMBOLS = 8
TEMPORAL_ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def _check(name: str, value: int, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def temporal_order(batch: int, steps: int = 100, *, generator: Optional[torch.Generator] = None) -> tuple:
    """Draw ``batch`` sequences of the temporal order task.

    A sequence of ``steps`` symbols starts with E and ends with B; between them are random distractors
    a-d, except X or Y at one step in the first tenth-to-fifth of the sequence and X or Y at one step
    in the half-to-six-tenths, as the paper's steps 10-20 and 50-60 of 100. The class says which came
    where: XX, XY, YX or YY. The lag between the two relevant symbols is about ``0.4 * steps``.

    Returns:
        tokens (steps, batch) int64 in [0, 8) and labels (batch,) int64 in [0, 4).

    >>> tokens, labels = temporal_order(3, 100, generator=torch.Generator().manual_seed(0))
    >>> tokens.shape, labels.shape, tokens[0].tolist(), tokens[-1].tolist()
    (torch.Size([100, 3]), torch.Size([3]), [6, 6, 6], [7, 7, 7])
    """
    _check("batch", batch, 1)
    _check("steps", steps, 20)
    tokens = torch.randint(0, 4, (steps, batch), generator=generator)
    tokens[0], tokens[-1] = _E, _B
    first = torch.randint(steps // 10, steps // 5 + 1, (batch,), generator=generator)
    second = torch.randint(steps // 2, 6 * steps // 10 + 1, (batch,), generator=generator)
    which = torch.randint(0, 2, (2, batch), generator=generator)  # 0 is X, 1 is Y
    columns = torch.arange(batch)
    tokens[first, columns] = _X + which[0]
    tokens[second, columns] = _X + which[1]
    return tokens, 2 * which[0] + which[1]


def copy_task(batch: int, lag: int, *, length: int = 10, symbols: int = 8,
              generator: Optional[torch.Generator] = None) -> tuple:
    """Draw ``batch`` sequences of the copy task.

    Input: ``length`` symbols in 1..symbols, then ``lag - 1`` blanks (0), a delimiter (symbols + 1), then
    ``length`` blanks. Target: blanks (0) until the last ``length`` steps, which are the symbols read
    at the start. A model that remembers nothing scores ``length * log(symbols) / (lag + 2 length)``
    cross-entropy per step at best (Arjovsky et al. 2016's baseline).

    Returns:
        inputs (T, batch) and targets (T, batch) int64, T = lag + 2 * length.
    """
    _check("batch", batch, 1)
    _check("lag", lag, 1)
    _check("length", length, 1)
    _check("symbols", symbols, 1)
    data = torch.randint(1, symbols + 1, (length, batch), generator=generator)
    steps = lag + 2 * length
    inputs = torch.zeros(steps, batch, dtype=torch.long)
    inputs[:length] = data
    inputs[length + lag - 1] = symbols + 1
    targets = torch.zeros(steps, batch, dtype=torch.long)
    targets[-length:] = data
    return inputs, targets
