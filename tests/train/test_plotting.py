"""Tests of lstm_course.train.plotting: the learning-curve plot."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from lstm_course.train import EpochRecord, History, plot_history


def _history(with_val: bool = True) -> History:
    history = History(monitor="val_loss" if with_val else "train_loss")
    for epoch, (train, val) in enumerate([(1.0, 1.1), (0.6, 0.8), (0.4, 0.9)], start=1):
        history.append(
            EpochRecord(
                epoch,
                train_loss=train,
                lr=0.1,
                seconds=1.0,
                val_loss=val if with_val else None,
                val_metrics={"accuracy": 0.5 + 0.1 * epoch} if with_val else {},
            )
        )
    return history


def test_draws_the_loss_curves_on_the_given_axes():
    ax = Figure().subplots()
    assert plot_history(_history(), ax=ax) is ax, "expected the Axes it drew on"
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train_loss", "val_loss", "best epoch (2)"}
    assert list(lines["train_loss"].get_xdata()) == [1, 2, 3]
    assert list(lines["val_loss"].get_ydata()) == [1.1, 0.8, 0.9]
    assert list(lines["best epoch (2)"].get_xdata()) == [2, 2], "expected the dashed line at the best epoch"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_without_validation_only_the_training_loss_is_drawn():
    ax = plot_history(_history(with_val=False), ax=Figure().subplots(), mark_best=False)
    assert [line.get_label() for line in ax.get_lines()] == ["train_loss"]


def test_chosen_metrics_and_a_new_figure():
    import matplotlib.pyplot as plt

    ax = plot_history(_history(), metrics=["val_accuracy"])
    try:
        assert [line.get_label() for line in ax.get_lines()][0] == "val_accuracy"
        assert ax.get_ylabel() == "value"
    finally:
        plt.close(ax.figure)


def test_bad_requests_are_errors():
    ax = Figure().subplots()
    with pytest.raises(KeyError, match="no column 'accuracy'"):
        plot_history(_history(), ax=ax, metrics=["accuracy"])
    with pytest.raises(ValueError, match="column 'val_loss' has no values in this history"):
        plot_history(_history(with_val=False), ax=ax, metrics=["val_loss"])
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(History(), ax=ax)
