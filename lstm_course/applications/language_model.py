"""A character language model of the Python documentation, and the cells that track its structure.

``train_char_lm`` trains ``StatefulCharLM`` (embedding -> LSTM -> linear,
time-major) with truncated back-propagation through time: the training
stream is cut into ``batch`` columns read side by side, chunks of ``chunk``
steps are back-propagated through, and the state is carried from chunk to
chunk (``lstm_course.train.tbptt_batches``). ``bits_per_character`` reads a
held-out stream the same way, with the state carried, and returns the
cross-entropy in bits; the perplexity is ``2 ** bits``.

For interpretation, after Karpathy, Johnson & Fei-Fei (2015): ``cell_states``
runs the model over a text and returns every cell state c_t, ``inside_quotes``
and ``bracket_depth`` describe the text's structure, ``tracking_units`` ranks
the cells by how well they follow such a description, and ``colour_text``
shows a cell's value on every character as HTML.

Taught in the book's chapter "A character language model" (``book/char_lm.md``).
"""

from __future__ import annotations

import dataclasses
import html
import math

import numpy as np
import torch

from ..experiments.gradient_flow import StatefulCharLM
from ..train import TrainConfig, fit, seed_everything, tbptt_batches

__all__ = ["LMConfig", "bits_per_character", "bracket_depth", "cell_states", "colour_text", "columns", "generate",
           "inside_quotes", "tracking_units", "train_char_lm", "unigram_bits"]


@dataclasses.dataclass(frozen=True)
class LMConfig:
    """Settings of ``train_char_lm``; the defaults train in about a minute on two CPU cores."""

    embedding_size: int = 32
    hidden_size: int = 128
    batch: int = 32
    chunk: int = 64
    epochs: int = 3
    lr: float = 3e-3
    seed: int = 0

    @classmethod
    def for_gpu(cls, **changes) -> "LMConfig":
        """A larger run for a GPU: 512 units, longer chunks, more epochs."""
        return dataclasses.replace(cls(embedding_size=64, hidden_size=512, batch=64, chunk=128, epochs=20), **changes)


def columns(tokens: torch.Tensor, batch: int) -> torch.Tensor:
    """A 1-D stream cut into ``batch`` equal columns side by side, (T_total, batch); the rest is dropped."""
    steps = len(tokens) // batch
    return tokens[: steps * batch].view(batch, steps).t()


def train_char_lm(train: torch.Tensor, val: torch.Tensor, vocab_size: int, config: LMConfig = LMConfig(), *,
                  device=None):
    """Train a ``StatefulCharLM`` on the stream ``train`` by truncated BPTT; return it and its ``History``."""
    seed_everything(config.seed)
    device = torch.device("cpu") if device is None else device
    model = StatefulCharLM(vocab_size, config.embedding_size, config.hidden_size).to(device)
    history = fit(model, tbptt_batches(columns(train, config.batch), config.chunk),
                  optimizer=torch.optim.Adam(model.parameters(), lr=config.lr), loss_fn=torch.nn.CrossEntropyLoss(),
                  val_batches=tbptt_batches(columns(val, config.batch), config.chunk),
                  config=TrainConfig(epochs=config.epochs, stateful=True, clip_grad_norm=1.0, progress=False))
    return model, history


@torch.no_grad()
def bits_per_character(model: StatefulCharLM, tokens: torch.Tensor, *, batch: int = 16, chunk: int = 256) -> float:
    """The model's cross-entropy on a held-out stream, in bits per character, the state carried throughout."""
    model.eval()
    device = next(model.parameters()).device
    total, count, state = 0.0, 0, None
    for inputs, targets in tbptt_batches(columns(tokens, batch).to(device), chunk):
        logits, state = model(inputs, state)
        total += float(torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum"))
        count += targets.numel()
    return total / count / math.log(2)


@torch.no_grad()
def generate(model: StatefulCharLM, prompt: torch.Tensor, length: int, *, temperature: float = 1.0,
             seed: int = 0) -> torch.Tensor:
    """(length,) tokens drawn one by one after ``prompt`` (T_0,), from softmax(logits / temperature)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    logits, state = model(prompt.view(-1, 1).to(device))
    tokens = []
    for _ in range(length):
        probabilities = torch.softmax(logits[-1, 0] / temperature, dim=-1)
        token = torch.multinomial(probabilities, 1, generator=generator)
        tokens.append(int(token))
        logits, state = model(token.view(1, 1), state)
    return torch.tensor(tokens)


def unigram_bits(train: torch.Tensor, held_out: torch.Tensor, vocab_size: int) -> float:
    """Bits per character of the best context-free model: character frequencies of ``train`` (add-one)."""
    counts = torch.bincount(train, minlength=vocab_size).double() + 1
    return float(-(counts / counts.sum()).log2()[held_out].mean())


@torch.no_grad()
def cell_states(model: StatefulCharLM, tokens: torch.Tensor) -> np.ndarray:
    """(T, H) the LSTM's cell state c_t after each of ``tokens`` (T,), read from a zero state, step by step."""
    model.eval()
    device = next(model.parameters()).device
    states, state = [], None
    for token in tokens.to(device):
        _, state = model.recurrent(model.embedding(token.view(1, 1)), state)
        states.append(state[1][0, 0].cpu().numpy())
    return np.stack(states)


def inside_quotes(text: str) -> np.ndarray:
    """(T,) 1.0 on the characters inside a pair of double quotes, the closing quote included, else 0.0.

    >>> inside_quotes('a "bc" d').tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    flags, inside = [], False
    for char in text:
        if char == '"':
            inside = not inside
            flags.append(1.0 if not inside else 0.0)
        else:
            flags.append(1.0 if inside else 0.0)
    return np.array(flags)


def bracket_depth(text: str) -> np.ndarray:
    """(T,) how many round brackets are open after each character (never below zero).

    >>> bracket_depth("f(g(x))").tolist()
    [0.0, 1.0, 1.0, 2.0, 2.0, 1.0, 0.0]
    """
    depth, values = 0, []
    for char in text:
        depth = depth + 1 if char == "(" else max(0, depth - 1) if char == ")" else depth
        values.append(float(depth))
    return np.array(values)


def tracking_units(states: np.ndarray, signal: np.ndarray, top: int = 3) -> list:
    """The ``top`` cells whose values correlate most with ``signal``, as (unit, correlation), best first."""
    states = states - states.mean(axis=0)
    signal = signal - signal.mean()
    norms = np.linalg.norm(states, axis=0) * np.linalg.norm(signal)
    correlation = states.T @ signal / np.where(norms > 0, norms, 1)
    order = np.argsort(-np.abs(correlation))[:top]
    return [(int(unit), float(correlation[unit])) for unit in order]


def colour_text(text: str, values: np.ndarray) -> str:
    """HTML of ``text`` with each character's background blue for negative ``values`` and red for positive."""
    scale = max(float(np.abs(values).max()), 1e-12)
    spans = []
    for char, value in zip(text, values):
        strength = min(abs(float(value)) / scale, 1.0)
        colour = f"rgba(214, 39, 40, {strength:.2f})" if value > 0 else f"rgba(31, 119, 180, {strength:.2f})"
        shown = "⏎<br>" if char == "\n" else html.escape(char).replace(" ", "&nbsp;")
        spans.append(f'<span style="background:{colour}">{shown}</span>')
    return '<div style="font-family: monospace; line-height: 1.6">' + "".join(spans) + "</div>"
