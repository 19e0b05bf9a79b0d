"""Companion package of the LSTM course; ``CONTRIBUTING.md`` maps each model to its chapter, code and tests.

``lstm_course.numpy_ref``
    The NumPy reference: forward and hand-written backward passes of the
    Elman RNN, the LSTM (with and without peepholes) and the GRU, the layers
    around them, gradient checking and optimisers. It reads like the book's
    equations and is the source of truth for the maths.
``lstm_course.nn``
    PyTorch modules with the same file names as ``numpy_ref`` (``rnn``,
    ``lstm``, ``gru``): drop-ins for ``torch.nn.RNN``/``LSTM``/``GRU`` and their
    cells, the variants of the book, attention, sequence-to-sequence models
    and decoding.
``lstm_course.train``
    Device choice, seeding, the training loop, checkpoints and truncated BPTT.
``lstm_course.data``, ``lstm_course.applications``
    The data of part II (shipped with the package, never downloaded) and the
    tested code behind each application chapter.
``lstm_course.experiments``, ``lstm_course.diagrams``
    The seeded measurements and the diagrams that the chapters show.
``lstm_course.grading``
    The exercises: releasing student versions, self-checks, and the
    sandboxed grader behind ``lstm-course grade``.

Every implementation uses the parameter layout of ``torch.nn`` so that each
one can be checked against PyTorch.
"""

__version__ = "0.1.0"
