"""How far back a gradient reaches in a recurrent network, with and without truncation.

``recurrent_weights``
    a random recurrent matrix with a chosen spectral radius.
``state_jacobian``
    the Jacobian of one hidden state of a tanh RNN with respect to an earlier
    one, as the product of one-step Jacobians (Bengio, Simard & Frasconi 1994;
    Pascanu, Mikolov & Bengio 2013), from the states of
    ``lstm_course.numpy_ref.rnn.rnn_forward``.
``hidden_gradient_norms``
    the norm of the gradient of a loss on the last hidden state with respect
    to every earlier hidden state, measured with autograd on an
    ``lstm_course.nn.RNN``, ``LSTM`` or ``GRU`` layer.
``truncation_mask``, ``truncated_gradient_map``
    which inputs the loss of each step reaches under truncated
    back-propagation through time with parameters (k1, k2) (Williams & Peng
    1990), by definition and as measured with autograd.
``StatefulCharLM``
    a small time-major character model with the contract of
    ``lstm_course.train.tbptt``: ``model(tokens, state) -> (logits, state)``.

Dimensions: T time steps, B batch, D input features, H hidden units,
V vocabulary size. Time steps are 1-based in the equations (h_0 is the
initial state) and 0-based in arrays, as everywhere in the course.

Taught in the book's chapter "Backpropagation through time and the
vanishing gradient".
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn

from ..nn import GRU, LSTM, RNN


def recurrent_weights(rng: np.random.Generator, hidden: int, rho: float) -> np.ndarray:
    """A random (hidden, hidden) matrix with standard normal entries, rescaled to spectral radius ``rho``.

    The spectral radius, the largest absolute value of the eigenvalues, sets
    how fast the powers of the matrix grow or shrink.

    >>> w = recurrent_weights(np.random.default_rng(0), 8, 0.9)
    >>> round(float(np.max(np.abs(np.linalg.eigvals(w)))), 6)
    0.9
    """
    w = rng.standard_normal((hidden, hidden))
    return w * rho / np.max(np.abs(np.linalg.eigvals(w)))


def state_jacobian(h: np.ndarray, w_hh: np.ndarray, t: int, k: int) -> np.ndarray:
    """``dh_t / dh_k = prod_{j=t}^{k+1} diag(1 - h_j^2) W_hh`` for a tanh RNN, 0 <= k <= t.

    Args:
        h: (T, H) the hidden states h_1, ..., h_T of one sequence, for instance
            ``rnn_forward(...)[0][:, b]``; row j - 1 holds h_j.
        w_hh: (H, H) the recurrent weights.
        t, k: steps of the equations (1-based; k = 0 is the initial state).

    Returns:
        (H, H): entry (i, j) is the derivative of unit i of h_t with respect
        to unit j of h_k; the identity when t == k.

    >>> h = np.tanh(np.ones((3, 2)))
    >>> state_jacobian(h, np.eye(2), 3, 3)
    array([[1., 0.],
           [0., 1.]])
    """
    steps, hidden = h.shape
    if w_hh.shape != (hidden, hidden):
        raise ValueError(f"w_hh must have shape (H, H) = ({hidden}, {hidden}); got {w_hh.shape}")
    if not 0 <= k <= t <= steps:
        raise ValueError(f"expected 0 <= k <= t <= T = {steps}; got t={t}, k={k}")
    jacobian = np.eye(hidden)  # dh_k / dh_k
    for j in range(k + 1, t + 1):
        phi_prime = 1.0 - h[j - 1] ** 2  # (H,) tanh'(a_j), from h_j = tanh(a_j)
        jacobian = (phi_prime[:, None] * w_hh) @ jacobian  # diag(phi'(a_j)) W_hh (dh_{j-1} / dh_k)
    return jacobian


def _hidden(state):
    """h from a layer's final state: h_n, or the first of (h_n, c_n)."""
    return state[0] if isinstance(state, tuple) else state


def _check_layer(layer: nn.Module) -> None:
    if not isinstance(layer, (RNN, LSTM, GRU)):
        raise TypeError(f"layer must be an lstm_course.nn RNN, LSTM or GRU; got {type(layer).__name__}")
    if layer.num_layers != 1 or layer.bidirectional or layer.batch_first or layer.proj_size:
        raise ValueError("expected a one-layer, one-direction, time-major layer without projection; got "
                         f"{layer!r}")


def hidden_gradient_norms(layer: nn.Module, x: Tensor) -> Tensor:
    """``||dL/dh_k||`` for k = 1, ..., T, with the loss ``L = sum_j h_{T,j}`` on the last state.

    The layer runs one step at a time, so that every hidden state is a
    tensor of the graph that autograd can differentiate against; for an
    LSTM, h_k is differentiated with its cell state c_k held apart (the
    gradient that reaches h_k, not the one that reaches c_k).

    Args:
        layer: a one-layer, time-major ``lstm_course.nn`` RNN, LSTM or GRU.
        x: (T, B, D) inputs; the B sequences are independent.

    Returns:
        (T, B): row k - 1 holds ``||dL/dh_k||`` of each sequence; row T - 1,
        the last state itself, is ``sqrt(H)``.

    >>> _ = torch.manual_seed(0)
    >>> norms = hidden_gradient_norms(RNN(2, 4), torch.randn(5, 3, 2))
    >>> norms.shape, bool(torch.allclose(norms[-1], torch.tensor(2.0)))
    (torch.Size([5, 3]), True)
    """
    _check_layer(layer)
    if x.dim() != 3:
        raise ValueError(f"x must be (T, B, D); got shape {tuple(x.shape)}")
    state, hidden_states = None, []
    for t in range(x.shape[0]):
        _, state = layer(x[t : t + 1], state)
        hidden_states.append(_hidden(state))  # (1, B, H), h_{t+1}
    loss = hidden_states[-1].sum()
    grads = torch.autograd.grad(loss, hidden_states)
    return torch.stack([g[0].norm(dim=-1) for g in grads]).detach()  # (T, B)


