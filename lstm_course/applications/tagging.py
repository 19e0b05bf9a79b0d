"""Tagging sequences: where are the names and the dates in a sentence?

``CharTagger`` embeds the characters of a padded batch, reads them with an
``lstm_course.nn.LSTM`` over a packed sequence (one direction or two) and
maps every position's output to tag logits. ``tagging_splits`` draws
training, validation and test sentences from ``lstm_course.data.tagging``,
with the test sentences' surnames never seen in training; ``train_tagger``
trains with Adam and early stopping on the validation loss; ``span_scores``
measures precision, recall and F1 per kind of entity at the level of whole
spans, as the CoNLL shared tasks do (Tjong Kim Sang & De Meulder 2003): a
name with one character wrong is a miss.

Taught in the book's chapter "Tagging sequences" (``book/tagging.md``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import nn as course_nn
from ..data import BucketBatchSampler, Vocabulary, load_surnames, pad_batch
from ..data.tagging import TAGS, spans, tagged_sentences
from ..train import TrainConfig, fit, seed_everything

__all__ = ["CharTagger", "Encoded", "SpanScore", "TaggerConfig", "TaggingSplits", "encode_sentences",
           "predict_tags", "span_scores", "tagging_splits", "train_tagger"]

IGNORE = -100  # the label of padded positions: cross_entropy leaves them out


class CharTagger(nn.Module):
    """Embedding -> LSTM over the packed batch -> linear at every position.

    ``forward(tokens (B, T), lengths (B,)) -> logits (B, T, len(TAGS))``, or ``forward((tokens, lengths))``
    as ``lstm_course.train.fit`` passes a batch's inputs. With ``bidirectional`` the output at position t
    sees the whole sentence; without, only characters 1..t.

    >>> CharTagger(20, bidirectional=True)(torch.tensor([[4, 5, 6], [7, 0, 0]]), torch.tensor([3, 1])).shape
    torch.Size([2, 3, 5])
    """

    def __init__(self, vocab_size: int, *, embedding_size: int = 32, hidden_size: int = 32,
                 bidirectional: bool = True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=Vocabulary.PAD)
        self.lstm = course_nn.LSTM(embedding_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.tagger = nn.Linear(hidden_size * (2 if bidirectional else 1), len(TAGS))

    def forward(self, tokens, lengths: Tensor = None) -> Tensor:
        if lengths is None:
            tokens, lengths = tokens
        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed)
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=tokens.shape[1])
        return self.tagger(output)


class Encoded(NamedTuple):
    tokens: Tensor  # (N, T_max) character ids, padded with Vocabulary.PAD
    lengths: Tensor  # (N,)
    labels: Tensor  # (N, T_max) tag ids, padded with IGNORE


class TaggingSplits(NamedTuple):
    train: list  # TaggedSentence
    val: list
    test: list  # its surnames are in neither train nor val


def tagging_splits(train: int = 1500, val: int = 300, test: int = 1000, *, seed: int = 0,
                   held_out_names: float = 0.2) -> TaggingSplits:
    """Sentences for training, validation and test; the test sentences use held-out surnames only.

    >>> splits = tagging_splits(20, 5, 5)
    >>> len(splits.train), len(splits.val), len(splits.test)
    (20, 5, 5)
    """
    if not 0 < held_out_names < 1:
        raise ValueError(f"held_out_names must be between 0 and 1, got {held_out_names!r}")
    names = sorted(set(load_surnames().names))
    order = np.random.default_rng(seed).permutation(len(names))
    cut = int(round(held_out_names * len(names)))
    seen, unseen = [names[i] for i in order[cut:]], [names[i] for i in order[:cut]]
    return TaggingSplits(tagged_sentences(train, seed=seed + 1, names=seen),
                         tagged_sentences(val, seed=seed + 2, names=seen),
                         tagged_sentences(test, seed=seed + 3, names=unseen))


def encode_sentences(sentences: Sequence, vocabulary: Vocabulary) -> Encoded:
    """Character ids and tag ids of ``sentences``, padded to the longest."""
    tokens, lengths, _ = pad_batch([vocabulary.encode(s.text) for s in sentences])
    labels, _, _ = pad_batch([[TAGS.index(tag) for tag in s.tags] for s in sentences], pad=IGNORE)
    return Encoded(tokens, lengths, labels)


def _loss(logits: Tensor, labels: Tensor) -> Tensor:
    return nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


def _batches(data: Encoded, indices) -> list:
    batches = []
    for batch in indices:
        batch = torch.as_tensor(batch)
        longest = int(data.lengths[batch].max())
        batches.append(((data.tokens[batch, :longest], data.lengths[batch]), data.labels[batch, :longest]))
    return batches


@dataclasses.dataclass(frozen=True)
class TaggerConfig:
    """Settings of ``train_tagger``; the defaults train in seconds on one CPU core."""

    bidirectional: bool = True
    embedding_size: int = 32
    hidden_size: int = 32
    epochs: int = 6
    batch_size: int = 32
    lr: float = 1e-2
    patience: int = 3
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "TaggerConfig":
        """A larger run for a GPU: wider layers and more epochs (use it with more sentences)."""
        return dataclasses.replace(cls(embedding_size=64, hidden_size=256, epochs=30, patience=5), **changes)


def train_tagger(train: Encoded, val: Encoded, vocab_size: int, config: TaggerConfig = TaggerConfig(), *,
                 device=None):
    """Train a ``CharTagger``, stopping early on the validation loss.

    Returns the model (with the weights of its best epoch) and the ``History``.
    """
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    model = CharTagger(vocab_size, embedding_size=config.embedding_size, hidden_size=config.hidden_size,
                       bidirectional=config.bidirectional).to(device)
    sampler = BucketBatchSampler(train.lengths.tolist(), config.batch_size, seed=config.seed)
    val_batches = _batches(val, torch.arange(len(val.tokens)).split(256))
    history = fit(model, lambda epoch: _batches(train, list(sampler)),
                  optimizer=torch.optim.Adam(model.parameters(), lr=config.lr), loss_fn=_loss,
                  val_batches=val_batches,
                  config=TrainConfig(epochs=config.epochs, clip_grad_norm=1.0, patience=config.patience,
                                     progress=False))
    return model, history


def predict_tags(model: nn.Module, data: Encoded) -> list:
    """The predicted tag sequence of every sentence (each as long as its sentence), in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    predicted = []
    with torch.no_grad():
        for batch in torch.arange(len(data.tokens)).split(256):
            longest = int(data.lengths[batch].max())
            ids = model(data.tokens[batch, :longest].to(device), data.lengths[batch]).argmax(dim=-1).cpu()
            predicted += [tuple(TAGS[i] for i in row[:length]) for row, length in zip(ids.tolist(),
                                                                                       data.lengths[batch])]
    return predicted


