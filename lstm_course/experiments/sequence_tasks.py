"""The course's small running examples of sequence tasks, and a diagram of the task shapes.

Every example is generated from a seed in a fraction of a second, so the
book ships no data files:

``grammar_text``, ``CharVocabulary``
    a text of short sentences drawn from a tiny English grammar, and its
    characters as integer tokens: character-level language modelling, as in
    the letter-prediction experiment of Elman (1990, "Finding structure in
    time"), which also used sentences built from a small lexicon.
``noisy_sine``
    a seasonal time series with noise, for forecasting.
``bracket_sequences``, ``is_balanced``
    strings of brackets of varying length labelled balanced or not:
    sequence classification, and a reason to pad.
``TASK_SHAPES``, ``draw_task_shapes``
    the five input/output shapes of sequence tasks, drawn as unrolled networks.

The adding problem of Hochreiter & Schmidhuber (1997) is in
``lstm_course.experiments.adding_problem``.

Dimensions: T time steps, B batch, V vocabulary size.

Taught in the book's chapter "Sequences and sequence models".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

# ----------------------------------------------------------------- a text

# Nouns and verbs as (singular, plural) pairs: a verb agrees in number with the subject,
# a dependency that spans the words between them ("the small dogs ... chase").
_NOUNS = [("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("girl", "girls"), ("boy", "boys")]
_ADJECTIVES = ["small", "old", "happy", "red"]
_TRANSITIVE = [("sees", "see"), ("chases", "chase"), ("likes", "like"), ("feeds", "feed")]
_INTRANSITIVE = [("sleeps", "sleep"), ("sings", "sing"), ("runs", "run")]


def _noun_phrase(generator: torch.Generator, plural: bool) -> str:
    words = ["the"]
    if torch.rand((), generator=generator) < 0.5:
        words.append(_ADJECTIVES[int(torch.randint(len(_ADJECTIVES), (), generator=generator))])
    words.append(_NOUNS[int(torch.randint(len(_NOUNS), (), generator=generator))][int(plural)])
    return " ".join(words)


def grammar_text(sentences: int, *, seed: int = 0) -> str:
    """A text of ``sentences`` short sentences from a tiny grammar, one per line.

    Each sentence is ``subject verb [object] .``: a noun phrase ``the [adjective]
    noun``, singular or plural with equal chance, then a transitive verb and a
    second noun phrase, or an intransitive verb. The verb agrees in number with
    the subject ("the old dog sleeps", "the old dogs sleep"), so predicting the
    letters of the verb needs the subject, several characters back.

    Args:
        sentences: number of sentences, >= 1.
        seed: seeds the torch generator the sentences are drawn from.

    Returns:
        The text; every line ends with " .\\n".

    >>> print(grammar_text(2, seed=0), end="")
    the girls feed the red bird .
    the happy dog likes the girl .
    """
    if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 1:
        raise ValueError(f"sentences must be an integer >= 1; got {sentences!r}")
    generator = torch.Generator().manual_seed(seed)
    lines = []
    for _ in range(sentences):
        plural = bool(torch.rand((), generator=generator) < 0.5)
        subject = _noun_phrase(generator, plural)
        if torch.rand((), generator=generator) < 0.6:
            verb = _TRANSITIVE[int(torch.randint(len(_TRANSITIVE), (), generator=generator))][int(plural)]
            obj = _noun_phrase(generator, bool(torch.rand((), generator=generator) < 0.5))
            lines.append(f"{subject} {verb} {obj} .\n")
        else:
            verb = _INTRANSITIVE[int(torch.randint(len(_INTRANSITIVE), (), generator=generator))][int(plural)]
            lines.append(f"{subject} {verb} .\n")
    return "".join(lines)


@dataclass(frozen=True)
class CharVocabulary:
    """The characters of a text, sorted, each with its index as token.

    >>> vocab = CharVocabulary.from_text("abba")
    >>> vocab.chars, vocab.encode("bab").tolist(), vocab.decode([1, 0])
    ('ab', [1, 0, 1], 'ba')
    """

    chars: str  # chars[v] is the character of token v

    @classmethod
    def from_text(cls, text: str) -> "CharVocabulary":
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string; got {text!r}")
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> Tensor:
        """(len(text),) int64 tokens; an error names the first character not in the vocabulary."""
        index = {char: token for token, char in enumerate(self.chars)}
        unknown = [char for char in text if char not in index]
        if unknown:
            raise ValueError(f"character {unknown[0]!r} is not in the vocabulary {self.chars!r}")
        return torch.tensor([index[char] for char in text], dtype=torch.long)

    def decode(self, tokens) -> str:
        """The characters of a sequence of tokens (a 1-D tensor or a list of ints)."""
        return "".join(self.chars[int(token)] for token in tokens)


# ---------------------------------------------------------- a time series


def noisy_sine(steps: int, *, period: float = 25.0, noise: float = 0.1, seed: int = 0) -> Tensor:
    """A seasonal series ``y_t = sin(2 pi t / period) + 0.5 sin(4 pi t / period + 1) + noise``.

    Args:
        steps: T, the length of the series.
        period: the season, in steps.
        noise: standard deviation of the Gaussian noise added to every value.
        seed: seeds the noise.

    Returns:
        (T,) float32 values, t = 0, ..., T - 1.

    >>> noisy_sine(100, seed=1).shape
    torch.Size([100])
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1; got {steps!r}")
    t = torch.arange(steps, dtype=torch.float64)
    clean = torch.sin(2 * math.pi * t / period) + 0.5 * torch.sin(4 * math.pi * t / period + 1.0)
    generator = torch.Generator().manual_seed(seed)
    return (clean + noise * torch.randn(steps, generator=generator, dtype=torch.float64)).float()


