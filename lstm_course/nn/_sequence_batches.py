"""Checks and runs of padded batches of sequences, for the models of ``heads.py``
and ``seq2seq.py``.

Layout: batch first, ``tokens (B, T)`` integers, ``lengths (B,)``; the LSTM
states keep ``torch.nn``'s layout ``(L * directions, B, H)``. With
``lengths`` a batch is packed (``pack_padded_sequence(...,
enforce_sorted=False)``), so that the LSTM never reads padding
(book/training_batching.md).
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .lstm import LSTM


def check_tokens(tokens: Tensor, name: str = "tokens") -> None:
    """Raise ``ValueError`` unless ``tokens`` is a ``(B, T)`` integer tensor with T >= 1."""
    if tokens.dim() != 2 or tokens.dtype not in (torch.int32, torch.int64) or tokens.shape[1] == 0:
        raise ValueError(f"{name} must be a (B, T) integer tensor with T >= 1, "
                         f"got shape {tuple(tokens.shape)} and dtype {tokens.dtype}")


def check_tokens_and_lengths(tokens: Tensor, lengths: Tensor, name: str = "tokens") -> None:
    """Raise ``ValueError`` unless ``tokens (B, T)`` is an integer tensor and
    ``lengths (B,)`` holds integers in 1..T."""
    check_tokens(tokens, name)
    batch, steps = tokens.shape
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(f"lengths must have shape (B,) = ({batch},) to match {name}, got {tuple(lengths.shape)}")
    if lengths.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"lengths must be an integer tensor, got dtype {lengths.dtype}")
    if bool((lengths < 1).any()) or bool((lengths > steps).any()):
        raise ValueError(f"lengths must lie in 1..T = 1..{steps}, got {lengths.tolist()}")


def run_lstm(lstm: LSTM, inputs: Tensor, lengths: Optional[Tensor] = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Run a ``batch_first`` LSTM over ``inputs (B, T, ·)``, packed when ``lengths (B,)`` is given.

    Returns ``output (B, T, directions * H)`` (zero after each sequence's end
    when packed) and ``(h_n, c_n)``, each ``(L * directions, B, H)``.
    """
    if lengths is None:
        return lstm(inputs)
    # pack_padded_sequence wants the lengths on the CPU, whatever the device of the data.
    packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    output, state = lstm(packed)
    output, _ = pad_packed_sequence(output, batch_first=True, total_length=inputs.shape[1])
    return output, state


def last_layer_state(h_n: Tensor, directions: int) -> Tensor:
    """``(B, directions * H)``: the final hidden state of the last layer, directions concatenated."""
    return h_n[-directions:].transpose(0, 1).reshape(h_n.shape[1], -1)