class SpanScore(NamedTuple):
    precision: float
    recall: float
    f1: float
    support: int  # the number of true spans


def span_scores(predicted: Sequence[Sequence[str]], actual: Sequence[Sequence[str]]) -> dict:
    """Precision, recall and F1 of whole spans, per kind and over all kinds (key ``"all"``).

    A predicted span counts only when its kind, start and end all match a true one.

    >>> span_scores([["B-NAME", "I-NAME", "O"]], [["B-NAME", "I-NAME", "I-NAME"]])["NAME"]
    SpanScore(precision=0.0, recall=0.0, f1=0.0, support=1)
    """
    if len(predicted) != len(actual):
        raise ValueError(f"got {len(predicted)} predicted and {len(actual)} actual tag sequences")
    found, true = set(), set()
    for i, (p, a) in enumerate(zip(predicted, actual)):
        if len(p) != len(a):
            raise ValueError(f"sequence {i}: {len(p)} predicted tags for {len(a)} positions")
        found |= {(i,) + span for span in spans(p)}
        true |= {(i,) + span for span in spans(a)}
    scores = {}
    for kind in sorted({span[1] for span in true | found}) + ["all"]:
        f = {s for s in found if kind in ("all", s[1])}
        t = {s for s in true if kind in ("all", s[1])}
        hits = len(f & t)
        precision, recall = hits / max(len(f), 1), hits / max(len(t), 1)
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        scores[kind] = SpanScore(precision, recall, f1, len(t))
    return scores
