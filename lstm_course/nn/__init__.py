"""PyTorch implementations of the course's recurrent networks, written from
the equations and checked against ``torch.nn`` and the NumPy reference.

``recurrent``
    ``RNN``, ``LSTM``, ``GRU``: drop-in replacements for their ``torch.nn``
    namesakes (same arguments, parameter names, state dicts, return values,
    ``PackedSequence`` input).
``cells``
    ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the step functions.

Every module runs on the device of its parameters; pick that device with
``lstm_course.train.pick_device()`` (CUDA, then MPS, then CPU).
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .recurrent import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