# ---------------------------------------------------------- classification

OPEN, CLOSE = 1, 2  # bracket tokens; 0 is left free for padding
BRACKETS = {OPEN: "(", CLOSE: ")"}


def is_balanced(tokens) -> bool:
    """True when every ``(`` is closed by a later ``)``: the depth never drops below 0 and ends at 0.

    >>> is_balanced([OPEN, OPEN, CLOSE, CLOSE]), is_balanced([CLOSE, OPEN])
    (True, False)
    """
    depth = 0
    for token in tokens:
        depth += 1 if int(token) == OPEN else -1
        if depth < 0:
            return False
    return depth == 0


def _balanced(length: int, generator: torch.Generator) -> list:
    """A random balanced string of even ``length``: open when possible with chance 1/2."""
    tokens, depth = [], 0
    for position in range(length):
        remaining = length - position
        must_close = depth == remaining  # every remaining step is needed to close
        may_close = depth > 0
        if must_close or (may_close and torch.rand((), generator=generator) < 0.5):
            tokens.append(CLOSE)
            depth -= 1
        else:
            tokens.append(OPEN)
            depth += 1
    return tokens


def bracket_sequences(count: int, *, min_length: int = 4, max_length: int = 20,
                      seed: int = 0) -> tuple[list[Tensor], Tensor]:
    """Strings of brackets labelled balanced (1) or not (0), half of each.

    Every string has an even length drawn uniformly from ``min_length`` to
    ``max_length`` and as many ``(`` as ``)``, so counting the brackets does
    not decide the label: an unbalanced string is a shuffled balanced one in
    which some prefix closes more brackets than it opened.

    Args:
        count: number of strings.
        min_length, max_length: even bounds of the lengths, 2 <= min <= max.
        seed: seeds the torch generator.

    Returns:
        sequences: ``count`` int64 tensors of shapes (T_b,), tokens ``OPEN``
        and ``CLOSE`` (1 and 2; 0 is free for padding).
        labels: (count,) int64, 1 for balanced.

    >>> sequences, labels = bracket_sequences(4, seed=0)
    >>> [is_balanced(s) for s in sequences] == labels.bool().tolist()
    True
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an integer >= 1; got {count!r}")
    if min_length % 2 or max_length % 2 or not 2 <= min_length <= max_length:
        raise ValueError(f"expected even lengths with 2 <= min_length <= max_length; got {min_length}, {max_length}")
    if min_length == 2 and max_length == 2:
        raise ValueError("length 2 has no unbalanced string with as many ( as ) besides ')(': use max_length >= 4")
    generator = torch.Generator().manual_seed(seed)
    sequences, labels = [], []
    for n in range(count):
        label = n % 2  # alternate, then shuffle the order below
        while True:
            length = 2 * int(torch.randint(min_length // 2, max_length // 2 + 1, (), generator=generator))
            tokens = _balanced(length, generator)
            if label == 0:
                tokens = [tokens[i] for i in torch.randperm(length, generator=generator).tolist()]
            if is_balanced(tokens) == bool(label):
                break
        sequences.append(torch.tensor(tokens, dtype=torch.long))
        labels.append(label)
    order = torch.randperm(count, generator=generator).tolist()
    return [sequences[i] for i in order], torch.tensor([labels[i] for i in order], dtype=torch.long)


# ------------------------------------------------------ the five shapes


class TaskShape(NamedTuple):
    """One task shape as an unrolled network: which steps read an input and which emit an output."""

    title: str
    example: str
    inputs: tuple  # the steps (0-based) that read an input
    outputs: tuple  # the steps that emit an output
    steps: int  # number of hidden states drawn


TASK_SHAPES = (
    TaskShape("one to one", "image class", inputs=(0,), outputs=(0,), steps=1),
    TaskShape("one to many", "image captioning", inputs=(0,), outputs=(0, 1, 2, 3), steps=4),
    TaskShape("many to one", "sentiment of a review", inputs=(0, 1, 2, 3), outputs=(3,), steps=4),
    TaskShape("many to many, aligned", "tagging, next character", inputs=(0, 1, 2, 3), outputs=(0, 1, 2, 3),
              steps=4),
    TaskShape("many to many, unaligned", "translation (encoder-decoder)", inputs=(0, 1, 2), outputs=(3, 4, 5, 6),
              steps=7),
)


def draw_task_shapes(axes, shapes=TASK_SHAPES) -> None:
    """Draw each shape on one matplotlib axes: inputs below, hidden states in the middle, outputs above.

    Args:
        axes: a sequence of ``len(shapes)`` matplotlib axes.
        shapes: the :class:`TaskShape` entries to draw.
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle  # only needed for the figure

    colours = {"input": "#f4a582", "hidden": "#92c5de", "output": "#b8e186"}
    size = 0.6

    def box(ax, x, y, kind):
        ax.add_patch(Rectangle((x - size / 2, y - size / 2), size, size, facecolor=colours[kind],
                               edgecolor="black", linewidth=0.8))

    def arrow(ax, start, end):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8, linewidth=0.8,
                                     color="black", shrinkA=0, shrinkB=0))

    widest = max(shape.steps for shape in shapes)
    for ax, shape in zip(axes, shapes):
        for t in range(shape.steps):
            box(ax, t, 1, "hidden")
            if t in shape.inputs:
                box(ax, t, 0, "input")
                arrow(ax, (t, size / 2), (t, 1 - size / 2))
            if t in shape.outputs:
                box(ax, t, 2, "output")
                arrow(ax, (t, 1 + size / 2), (t, 2 - size / 2))
            if t > 0:
                arrow(ax, (t - 1 + size / 2, 1), (t - size / 2, 1))
        ax.set_xlim(-0.6, widest - 0.4)
        ax.set_ylim(-0.5, 2.5)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"{shape.title}\n{shape.example}", fontsize=9)
