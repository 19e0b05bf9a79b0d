"""A character corpus that ships with Python itself: the help texts of the Python documentation.

``python_docs_text()`` is the text of ``pydoc_data.topics``, the pages that
``help("for")`` or ``help("with")`` print, part of every CPython
installation (Python Software Foundation licence): about half a million
characters of English prose and code, with quotes, brackets and indentation,
which makes it a good stand-in for Karpathy's char-rnn corpora and a good
place to look for cells that track structure. ``char_stream`` turns it into
token ids for a character language model, split into train, validation and
test by position, so that held-out text is text the model never read. The
topics change a little from one Python version to the next, and so do the
figures measured on them.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..experiments.sequence_tasks import CharVocabulary

__all__ = ["CharStreams", "char_stream", "python_docs_text"]


def python_docs_text(*, ascii_only: bool = True) -> str:
    """The help topics of the Python documentation, in sorted order of topic, one text.

    Args:
        ascii_only: drop the few non-ASCII characters (typographic quotes, symbols), which would add
            rare tokens to a character vocabulary.
    """
    from pydoc_data.topics import topics  # part of the standard library, shipped with CPython

    text = "\n\n".join(topics[name] for name in sorted(topics))
    return text.encode("ascii", "ignore").decode() if ascii_only else text


class CharStreams(NamedTuple):
    vocabulary: CharVocabulary
    train: torch.Tensor  # (N_train,) int64 token ids
    val: torch.Tensor
    test: torch.Tensor


def char_stream(text: str, *, val: float = 0.05, test: float = 0.05) -> CharStreams:
    """Token ids of ``text``, cut by position into train, validation and test streams (in that order).

    The vocabulary is built from the whole text, so that every held-out character has a token.

    >>> streams = char_stream("abcabcabcabcabcabcabcabcabcabc", val=0.1, test=0.1)
    >>> len(streams.vocabulary), len(streams.train), len(streams.val), len(streams.test)
    (3, 24, 3, 3)
    """
    if not 0 <= val < 1 or not 0 <= test < 1 or val + test >= 1:
        raise ValueError(f"val and test must be fractions in [0, 1) that leave text to train on, got {val}, {test}")
    vocabulary = CharVocabulary.from_text(text)
    tokens = vocabulary.encode(text)
    n_test, n_val = int(round(test * len(tokens))), int(round(val * len(tokens)))
    n_train = len(tokens) - n_val - n_test
    return CharStreams(vocabulary, tokens[:n_train], tokens[n_train : n_train + n_val], tokens[n_train + n_val :])
