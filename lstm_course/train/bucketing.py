"""Batches of sequences of similar length: bucketing, and how much of a padded batch is padding.

A batch of sequences of different lengths is padded to its longest, and
every padded step is computed and thrown away (or skipped, when the batch is
packed). Sorting the data by length before cutting it into batches wastes
the least, but makes every epoch's batches the same and orders them from
short to long. *Bucketing* keeps most of the saving and the randomness: the
shuffled data is cut into pools of ``pool_batches`` batches, each pool is
sorted by length and cut into batches, and the batches of all pools are
shuffled. ``pool_batches=1`` gives plain random batches; a pool as large as
the data set gives fully sorted batches, in random order.

``bucket_batches(lengths, batch_size, pool_batches, generator)``
    the batches, as tensors of indices into the data set.
``padding_share(lengths, batches)``
    the share of the entries of the padded batches that are padding.

Dimensions: N sequences in the data set.

Taught in the book's chapter "Batches of different lengths" (book/training_batching.md).
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

__all__ = ["bucket_batches", "padding_share"]


def _check_lengths(lengths) -> Tensor:
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.numel() == 0 or lengths.dtype.is_floating_point or bool((lengths < 1).any()):
        raise ValueError(f"lengths must be a non-empty 1-D sequence of integers >= 1, got {lengths!r}")
    return lengths


def bucket_batches(lengths, batch_size: int, *, pool_batches: int = 8,
                   generator: Optional[torch.Generator] = None) -> list[Tensor]:
    """Cut the indices 0..N-1 into batches of sequences of similar length.

    Shuffle the indices, cut them into pools of ``pool_batches * batch_size``,
    sort each pool by length (stable, longest first, as packing wants),
    cut each pool into batches of ``batch_size`` (the last batch of a pool may
    be smaller), and shuffle the order of all batches.

    Args:
        lengths: (N,) integers >= 1, the length of each sequence.
        batch_size: sequences per batch, >= 1.
        pool_batches: batches per pool, >= 1; 1 gives random batches.
        generator: the ``torch.Generator`` of both shuffles; None uses torch's global one.

    Returns:
        A list of int64 tensors of indices; together they hold every index once.

    >>> batches = bucket_batches([5, 1, 4, 2, 3, 6], 2, pool_batches=3, generator=torch.Generator().manual_seed(0))
    >>> sorted(sorted([5, 1, 4, 2, 3, 6][i] for i in b.tolist()) for b in batches)
    [[1, 2], [3, 4], [5, 6]]
    """
    lengths = _check_lengths(lengths)
    for name, value in (("batch_size", batch_size), ("pool_batches", pool_batches)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    order = torch.randperm(len(lengths), generator=generator)
    batches = []
    for pool in order.split(pool_batches * batch_size):
        by_length = pool[torch.sort(lengths[pool], descending=True, stable=True).indices]
        batches.extend(by_length.split(batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def padding_share(lengths, batches: Sequence[Tensor]) -> float:
    """The share of the entries of the padded batches that are padding.

    Each batch is padded to its longest sequence: it holds
    ``len(batch) * max(lengths[batch])`` steps, of which ``sum(lengths[batch])`` are real.

    >>> padding_share([4, 4, 2, 2], [torch.tensor([0, 2]), torch.tensor([1, 3])])
    0.25
    """
    lengths = _check_lengths(lengths)
    if not batches or not torch.equal(torch.cat(list(batches)).sort().values, torch.arange(len(lengths))):
        raise ValueError(f"batches must hold every index 0..{len(lengths) - 1} of lengths exactly once")
    padded = sum(len(batch) * int(lengths[batch].max()) for batch in batches)
    return 1.0 - int(lengths.sum()) / padded