def _check_truncation(k1: int, k2: int) -> None:
    for name, value in (("k1", k1), ("k2", k2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    if k2 < k1:
        raise ValueError(f"expected k2 >= k1, so that every loss of a window is back-propagated; got k1={k1}, k2={k2}")


def _windows(steps: int, k1: int, k2: int) -> list[tuple[int, int, int]]:
    """(start, first_loss, end) of every backward pass: steps [start, end), losses [first_loss, end)."""
    windows, first = [], 0
    for end in list(range(k1, steps, k1)) + [steps]:
        windows.append((max(0, end - k2), first, end))
        first = end
    return windows


def truncation_mask(steps: int, k1: int, k2: int) -> np.ndarray:
    """Which input each step's loss reaches under truncated BPTT with parameters (k1, k2).

    Every k1 steps, the losses of the last k1 steps are back-propagated
    through the last k2 steps (k2 >= k1); the state from before those k2
    steps enters as a constant. ``k1 = k2 = k`` is the chunked truncation of
    ``lstm_course.train`` (``tbptt_batches`` and ``TrainConfig(stateful=True)``);
    ``k1 = k2 = T`` is full BPTT.

    Args:
        steps: T.
        k1: steps between two backward passes.
        k2: steps each backward pass goes through.

    Returns:
        (T, T) bool: entry (t, s) tells whether the loss of step t (0-based)
        sends a gradient to the input of step s.

    >>> truncation_mask(4, 2, 2).astype(int)
    array([[1, 0, 0, 0],
           [1, 1, 0, 0],
           [0, 0, 1, 0],
           [0, 0, 1, 1]])
    """
    _check_truncation(k1, k2)
    mask = np.zeros((steps, steps), dtype=bool)
    for start, first, end in _windows(steps, k1, k2):
        for t in range(first, end):
            mask[t, start : t + 1] = True
    return mask


def truncated_gradient_map(layer: nn.Module, x: Tensor, k1: int, k2: int) -> np.ndarray:
    """``||d l_t / d x_s||`` as truncated BPTT (k1, k2) computes it, with ``l_t = sum_j h_{t,j}``.

    The forward pass runs once through the whole sequence; every backward pass
    of :func:`truncation_mask` reruns its k2 steps from the stored state,
    detached, and differentiates each of its losses against its inputs.

    Args:
        layer: a one-layer, time-major ``lstm_course.nn`` RNN, LSTM or GRU.
        x: (T, B, D) inputs.
        k1, k2: as in :func:`truncation_mask`.

    Returns:
        (T, T) float64: entry (t, s) is the norm, over the batch and the
        features, of the gradient of the loss of step t with respect to the
        input of step s; zero where the truncation stops the gradient.
    """
    _check_layer(layer)
    _check_truncation(k1, k2)
    steps = x.shape[0]
    starts, state = [None], None  # starts[s]: the state before step s
    with torch.no_grad():
        for t in range(steps - 1):
            _, state = layer(x[t : t + 1], state)
            starts.append(state)
    grid = np.zeros((steps, steps))
    for start, first, end in _windows(steps, k1, k2):
        segment = x[start:end].detach().requires_grad_(True)
        output, _ = layer(segment, starts[start])  # (end - start, B, H)
        for t in range(first, end):
            (grad,) = torch.autograd.grad(output[t - start].sum(), segment, retain_graph=True)
            grid[t, start:end] = grad.flatten(1).norm(dim=1).double().numpy()
    return grid


class StatefulCharLM(nn.Module):
    """Embedding -> ``lstm_course.nn`` LSTM (or RNN) -> linear, time-major, for truncated BPTT.

    ``forward(tokens (k, B), state=None) -> (logits (k, B, V), state)``, the
    contract of :func:`lstm_course.train.fit` with ``TrainConfig(stateful=True)``;
    the state is ``(h, c)`` for the LSTM and ``h`` for the RNN, each (1, B, H).

    Args:
        vocab_size: V.
        embedding_size: E, the size of a token's vector.
        hidden_size: H.
        cell: ``"lstm"`` or ``"rnn"`` (tanh).

    >>> model = StatefulCharLM(5, 3, 4)
    >>> logits, (h, c) = model(torch.zeros(6, 2, dtype=torch.long))
    >>> logits.shape, h.shape
    (torch.Size([6, 2, 5]), torch.Size([1, 2, 4]))
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, cell: str = "lstm") -> None:
        super().__init__()
        if cell not in ("lstm", "rnn"):
            raise ValueError(f"cell must be 'lstm' or 'rnn'; got {cell!r}")
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.recurrent = (LSTM if cell == "lstm" else RNN)(embedding_size, hidden_size)
        self.output = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: Tensor, state: Optional[object] = None):
        if tokens.dim() != 2 or tokens.dtype != torch.long:
            raise ValueError(f"tokens must be a (k, B) int64 tensor; got shape {tuple(tokens.shape)} "
                             f"and dtype {tokens.dtype}")
        output, state = self.recurrent(self.embedding(tokens), state)  # (k, B, H)
        return self.output(output), state
