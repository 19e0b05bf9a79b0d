"""Tiny models and data sets shared by the training tests; each runs in milliseconds on a CPU."""

from __future__ import annotations

import torch
from torch import nn

FEATURES, CLASSES = 4, 3


def classification_data(n: int = 24, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, FEATURES) inputs and (n,) labels in [0, CLASSES), from a fixed generator."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FEATURES, generator=g)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    return x, y


def dropout_mlp() -> nn.Module:
    """A classifier with dropout, so that a run depends on torch's random numbers."""
    return nn.Sequential(nn.Linear(FEATURES, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, CLASSES))


class TinyLSTMClassifier(nn.Module):
    """Sequence classifier: the last hidden state of an LSTM through a linear layer.

    inputs (B, T, D) -> logits (B, C).
    """

    def __init__(self, input_size: int, hidden_size: int, classes: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(inputs)  # h (1, B, H)
        return self.head(h[-1])  # (B, C)


class TinyLanguageModel(nn.Module):
    """The stateful model contract: ``model(inputs, state) -> (logits, new_state)``.

    inputs (k, B) token ids -> logits (k, B, V); state None or (h, c), each (1, B, H).
    Every call's incoming and outgoing state is kept in ``calls`` for the tests.
    """

    def __init__(self, vocab: int = 7, hidden: int = 5) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden)
        self.head = nn.Linear(hidden, vocab)
        self.calls: list[dict] = []

    def forward(self, inputs: torch.Tensor, state=None):
        out, new_state = self.lstm(self.embed(inputs), state)  # (k, B, H)
        self.calls.append({"training": self.training, "state_in": state, "state_out": new_state})
        return self.head(out), new_state
