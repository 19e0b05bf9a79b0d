"""Reading unsegmented sequences with connectionist temporal classification (CTC), on a small stand-in.

Speech and handwriting recognisers label a stream of frames with a shorter
sequence of symbols, and nobody says which frames belong to which symbol.
CTC (Graves et al. 2006) trains a network for that: the network outputs, at
every frame, a distribution over the symbols and one extra *blank*; a
labelling's probability is the sum over every frame-by-frame path that
collapses to it (merge repeats, then drop blanks), and ``torch.nn.CTCLoss``
computes that sum by dynamic programming.

Real recordings and scans cannot ship with the course, so ``glyph_strokes``
draws a stand-in: each symbol of an alphabet is a fixed random pattern of
``features`` numbers that lasts a random number of frames, with noise on
every frame and pauses between symbols. It keeps what makes the problem hard
for a frame classifier (unknown durations and boundaries, repeated symbols)
and nothing of real audio or ink.

``CTCReader`` is a bidirectional ``lstm_course.nn.LSTM`` with a linear layer to
the symbols and the blank; ``greedy_ctc_decode`` takes the most probable
symbol of each frame and collapses the path; ``train_ctc`` trains it.

Taught in the book's chapter "A tour of what else recurrent networks do" (``book/tour.md``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import nn as course_nn
from ..train import seed_everything

__all__ = ["BLANK", "CTCConfig", "CTCReader", "Strokes", "edit_distance", "glyph_strokes", "greedy_ctc_decode",
           "train_ctc"]

BLANK = 0  # the CTC blank; the symbols are 1..alphabet


class Strokes(NamedTuple):
    frames: Tensor  # (N, T_max, features) float32, zero after each sequence's end
    lengths: Tensor  # (N,) frames of each sequence
    labels: list  # N lists of symbols in 1..alphabet


def glyph_strokes(count: int, *, alphabet: int = 6, features: int = 8, symbols=(2, 6), duration=(2, 6),
                  noise: float = 0.6, seed: int = 0, pattern_seed: int = 0) -> Strokes:
    """``count`` frame sequences, each a random word of ``symbols`` symbols drawn as noisy glyphs.

    Each symbol ``s`` has a fixed pattern (drawn from ``pattern_seed``, shared by every split) held for a
    random number of frames in ``duration``; between two symbols there are 0 to 2 frames of pause (pure
    noise), and at least one between two equal symbols, as a pen is lifted between two equal letters.

    >>> data = glyph_strokes(3, seed=1)
    >>> data.frames.shape[0], data.lengths.tolist(), data.labels[0]
    (3, [21, 33, 16], [4, 5, 6, 1])
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    patterns = np.random.default_rng(pattern_seed).standard_normal((alphabet + 1, features))
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for _ in range(count):
        word = rng.integers(1, alphabet + 1, size=rng.integers(symbols[0], symbols[1] + 1)).tolist()
        frames = []
        for position, symbol in enumerate(word):
            pause = rng.integers(0, 3)
            if position > 0 and word[position - 1] == symbol:
                pause = max(pause, 1)
            frames += [np.zeros(features)] * int(pause)
            frames += [patterns[symbol]] * int(rng.integers(duration[0], duration[1] + 1))
        frames = np.array(frames) + noise * rng.standard_normal((len(frames), features))
        sequences.append(frames)
        labels.append(word)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = torch.zeros(count, int(lengths.max()), features)
    for i, frames in enumerate(sequences):
        padded[i, : len(frames)] = torch.from_numpy(frames).float()
    return Strokes(padded, lengths, labels)


class CTCReader(nn.Module):
    """Bidirectional LSTM over the packed frames -> linear -> log-probabilities of the blank and each symbol.

    ``forward(frames (B, T, features), lengths (B,)) -> log_probs (B, T, alphabet + 1)``; index 0 is the blank.

    >>> CTCReader(8, 6)(torch.zeros(2, 5, 8), torch.tensor([5, 3])).shape
    torch.Size([2, 5, 7])
    """

    def __init__(self, features: int, alphabet: int, *, hidden_size: int = 32):
        super().__init__()
        self.lstm = course_nn.LSTM(features, hidden_size, batch_first=True, bidirectional=True)
        self.output = nn.Linear(2 * hidden_size, alphabet + 1)

    def forward(self, frames: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(frames, lengths.cpu(), batch_first=True, enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=frames.shape[1])
        return self.output(hidden).log_softmax(dim=-1)


def greedy_ctc_decode(log_probs: Tensor, lengths: Tensor) -> list:
    """The labelling of each sequence's most probable path: the best symbol per frame, repeats merged,
    blanks dropped (best-path decoding, Graves et al. 2006).

    >>> greedy_ctc_decode(torch.log(torch.tensor([[[.1, .9, 0], [.1, .9, 0], [.9, .1, 0], [.1, .9, 0],
    ...                                             [.2, .1, .7]]])), torch.tensor([5]))
    [[1, 1, 2]]
    """
    best = log_probs.argmax(dim=-1).tolist()
    decoded = []
    for path, length in zip(best, lengths.tolist()):
        labels, previous = [], BLANK
        for symbol in path[:length]:
            if symbol != previous and symbol != BLANK:
                labels.append(symbol)
            previous = symbol
        decoded.append(labels)
    return decoded


def edit_distance(a, b) -> int:
    """The Levenshtein distance: insertions, deletions and substitutions that turn ``a`` into ``b``.

    >>> edit_distance([1, 2, 3], [1, 3]), edit_distance("kitten", "sitting")
    (1, 3)
    """
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


@dataclasses.dataclass(frozen=True)
class CTCConfig:
    """Settings of ``train_ctc``; the defaults train in seconds on one CPU core."""

    hidden_size: int = 32
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-2
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "CTCConfig":
        """A larger run for a GPU (for real features, such as the 40 filterbank energies of speech frames)."""
        return dataclasses.replace(cls(hidden_size=256, epochs=50, batch_size=64, lr=1e-3), **changes)


def train_ctc(data: Strokes, alphabet: int, config: CTCConfig = CTCConfig(), *, device=None):
    """Train a ``CTCReader`` on ``data`` with ``torch.nn.CTCLoss`` and Adam; returns it and the mean loss
    of each epoch."""
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    model = CTCReader(data.frames.shape[2], alphabet, hidden_size=config.hidden_size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
    generator = torch.Generator().manual_seed(config.seed)
    losses = []
    for _ in range(config.epochs):
        total = 0.0
        order = torch.randperm(len(data.labels), generator=generator)
        for batch in order.split(config.batch_size):
            frames, lengths = data.frames[batch].to(device), data.lengths[batch]
            targets = [data.labels[i] for i in batch.tolist()]
            log_probs = model(frames[:, : int(lengths.max())], lengths)  # (B, T, C)
            loss = ctc(log_probs.transpose(0, 1), torch.tensor(sum(targets, [])), lengths,
                       torch.tensor([len(t) for t in targets]))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(data.labels))
    return model, losses
