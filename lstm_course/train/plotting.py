"""Learning curves: a :class:`~lstm_course.train.History` drawn with matplotlib."""

from __future__ import annotations

from typing import Optional, Sequence

from .history import History


def plot_history(
    history: History,
    ax=None,
    metrics: Optional[Sequence[str]] = None,
    *,
    mark_best: bool = True,
):
    """Draw history columns against the epoch, one line per column.

    Args:
        history: what :func:`~lstm_course.train.fit` returned.
        ax: the matplotlib ``Axes`` to draw on; None draws on a new figure.
        metrics: the columns to draw, such as ``["val_accuracy"]``; None
            draws ``train_loss`` and, when the run had validation data,
            ``val_loss``. Put columns of different scales on separate axes.
        mark_best: draw a dashed vertical line at ``history.best_epoch``.

    Returns:
        The ``Axes``. Nothing is shown: in a notebook the figure appears by
        itself, in a script call ``plt.show()``.

    Raises:
        ValueError: the history is empty, or a column asked for has no values.
        KeyError: a column that the history does not have.

    >>> from matplotlib.figure import Figure
    >>> from lstm_course.train import EpochRecord
    >>> h = History()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.4], start=1):
    ...     h.append(EpochRecord(epoch, train_loss=loss, lr=0.1, seconds=0.0))
    >>> ax = plot_history(h, ax=Figure().subplots())
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss', 'best epoch (3)']
    """
    if len(history) == 0:
        raise ValueError("the history is empty; expected at least one epoch to plot")
    if metrics is None:
        metrics = [name for name in ("train_loss", "val_loss") if any(v is not None for v in history.column(name))]
    if ax is None:
        # Imported here so that importing the package never picks a matplotlib backend.
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    epochs = history.column("epoch")
    for name in metrics:
        points = [(epoch, value) for epoch, value in zip(epochs, history.column(name)) if value is not None]
        if not points:
            raise ValueError(f"column {name!r} has no values in this history; expected a column the run recorded")
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker=".", label=name)
    best = history.best_epoch if mark_best else None
    if best is not None:
        ax.axvline(best, color="0.5", linestyle="--", linewidth=1, label=f"best epoch ({best})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if all(name.endswith("loss") for name in metrics) else "value")
    ax.legend()
    return ax
