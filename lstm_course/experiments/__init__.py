"""Small, seeded experiments that the book runs when it is built.

``adding_problem``
    The adding problem of Hochreiter & Schmidhuber (1997): data, a
    last-step regressor on ``lstm_course.nn.LSTM``/``RNN`` and the paper's
    criterion of a correctly processed sequence.
"""
