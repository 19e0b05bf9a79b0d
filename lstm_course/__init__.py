"""Companion package of the LSTM course.

``lstm_course.numpy_ref``
    The NumPy reference: forward and hand-written backward passes of the
    Elman RNN, the LSTM (with and without peepholes) and the GRU, the layers
    around them, gradient checking and optimisers. It is the source of truth
    for the maths of the book.

Every implementation uses the parameter layout of ``torch.nn`` so that each
one can be checked against PyTorch.
"""

__version__ = "0.1.0"
