"""Translating dates: "29 août 1958" or "Freitag, 29. August 1958" to "1958-08-29".

A character-level encoder-decoder with attention, ``lstm_course.nn.Seq2Seq``:
a bidirectional LSTM reads the characters of a date as people write it
(``lstm_course.data.human_dates``: seven languages, nine formats), and an
LSTM decoder with attention writes its ISO form one character at a time,
trained with teacher forcing. ``split_dates`` draws training dates and
held-out dates whose texts never occur in training, optionally in languages
or formats that training never shows; ``train_translator`` trains on
bucketed batches; ``translate`` decodes greedily or with beam search;
``exact_match`` is the share of dates translated without a single wrong
character, and ``mistake_kind`` sorts the others.

Taught in the book's chapter "Translating dates" (``book/date_translation.md``),
after "Attention and sequence-to-sequence" (``book/attention.md``).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import NamedTuple, Sequence

from babel.dates import format_date

import torch
from torch import Tensor
from torch.nn import functional as F

from ..data import BucketBatchSampler, Vocabulary, human_dates, pad_batch
from ..data.dates import FIRST, FORMATS, LANGUAGES, LAST
from ..nn import Decoded, Seq2Seq
from ..train import History, TrainConfig, fit, seed_everything

__all__ = ["ISO_LENGTH", "TARGET_SYMBOLS", "Translator", "TranslatorConfig", "encode_dates", "exact_match",
           "mistake_kind", "split_dates", "train_translator", "translate"]

TARGET_SYMBOLS = "0123456789-"
ISO_LENGTH = len("1958-08-29")


@dataclasses.dataclass(frozen=True)
class TranslatorConfig:
    """Settings of ``train_translator``; the defaults are sized for one CPU thread."""

    train_size: int = 8000
    embedding_size: int = 16
    hidden_size: int = 32
    attention: str = "additive"
    epochs: int = 3
    batch_size: int = 64
    lr: float = 5e-3
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "TranslatorConfig":
        """A larger run for a GPU: more dates, wider layers, more epochs."""
        return dataclasses.replace(cls(train_size=50_000, embedding_size=32, hidden_size=128, epochs=10), **changes)


class Translator(NamedTuple):
    """A trained model with the vocabularies it reads and writes."""

    model: Seq2Seq
    source_vocabulary: Vocabulary  # characters of the written dates
    target_vocabulary: Vocabulary  # TARGET_SYMBOLS


def split_dates(train_size: int, test_size: int, *, seed: int = 0, held_out_languages: Sequence[str] = (),
                held_out_formats: Sequence[str] = ()) -> tuple:
    """``(train, test)`` lists of ``HumanDate``; no test text occurs among the training texts.

    The training dates are written in every language and format except the
    held-out ones; the test dates in the held-out languages (all languages if
    none is held out) and the held-out formats (all formats if none). The test
    dates are drawn with ``seed + 1`` and those whose text is also a training
    text are dropped, so ``len(test) <= test_size``.

    >>> train, test = split_dates(50, 5, held_out_languages=["it"], held_out_formats=["long"])
    >>> {d.language for d in train} & {"it"}, {d.format for d in train} & {"long"}
    (set(), set())
    >>> sorted({(d.language, d.format) for d in test})
    [('it', 'long')]
    """
    for name, held_out, known in (("held_out_languages", held_out_languages, LANGUAGES),
                                  ("held_out_formats", held_out_formats, FORMATS)):
        if isinstance(held_out, str) or not set(held_out) <= set(known):
            raise ValueError(f"{name} must be a list of some of {known}, got {held_out!r}")
        if set(held_out) == set(known):
            raise ValueError(f"{name} holds out all of {known}: nothing would be left to train on")
    train = human_dates(train_size, seed=seed,
                        languages=tuple(x for x in LANGUAGES if x not in held_out_languages),
                        formats=tuple(x for x in FORMATS if x not in held_out_formats))
    seen = {date.text for date in train}
    test = human_dates(test_size, seed=seed + 1, languages=tuple(held_out_languages) or LANGUAGES,
                       formats=tuple(held_out_formats) or FORMATS)
    return train, [date for date in test if date.text not in seen]


def encode_dates(dates: Sequence, source_vocabulary: Vocabulary, target_vocabulary: Vocabulary) -> tuple:
    """``source (N, S_max)``, ``lengths (N,)`` and ``targets (N, ISO_LENGTH + 1)`` (EOS last), padded ids."""
    source, lengths, _ = pad_batch([source_vocabulary.encode(date.text) for date in dates])
    targets, _, _ = pad_batch([target_vocabulary.encode(date.iso, eos=True) for date in dates])
    return source, lengths, targets


def _loss(model: Seq2Seq, batch) -> Tensor:
    """Teacher-forced cross-entropy of one batch ``(source, lengths, targets)``."""
    source, lengths, targets = batch
    logits, _ = model(source, lengths, targets)  # (B, T, V_t)
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=Vocabulary.PAD)


def train_translator(train: Sequence, config: TranslatorConfig = TranslatorConfig(), *,
                     device=None) -> tuple:
    """Train a ``Seq2Seq`` on the ``HumanDate`` list ``train`` with Adam and teacher forcing.

    The batches hold dates of similar length (``BucketBatchSampler``), drawn
    anew each epoch. Returns the ``Translator`` (in eval mode) and the ``History``.
    """
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    source_vocabulary = Vocabulary.build(date.text for date in train)
    target_vocabulary = Vocabulary(TARGET_SYMBOLS)
    source, lengths, targets = encode_dates(train, source_vocabulary, target_vocabulary)
    model = Seq2Seq(len(source_vocabulary), len(target_vocabulary), embedding_size=config.embedding_size,
                    hidden_size=config.hidden_size, attention=config.attention, bos_id=Vocabulary.BOS,
                    eos_id=Vocabulary.EOS, pad_id=Vocabulary.PAD).to(device)
    sampler = BucketBatchSampler(lengths.tolist(), config.batch_size, seed=config.seed)

    def epoch_batches(epoch: int) -> list:
        batches = []
        for batch in sampler:
            batch = torch.as_tensor(batch)
            longest = int(lengths[batch].max())
            batches.append((source[batch, :longest], lengths[batch], targets[batch]))
        return batches

    history = fit(model, epoch_batches, optimizer=torch.optim.Adam(model.parameters(), lr=config.lr),
                  forward_fn=_loss, config=TrainConfig(epochs=config.epochs, clip_grad_norm=1.0, progress=False))
    return Translator(model.eval(), source_vocabulary, target_vocabulary), history


def translate(translator: Translator, texts: Sequence[str], *, beam_size: int = 1, alpha: float = 0.0,
              batch_size: int = 512) -> tuple:
    """Translate ``texts``: greedy decoding for ``beam_size=1``, else beam search with
    length-normalisation exponent ``alpha``.

    Returns the ISO strings and the ``Decoded`` of all texts, padded to the
    longest source and output (attention ``(N, T_out, S_max)``).
    """
    model, source_vocabulary, target_vocabulary = translator
    device = next(model.parameters()).device
    model.eval()
    parts = []
    for start in range(0, len(texts), batch_size):
        source, lengths, _ = pad_batch([source_vocabulary.encode(text) for text in texts[start:start + batch_size]])
        parts.append(model.decode(source.to(device), lengths.to(device), max_len=ISO_LENGTH + 1,
                                  beam_size=beam_size, alpha=alpha))
    steps = max(part.tokens.shape[1] for part in parts)
    width = max(part.attention.shape[2] for part in parts)
    tokens = torch.cat([F.pad(p.tokens, (0, steps - p.tokens.shape[1]), value=Vocabulary.EOS) for p in parts])
    attention = torch.cat([F.pad(p.attention, (0, width - p.attention.shape[2], 0, steps - p.attention.shape[1]))
                           for p in parts])
    decoded = Decoded(tokens.cpu(), torch.cat([p.lengths for p in parts]).cpu(),
                      torch.cat([p.log_probs for p in parts]).cpu(), torch.cat([p.scores for p in parts]).cpu(),
                      attention.cpu())
    return [target_vocabulary.decode(row) for row in decoded.tokens.tolist()], decoded


def exact_match(predicted: Sequence[str], dates: Sequence) -> float:
    """The share of ``dates`` whose ISO form is predicted without a single wrong character.

    >>> from lstm_course.data.dates import HumanDate
    >>> exact_match(["1958-08-29", "1958-08-28"], [HumanDate("29/8/58", "1958-08-29", "fr", "short")] * 2)
    0.5
    """
    if len(predicted) != len(dates):
        raise ValueError(f"need one prediction per date, got {len(predicted)} for {len(dates)} dates")
    return sum(guess == date.iso for guess, date in zip(predicted, dates)) / len(dates)


def mistake_kind(date, predicted: str) -> str:
    """Why ``predicted`` is not ``date.iso``: ``"right"`` if it is, else one of

    - ``"another reading"``: a date of the data's range (1950-2049) that the same text
      means in another of ``LANGUAGES`` written in the same format ("1/6/64" is
      6 January in English and 1 June in Spanish): the text alone cannot settle it;
    - ``"not a date"``: not a valid ``YYYY-MM-DD`` date ("2025-04-00");
    - ``"wrong"``: a valid date that the text cannot mean.

    >>> from lstm_course.data.dates import HumanDate
    >>> date = HumanDate("1/6/64", "1964-06-01", "es", "short")
    >>> guesses = ("1964-06-01", "1964-01-06", "1964-13-01", "1964-06-02", "2064-06-01")
    >>> [mistake_kind(date, guess) for guess in guesses]
    ['right', 'another reading', 'not a date', 'wrong', 'wrong']
    """
    if predicted == date.iso:
        return "right"
    try:
        reading = datetime.date.fromisoformat(predicted)
    except ValueError:
        return "not a date"
    if len(predicted) != ISO_LENGTH:
        return "not a date"
    # Two-digit years stand for 1950-2049, the dates the data set draws: "28" is not 2128.
    if FIRST <= reading <= LAST and any(format_date(reading, format=date.format, locale=language) == date.text
                                        for language in LANGUAGES):
        return "another reading"
    return "wrong"
