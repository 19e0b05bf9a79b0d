"""Models for the course's applications: an LSTM with an input layer and a head.

``SequenceClassifier``
    embedding -> LSTM -> linear on the final state: one label per sequence
    (sentiment, topic).
``SequenceTagger``
    embedding -> bidirectional LSTM (Schuster & Paliwal 1997, "Bidirectional
    recurrent neural networks") -> linear at every position: one label per
    token (part of speech, named entities).
``LanguageModel``
    embedding -> LSTM -> linear, trained to predict the next token, with
    optional weight tying (Press & Wolf 2017) and sampling.
``Forecaster``
    LSTM -> linear on real-valued series: many-to-one (the next value) or
    many-to-many (a value per step).

Layout: batch first everywhere, ``tokens (B, T)`` long, ``lengths (B,)``,
series ``(B, T, D)``; the LSTM states keep ``torch.nn``'s layout
``(L * directions, B, H)``. E embedding, H hidden units, V vocabulary,
C classes, L layers.

Padded batches: with ``lengths`` the sequences are packed
(``pack_padded_sequence(..., enforce_sorted=False)``), so the LSTM never reads
padding: the final state of a sequence is the state after its last real
token, and the backward direction of a bidirectional LSTM starts there.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ._checks import check_positive_int
from ._sequence_batches import check_tokens, check_tokens_and_lengths, last_layer_state, run_lstm
from .lstm import LSTM


class SequenceClassifier(nn.Module):
    """Embedding -> LSTM -> dropout -> linear on the last layer's final state.

    Args:
        vocab_size: V.
        embedding_size: E.
        hidden_size: H.
        num_classes: C.
        num_layers: L.
        bidirectional: read the sequence both ways and concatenate the two
            final states (forward after the last token, backward after the first).
        dropout: between LSTM layers and before the linear layer.
        padding_idx: the padding token, embedded as zeros.

    ``forward(tokens (B, T), lengths (B,)) -> logits (B, C)``.

    >>> model = SequenceClassifier(10, 4, 6, num_classes=3)
    >>> model(torch.randint(1, 10, (2, 5)), torch.tensor([5, 2])).shape
    torch.Size([2, 3])
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, num_classes: int,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=padding_idx)
        # The LSTM's own dropout acts between layers: with one there is none, and torch.nn warns.
        self.lstm = LSTM(embedding_size, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0,
                         bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size * self.lstm.num_directions, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        check_tokens_and_lengths(tokens, lengths)
        _, (h_n, _) = run_lstm(self.lstm, self.embedding(tokens), lengths)
        return self.classifier(self.dropout(last_layer_state(h_n, self.lstm.num_directions)))


class SequenceTagger(nn.Module):
    """Embedding -> bidirectional LSTM -> dropout -> linear at every position.

    The output at position t sees the whole sentence: the forward direction
    summarises tokens 1..t, the backward one tokens t..T.

    Args:
        vocab_size: V.
        embedding_size: E.
        hidden_size: H, per direction.
        num_tags: the number of labels.
        num_layers: L.
        dropout: between LSTM layers and before the linear layer.
        padding_idx: the padding token, embedded as zeros.

    ``forward(tokens (B, T), lengths (B,) or None) -> logits (B, T, num_tags)``.
    Without ``lengths`` every sequence is taken to fill the T steps. The
    logits at padded positions are meaningless; leave them out of the loss
    (``ignore_index`` of ``cross_entropy`` on the padded labels).

    >>> SequenceTagger(10, 4, 6, num_tags=5)(torch.randint(1, 10, (2, 7))).shape
    torch.Size([2, 7, 5])
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, num_tags: int,
                 num_layers: int = 1, dropout: float = 0.0, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=padding_idx)
        self.lstm = LSTM(embedding_size, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0,
                         bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.tagger = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, tokens: Tensor, lengths: Optional[Tensor] = None) -> Tensor:
        if lengths is None:
            check_tokens(tokens)
        else:
            check_tokens_and_lengths(tokens, lengths)
        output, _ = run_lstm(self.lstm, self.embedding(tokens), lengths)
        return self.tagger(self.dropout(output))


def sample_logits(logits: Tensor, temperature: float = 1.0, top_k: Optional[int] = None,
                  generator: Optional[torch.Generator] = None) -> Tensor:
    """Draw one token per row of ``logits (B, V)`` from ``softmax(logits / temperature)``,
    restricted to the ``top_k`` most probable tokens when given; returns ``(B,)`` long.

    Uses the Gumbel-max trick (see Maddison, Tarlow & Minka 2014, "A* sampling"):
    ``argmax_v (logits_v / temperature + g_v)`` with g_v = -log(-log u_v),
    u_v ~ U(0, 1), is a draw from that softmax. The uniforms come from
    ``generator`` on its own device, so a seeded CPU generator gives the same
    tokens whatever the device of ``logits``. As the temperature goes to 0
    the logits outweigh the noise and the draw becomes the argmax; ``top_k=1``
    is exactly the argmax. A ``top_k`` above V keeps every token.

    >>> sample_logits(torch.tensor([[0.0, 3.0, 1.0]]), top_k=1)
    tensor([1])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be None or an integer >= 1, got {top_k!r}")
    scaled = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kept, index = scaled.topk(top_k, dim=-1)
        scaled = torch.full_like(scaled, float("-inf")).scatter(-1, index, kept)
    device = generator.device if generator is not None else logits.device
    uniform = torch.rand(scaled.shape, generator=generator, device=device, dtype=scaled.dtype).to(logits.device)
    # u = 0 gives g = -inf, so that token is not chosen; u < 1 keeps g finite.
    gumbel = -torch.log(-torch.log(uniform))
    return (scaled + gumbel).argmax(dim=-1)


class LanguageModel(nn.Module):
    """Embedding -> dropout -> LSTM -> dropout -> [projection] -> linear: next-token logits.

    Weight tying (Press & Wolf 2017, "Using the output embedding to improve
    language models"; Inan, Khosravi & Socher 2017) uses the embedding matrix
    ``(V, E)`` as the weight of the output layer, so the output layer must
    read E features: either H == E, or ``project=True`` inserts a linear map
    ``W_p (E, H)`` between the LSTM and the output layer.

    Args:
        vocab_size: V.
        embedding_size: E.
        hidden_size: H.
        num_layers: L.
        dropout: on the embeddings, between LSTM layers and on the LSTM output
            (Zaremba, Sutskever & Vinyals 2014).
        tie_weights: share the embedding and output weights (one Parameter).
        project: add the projection H -> E before the output layer.

    ``forward(tokens (B, T), state=None) -> (logits (B, T, V), (h, c))`` with
    h, c ``(L, B, H)``: pass the state back to continue a text.
    ``generate(prompt, max_new_tokens, ...) -> (B, max_new_tokens)``.

    >>> model = LanguageModel(12, 8, 8, tie_weights=True)
    >>> model.output.weight is model.embedding.weight
    True
    >>> logits, (h, c) = model(torch.randint(0, 12, (2, 5)))
    >>> logits.shape, h.shape
    (torch.Size([2, 5, 12]), torch.Size([1, 2, 8]))
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, tie_weights: bool = False, project: bool = False):
        super().__init__()
        if tie_weights and not project and hidden_size != embedding_size:
            raise ValueError(f"tie_weights needs hidden_size == embedding_size, got hidden_size={hidden_size} and "
                             f"embedding_size={embedding_size}; pass project=True to map H to E first")
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.dropout = nn.Dropout(dropout)
        self.lstm = LSTM(embedding_size, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0)
        self.projection = nn.Linear(hidden_size, embedding_size, bias=False) if project else None
        self.output = nn.Linear(embedding_size if project else hidden_size, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight

    def forward(self, tokens: Tensor, state: Optional[tuple[Tensor, Tensor]] = None):
        check_tokens(tokens)
        output, state = self.lstm(self.dropout(self.embedding(tokens)), state)
        output = self.dropout(output)
        if self.projection is not None:
            output = self.projection(output)
        return self.output(output), state

    @torch.no_grad()
    def generate(self, prompt: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: Optional[int] = None,
                 greedy: bool = False, generator: Optional[torch.Generator] = None) -> Tensor:
        """Continue ``prompt (B, T_0)`` by ``max_new_tokens`` tokens; returns only the new ones.

        Each token is the argmax of the logits when ``greedy``, else a draw
        from ``sample_logits(logits, temperature, top_k, generator)``. Call
        ``eval()`` first so that dropout is off.
        """
        check_tokens(prompt, "prompt")
        check_positive_int("max_new_tokens", max_new_tokens)
        logits, state = self(prompt)
        new_tokens = []
        for n in range(max_new_tokens):
            last = logits[:, -1]
            token = last.argmax(dim=-1) if greedy else sample_logits(last, temperature, top_k, generator)
            new_tokens.append(token)
            if n + 1 < max_new_tokens:
                logits, state = self(token.unsqueeze(1), state)
        return torch.stack(new_tokens, dim=1)


class Forecaster(nn.Module):
    """LSTM -> linear for real-valued series, batch first.

    Many-to-one (``many_to_many=False``): ``(B, T, D) -> (B, O)`` from the last
    step's output, e.g. the value at T + 1. Many-to-many: ``(B, T, D) -> (B, T, O)``,
    a prediction after every step, e.g. of x_{t+1} from x_1..x_t.

    Args:
        input_size: D, features per step.
        hidden_size: H.
        output_size: O, values predicted.
        num_layers: L.
        dropout: between LSTM layers.
        many_to_many: one prediction per step instead of one per sequence.

    >>> Forecaster(3, 8, 2)(torch.randn(4, 10, 3)).shape
    torch.Size([4, 2])
    >>> Forecaster(3, 8, 2, many_to_many=True)(torch.randn(4, 10, 3)).shape
    torch.Size([4, 10, 2])
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1, num_layers: int = 1,
                 dropout: float = 0.0, many_to_many: bool = False):
        super().__init__()
        self.input_size, self.many_to_many = input_size, many_to_many
        self.lstm = LSTM(input_size, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, series: Tensor) -> Tensor:
        if series.dim() != 3 or series.shape[2] != self.input_size or series.shape[1] == 0:
            raise ValueError(f"series must have shape (B, T, D={self.input_size}) with T >= 1, "
                             f"got {tuple(series.shape)}")
        output, _ = self.lstm(series)
        return self.head(output if self.many_to_many else output[:, -1])
