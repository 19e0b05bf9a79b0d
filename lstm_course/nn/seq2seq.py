"""An encoder-decoder with attention, trained with teacher forcing or scheduled sampling.

The encoder (Sutskever, Vinyals & Le 2014, "Sequence to sequence learning
with neural networks"; Cho et al. 2014, "Learning phrase representations
using RNN encoder-decoder for statistical machine translation") reads the
source x_1..x_S with a bidirectional LSTM and keeps every state as the
*memory* m_1..m_S. The decoder is the global attention model with input
feeding of Luong, Pham & Manning (2015, "Effective approaches to
attention-based neural machine translation"); at output step t, with
y_0 = BOS and h~_0 = 0::

    h_t, c_t = LSTMCell([E y_{t-1}; h~_{t-1}], (h_{t-1}, c_{t-1}))
    context_t, a_t = attention(h_t, m_1..m_S, mask)
    h~_t = tanh(W_c [context_t; h_t] + b_c)
    logits_t = W_o h~_t + b_o

The score of the attention is additive (Bahdanau, Cho & Bengio 2015) or
multiplicative ("dot", "general"; Luong et al. 2015), see ``attention.py``.
The decoder starts from ``h_0 = tanh(W_b m_final + b_b)``, ``c_0 = 0``, where
m_final concatenates the encoder's last-layer final states (forward and
backward), as Bahdanau et al. (2015) initialise theirs from the encoder.

Training feeds y_{t-1} from the data (teacher forcing), or, with scheduled
sampling (Bengio, Vinyals, Jaitly & Shazeer 2015, "Scheduled sampling for
sequence prediction with recurrent neural networks"), the model's own most
probable token at step t-1 instead, independently for each sequence and step
with probability ``sampling_probability``. The schedules of that paper give
eps_i, the probability of the *ground truth* at training step i; pass
``sampling_probability = 1 - eps_i``.

Layout: batch first. ``source (B, S)`` and ``targets (B, T)`` long,
``source_lengths (B,)``; E embedding, H hidden units, M = 2H memory size
(H with a unidirectional encoder), V_s / V_t source / target vocabularies.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import torch
from torch import Tensor, nn

from .attention import AdditiveAttention, MultiplicativeAttention, lengths_to_mask
from ._sequence_batches import check_tokens, check_tokens_and_lengths, last_layer_state, run_lstm
from .decoding import Decoded, beam_search, greedy_decode
from .lstm import LSTM, LSTMCell

ATTENTIONS = ("additive", "dot", "general")


def inverse_sigmoid_decay(step: int, k: float) -> float:
    """``eps_i = k / (k + exp(i / k))`` (Bengio et al. 2015), k >= 1.

    Starts at k / (k + 1) and falls to 0 along a sigmoid centred on
    i = k log k; a larger k decays later.

    >>> round(inverse_sigmoid_decay(0, 1.0), 3)
    0.5
    """
    _check_step(step)
    if k < 1:
        raise ValueError(f"k must be >= 1 for the inverse sigmoid decay, got {k!r}")
    # exp overflows a float past about 709; eps is 0 to double precision long before.
    return k / (k + math.exp(min(step / k, 700.0)))


def linear_decay(step: int, slope: float, start: float = 1.0, end: float = 0.0) -> float:
    """``eps_i = max(end, start - slope * i)`` (Bengio et al. 2015).

    Reaches ``end`` at step (start - end) / slope and stays there.

    >>> linear_decay(3, 0.25)
    0.25
    """
    _check_step(step)
    if slope <= 0:
        raise ValueError(f"slope must be > 0, got {slope!r}")
    if not 0.0 <= end <= start <= 1.0:
        raise ValueError(f"need 0 <= end <= start <= 1, got start={start!r}, end={end!r}")
    return max(end, start - slope * step)


def exponential_decay(step: int, rate: float) -> float:
    """``eps_i = rate ** i`` (Bengio et al. 2015), 0 < rate < 1: 1 at i = 0, then towards 0.

    >>> exponential_decay(2, 0.5)
    0.25
    """
    _check_step(step)
    if not 0.0 < rate < 1.0:
        raise ValueError(f"rate must be in (0, 1), got {rate!r}")
    return rate**step


def _check_step(step: int) -> None:
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")


class Encoder(nn.Module):
    """Embedding and an LSTM over padded token sequences, batch first.

    ``forward(source (B, S), lengths (B,)) -> (memory (B, S, M), final (B, M))``:
    the output of the last layer at every position (zero on padding) and its
    final states, both directions concatenated. The sequences are packed, so
    padding never enters the LSTM and the backward direction starts at each
    sequence's last real token.
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = True, dropout: float = 0.0, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=padding_idx)
        # The LSTM's own dropout acts between layers: with one there is none, and torch.nn warns.
        self.lstm = LSTM(embedding_size, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0,
                         bidirectional=bidirectional)
        self.memory_size = hidden_size * (2 if bidirectional else 1)

    def forward(self, source: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        check_tokens_and_lengths(source, lengths, "source")
        memory, (h_n, _) = run_lstm(self.lstm, self.embedding(source), lengths)
        return memory, last_layer_state(h_n, self.lstm.num_directions)


class DecoderState(NamedTuple):
    """What the decoder carries from one step to the next; batch first so that
    beam search can reorder it (``decoding.select_rows``)."""

    hidden: Tensor  # (B, H) h_{t-1}
    cell: Tensor  # (B, H) c_{t-1}
    feed: Tensor  # (B, H) attentional vector h~_{t-1}, fed back with the next token
    memory: Tensor  # (B, S, M) encoder states
    mask: Tensor  # (B, S) bool, True on real source tokens


class AttentionDecoder(nn.Module):
    """The Luong et al. (2015) decoder with input feeding (equations in the module docstring).

    Args:
        vocab_size: V_t.
        embedding_size: E.
        hidden_size: H.
        memory_size: M, the size of the encoder states.
        attention: "additive", "dot" (needs M == H) or "general".
        padding_idx: the padding token of the target embedding.
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, memory_size: int,
                 attention: str = "general", padding_idx: int = 0):
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=padding_idx)
        self.bridge = nn.Linear(memory_size, hidden_size)
        self.cell = LSTMCell(embedding_size + hidden_size, hidden_size)
        if attention == "additive":
            self.attention = AdditiveAttention(hidden_size, memory_size, hidden_size)
        else:
            self.attention = MultiplicativeAttention(hidden_size, memory_size, score=attention)
        self.combine = nn.Linear(memory_size + hidden_size, hidden_size)
        self.output = nn.Linear(hidden_size, vocab_size)

    def start(self, memory: Tensor, final: Tensor, mask: Tensor) -> DecoderState:
        """The state before the first step, from the ``Encoder``'s outputs and ``mask (B, S)``."""
        hidden = torch.tanh(self.bridge(final))
        zeros = torch.zeros_like(hidden)
        return DecoderState(hidden, zeros, zeros, memory, mask)

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """``tokens (B,)`` -> ``logits (B, V_t)``, next state, ``attention (B, S)``."""
        x = torch.cat([self.embedding(tokens), state.feed], dim=1)
        hidden, cell = self.cell(x, (state.hidden, state.cell))
        context, weights = self.attention(hidden, state.memory, mask=state.mask)
        feed = torch.tanh(self.combine(torch.cat([context, hidden], dim=1)))
        return self.output(feed), DecoderState(hidden, cell, feed, state.memory, state.mask), weights


class Seq2Seq(nn.Module):
    """Encoder-decoder with attention (see the module docstring).

    Args:
        source_vocab_size: V_s.
        target_vocab_size: V_t.
        embedding_size: E, for both embeddings.
        hidden_size: H, per direction of the encoder and of the decoder.
        attention: "additive", "dot" (needs ``bidirectional=False``) or "general".
        num_layers: encoder layers.
        bidirectional: bidirectional encoder.
        dropout: between encoder layers.
        bos_id, eos_id, pad_id: the special target tokens; the source is
            padded with ``pad_id`` too.

    ``forward(source, source_lengths, targets, sampling_probability=0.0,
    generator=None) -> (logits (B, T, V_t), attention (B, T, S))``;
    ``decode(source, source_lengths, max_len, beam_size=1, alpha=0.0) -> Decoded``.

    >>> model = Seq2Seq(7, 9, embedding_size=4, hidden_size=5)
    >>> source, lengths = torch.randint(3, 7, (2, 6)), torch.tensor([6, 4])
    >>> logits, attention = model(source, lengths, torch.randint(3, 9, (2, 3)))
    >>> logits.shape, attention.shape
    (torch.Size([2, 3, 9]), torch.Size([2, 3, 6]))
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, embedding_size: int, hidden_size: int,
                 attention: str = "general", num_layers: int = 1, bidirectional: bool = True,
                 dropout: float = 0.0, bos_id: int = 1, eos_id: int = 2, pad_id: int = 0):
        super().__init__()
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.encoder = Encoder(source_vocab_size, embedding_size, hidden_size, num_layers, bidirectional,
                               dropout, padding_idx=pad_id)
        self.decoder = AttentionDecoder(target_vocab_size, embedding_size, hidden_size, self.encoder.memory_size,
                                        attention, padding_idx=pad_id)

    def start(self, source: Tensor, source_lengths: Tensor) -> DecoderState:
        """Encode ``source (B, S)`` and return the decoder's initial state."""
        memory, final = self.encoder(source, source_lengths)
        return self.decoder.start(memory, final, lengths_to_mask(source_lengths, source.shape[1]))

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """One decoder step, the step function of ``decoding``."""
        return self.decoder.step(tokens, state)

    def forward(self, source: Tensor, source_lengths: Tensor, targets: Tensor, sampling_probability: float = 0.0,
                generator: Optional[torch.Generator] = None) -> tuple[Tensor, Tensor]:
        """Score ``targets (B, T)`` (y_1..y_T, EOS included, padded with ``pad_id``).

        The input at step t is BOS for t = 0; after that y_{t-1} (teacher
        forcing), or with probability ``sampling_probability``, drawn
        independently per sequence and step from ``generator``, the argmax of
        the model's logits at step t-1 (scheduled sampling). The draws happen
        on the generator's device, so a CPU generator reproduces a run on any
        device. No draw at all is made with ``sampling_probability = 0``.

        Returns ``logits (B, T, V_t)``, aligned with ``targets`` for the loss,
        and the attention weights ``(B, T, S)``.
        """
        if not 0.0 <= sampling_probability <= 1.0:
            raise ValueError(f"sampling_probability must be in [0, 1], got {sampling_probability!r}")
        check_tokens(targets, "targets")
        if targets.shape[0] != source.shape[0]:
            raise ValueError(f"targets must have shape (B={source.shape[0]}, T), got {tuple(targets.shape)}")
        state = self.start(source, source_lengths)
        batch, steps = targets.shape
        use_prediction = None
        if sampling_probability > 0.0:
            draw_device = generator.device if generator is not None else targets.device
            coins = torch.rand(batch, steps, generator=generator, device=draw_device)
            use_prediction = (coins < sampling_probability).to(targets.device)
        tokens = torch.full((batch,), self.bos_id, dtype=torch.long, device=targets.device)
        all_logits, all_weights = [], []
        for t in range(steps):
            if t > 0:
                tokens = targets[:, t - 1]
                if use_prediction is not None:
                    tokens = torch.where(use_prediction[:, t], logits.argmax(dim=-1), tokens)
            logits, state, weights = self.step(tokens, state)
            all_logits.append(logits)
            all_weights.append(weights)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)

    @torch.no_grad()
    def decode(self, source: Tensor, source_lengths: Tensor, max_len: int, beam_size: int = 1,
               alpha: float = 0.0) -> Decoded:
        """Translate ``source (B, S)``: greedy for ``beam_size=1``, else beam search
        with length-normalization exponent ``alpha`` (see ``decoding``). Call
        ``eval()`` first so that dropout is off."""
        state = self.start(source, source_lengths)
        start = torch.full((source.shape[0],), self.bos_id, dtype=torch.long, device=source.device)
        if beam_size == 1:
            return greedy_decode(self.step, state, start, self.eos_id, max_len, alpha)
        return beam_search(self.step, state, start, self.eos_id, max_len, beam_size, alpha)
