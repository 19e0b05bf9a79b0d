"""The NumPy reference of the course: the source of truth for the maths.

Course-assignment style: every ``*_forward`` returns its outputs followed by a
``NamedTuple`` cache, every ``*_backward`` consumes that cache and returns a
``NamedTuple`` of gradients named ``d<argument>``; shapes are in every
docstring, and nothing is hidden in state. The outputs are what the equations
produce: ``(h_next, cache)`` for one step of the RNN or GRU, ``(h_next, c_next,
cache)`` for one step of an LSTM, whose state is the pair (h, c); over a
sequence ``(h, cache)`` and ``(h, c, cache)``; ``(out, cache)`` for the layers.
The sequence functions are loops over the step functions.
Weights use the layout of ``torch.nn`` (``w_ih (G*H, D)``, ``w_hh (G*H, H)``,
``b_ih``, ``b_hh``; gate order LSTM i, f, g, o and GRU r, z, n).

Modules: ``rnn``, ``lstm``, ``peephole_lstm``, ``gru``, ``gru_reset_before``
(one step and whole sequences), ``layers`` (affine, embedding,
cross-entropy), ``modules`` (``RNN``, ``LSTM``, ``GRU`` with the ``torch.nn``
interface), ``activations``, ``gradcheck`` and ``optim``. Each module's
docstring names the equations of the book that it implements.
"""

from .activations import log_softmax, relu, sigmoid, softmax, tanh
from .gradcheck import numerical_gradient, rel_error
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .layers import (
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
    softmax_cross_entropy,
    temporal_affine_backward,
    temporal_affine_forward,
)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .modules import GRU, LSTM, RNN
from .optim import SGD, Adam, clip_grad_norm
from .peephole_lstm import (
    peephole_lstm_backward,
    peephole_lstm_forward,
    peephole_lstm_step_backward,
    peephole_lstm_step_forward,
)
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__all__ = [
    "RNN", "LSTM", "GRU",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "peephole_lstm_step_forward", "peephole_lstm_step_backward", "peephole_lstm_forward", "peephole_lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "affine_forward", "affine_backward", "temporal_affine_forward", "temporal_affine_backward",
    "embedding_forward", "embedding_backward", "softmax_cross_entropy",
    "sigmoid", "tanh", "relu", "softmax", "log_softmax",
    "numerical_gradient", "rel_error",
    "clip_grad_norm", "SGD", "Adam",
]
