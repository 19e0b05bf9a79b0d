"""Classifying sequences: which language does a surname come from?

``NameClassifier`` embeds the characters of a padded batch, reads them with
a recurrent layer (``"lstm"``, ``"gru"`` or ``"rnn"`` from ``lstm_course.nn``,
one direction or two) over a packed sequence, so padding is never read, and
maps the final state to class logits. ``split_names`` shuffles and splits the
data by a seed; ``train_classifier`` trains with Adam on bucketed batches
(``lstm_course.data.BucketBatchSampler``) and early stopping on the
validation accuracy; ``confusion_matrix`` and ``per_class_accuracy`` say where
it errs.

Taught in the book's chapter "Classifying sequences" (``book/classification.md``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from .. import nn as course_nn
from ..data import BucketBatchSampler, Vocabulary, pad_batch
from ..train import TrainConfig, fit, seed_everything

__all__ = ["ClassifierConfig", "NameClassifier", "Splits", "accuracy", "confusion_matrix", "encode_names",
           "per_class_accuracy", "predict_classes", "split_names", "train_classifier"]

CELLS = {"lstm": course_nn.LSTM, "gru": course_nn.GRU, "rnn": course_nn.RNN}


class NameClassifier(nn.Module):
    """Embedding -> recurrent layer over the packed batch -> linear on the final state(s).

    ``forward(tokens (B, T), lengths (B,)) -> logits (B, C)``, or ``forward((tokens, lengths))``, the
    inputs of a batch as ``lstm_course.train.fit`` passes them; with ``bidirectional`` the final states of
    both directions are concatenated (forward after the last character, backward after the first).

    >>> NameClassifier(30, 5, cell="gru", bidirectional=True)(torch.tensor([[4, 5, 6], [7, 0, 0]]),
    ...                                                        torch.tensor([3, 1])).shape
    torch.Size([2, 5])
    """

    def __init__(self, vocab_size: int, num_classes: int, *, cell: str = "lstm", embedding_size: int = 32,
                 hidden_size: int = 64, bidirectional: bool = False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=Vocabulary.PAD)
        self.recurrent = CELLS[cell](embedding_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, tokens, lengths: Tensor = None) -> Tensor:
        if lengths is None:
            tokens, lengths = tokens
        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.recurrent(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # an LSTM's state is (h, c)
        return self.classifier(torch.cat(list(h_n), dim=-1))  # the directions' final states side by side


class Splits(NamedTuple):
    train: np.ndarray  # indices into the data
    val: np.ndarray
    test: np.ndarray


def split_names(count: int, *, val: float = 0.1, test: float = 0.1, seed: int = 0) -> Splits:
    """Shuffle ``range(count)`` with ``seed`` and cut it into train, validation and test indices."""
    order = np.random.default_rng(seed).permutation(count)
    n_test, n_val = int(round(test * count)), int(round(val * count))
    return Splits(order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test])


def encode_names(names, vocabulary: Vocabulary) -> tuple:
    """(tokens (N, T_max), lengths (N,)) of ``names`` as padded character ids."""
    tokens, lengths, _ = pad_batch([vocabulary.encode(name) for name in names])
    return tokens, lengths


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Settings of ``train_classifier``; the defaults train in seconds on two CPU cores."""

    cell: str = "lstm"
    bidirectional: bool = False
    embedding_size: int = 32
    hidden_size: int = 64
    epochs: int = 30
    batch_size: int = 64
    lr: float = 5e-3
    patience: int = 5
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "ClassifierConfig":
        """A larger run for a GPU: wider layers, more epochs and patience."""
        return dataclasses.replace(cls(embedding_size=64, hidden_size=256, epochs=100, patience=15), **changes)


def _batches(tokens: Tensor, lengths: Tensor, labels: Tensor, indices) -> list:
    batches = []
    for batch in indices:
        batch = torch.as_tensor(batch)
        longest = int(lengths[batch].max())
        batches.append(((tokens[batch, :longest], lengths[batch]), labels[batch]))
    return batches


def accuracy(logits: Tensor, labels: Tensor) -> float:
    """The share of rows whose largest logit is the label."""
    return float((logits.argmax(dim=-1) == labels).float().mean())


def train_classifier(tokens: Tensor, lengths: Tensor, labels: Tensor, splits: Splits, vocab_size: int,
                     num_classes: int, config: ClassifierConfig = ClassifierConfig(), *, device=None):
    """Train a ``NameClassifier`` on ``splits.train``, stopping early on the accuracy of ``splits.val``.

    Returns the model (with the weights of its best epoch) and the ``History``.
    """
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    model = NameClassifier(vocab_size, num_classes, cell=config.cell, embedding_size=config.embedding_size,
                           hidden_size=config.hidden_size, bidirectional=config.bidirectional).to(device)
    train = torch.as_tensor(splits.train)
    sampler = BucketBatchSampler(lengths[train].tolist(), config.batch_size, seed=config.seed)
    val_batches = _batches(tokens, lengths, labels, torch.as_tensor(splits.val).split(512))

    def epoch_batches(epoch: int) -> list:
        return _batches(tokens, lengths, labels, [train[batch] for batch in sampler])

    history = fit(model, epoch_batches, optimizer=torch.optim.Adam(model.parameters(), lr=config.lr),
                  loss_fn=nn.CrossEntropyLoss(), val_batches=val_batches,
                  metrics={"accuracy": accuracy},
                  config=TrainConfig(epochs=config.epochs, clip_grad_norm=1.0, patience=config.patience,
                                     monitor="val_accuracy", mode="max", progress=False))
    return model, history


def predict_classes(model: nn.Module, tokens: Tensor, lengths: Tensor) -> np.ndarray:
    """(N,) the predicted class of each row, in eval mode, in batches."""
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    with torch.no_grad():
        for batch in torch.arange(len(tokens)).split(512):
            longest = int(lengths[batch].max())
            logits = model(tokens[batch, :longest].to(device), lengths[batch])
            predictions.append(logits.argmax(dim=-1).cpu())
    return torch.cat(predictions).numpy()


def confusion_matrix(predicted, actual, num_classes: int) -> np.ndarray:
    """(C, C) counts: row = the true class, column = the predicted one.

    >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2).tolist()
    [[1, 1], [0, 1]]
    """
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(actual), np.asarray(predicted)), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """(C,) the share of each true class predicted right (the recall of each class)."""
    return np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)
