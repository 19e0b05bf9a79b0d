"""Vocabularies, padded batches with their masks, and a bucketing batch sampler.

``Vocabulary``
    symbols (characters or words) to ids and back, with the special symbols
    a sequence model needs: padding (id 0), unknown, start and end.
``pad_batch(sequences)``
    a batch of sequences of different lengths as one (B, T_max) tensor, with
    their lengths and the (B, T_max) mask of real (not padding) positions;
    ``torch.nn.utils.rnn.pack_padded_sequence(embedded, lengths,
    batch_first=True, enforce_sorted=False)`` then skips the padding.
``BucketBatchSampler``
    a ``torch.utils.data`` batch sampler that draws batches of sequences of
    similar length (``lstm_course.train.bucketing``), new ones every epoch.

Dimensions: B sequences in a batch, T_max the longest of them.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch

from ..train.bucketing import bucket_batches

__all__ = ["BucketBatchSampler", "Vocabulary", "pad_batch"]


class Vocabulary:
    """Symbols to ids and back; ids 0-3 are the special symbols ``PAD``, ``UNK``, ``BOS`` and ``EOS``.

    >>> vocab = Vocabulary.build(["abc", "abd"])
    >>> vocab.encode("abz", bos=True, eos=True), vocab.decode([4, 5, 7])
    ([2, 4, 5, 1, 3], 'abd')
    """

    PAD, UNK, BOS, EOS = 0, 1, 2, 3
    SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")

    def __init__(self, symbols: Sequence[str]):
        self.symbols = tuple(self.SPECIALS) + tuple(symbols)
        self.index = {symbol: i for i, symbol in enumerate(self.symbols)}
        if len(self.index) != len(self.symbols):
            raise ValueError("symbols must be distinct and must not be one of the special symbols")

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, min_count: int = 1) -> "Vocabulary":
        """The symbols that occur at least ``min_count`` times in ``sequences``, in sorted order."""
        counts: dict = {}
        for sequence in sequences:
            for symbol in sequence:
                counts[symbol] = counts.get(symbol, 0) + 1
        return cls(sorted(symbol for symbol, count in counts.items() if count >= min_count))

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, sequence: Sequence[str], *, bos: bool = False, eos: bool = False) -> list:
        """The ids of ``sequence``; a symbol not in the vocabulary becomes ``UNK``."""
        ids = [self.index.get(symbol, self.UNK) for symbol in sequence]
        return [self.BOS] * bos + ids + [self.EOS] * eos

    def decode(self, ids: Iterable[int], *, join: str = "") -> str:
        """The symbols of ``ids`` up to the first ``EOS``, without ``PAD`` and ``BOS``."""
        symbols = []
        for i in ids:
            i = int(i)
            if i == self.EOS:
                break
            if i not in (self.PAD, self.BOS):
                symbols.append(self.symbols[i])
        return join.join(symbols)


def pad_batch(sequences: Sequence[Sequence[int]], *, pad: int = Vocabulary.PAD) -> tuple:
    """Pad id sequences to a (B, T_max) int64 tensor.

    Returns:
        padded (B, T_max), lengths (B,) int64 (on the CPU, as ``pack_padded_sequence`` wants) and
        mask (B, T_max) bool, True at real positions.

    >>> padded, lengths, mask = pad_batch([[5, 6, 7], [8]])
    >>> padded.tolist(), lengths.tolist(), mask.tolist()
    ([[5, 6, 7], [8, 0, 0]], [3, 1], [[True, True, True], [True, False, False]])
    """
    if len(sequences) == 0 or any(len(s) == 0 for s in sequences):
        raise ValueError("pad_batch needs at least one sequence, and no empty sequence")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    padded = torch.full((len(sequences), int(lengths.max())), pad, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    mask = torch.arange(padded.shape[1]) < lengths[:, None]
    return padded, lengths, mask


class BucketBatchSampler(torch.utils.data.Sampler):
    """Batches of indices of sequences of similar length, drawn anew each epoch from a seeded generator.

    Use it as ``DataLoader(dataset, batch_sampler=BucketBatchSampler(lengths, 32), collate_fn=...)``.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, *, pool_batches: int = 8, seed: int = 0):
        self.lengths = torch.as_tensor(lengths)
        self.batch_size, self.pool_batches = batch_size, pool_batches
        self.generator = torch.Generator().manual_seed(seed)
        # checks the arguments, with a generator of its own so the global random state is left alone
        bucket_batches(self.lengths, batch_size, pool_batches=pool_batches, generator=torch.Generator())

    def __iter__(self):
        batches = bucket_batches(self.lengths, self.batch_size, pool_batches=self.pool_batches,
                                 generator=self.generator)
        return iter([batch.tolist() for batch in batches])

    def __len__(self) -> int:
        full_pools, rest = divmod(len(self.lengths), self.batch_size * self.pool_batches)
        return full_pools * self.pool_batches + -(-rest // self.batch_size)
