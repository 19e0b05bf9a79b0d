"""Tests of lstm_course.train.history: columns, the best epoch and serialisation."""

from __future__ import annotations

import pytest

from lstm_course.train import EpochRecord, History


def _history(values, *, monitor="val_loss", mode="min", min_delta=0.0, metric=False) -> History:
    history = History(monitor=monitor, mode=mode, min_delta=min_delta)
    for epoch, value in enumerate(values, start=1):
        history.append(
            EpochRecord(
                epoch,
                train_loss=1.0 / epoch,
                lr=0.1,
                seconds=12.5,
                grad_norm=2.0,
                grad_norm_max=3.0,
                val_loss=None if metric else value,
                val_metrics={"accuracy": value} if metric else {},
            )
        )
    return history


@pytest.mark.parametrize(
    ("values", "mode", "min_delta", "expected"),
    [
        ([0.9, 0.5, 0.7, 0.6], "min", 0.0, 2),
        ([0.9, 0.5, 0.5, 0.4], "min", 0.0, 4),
        ([0.9, 0.5, 0.5], "min", 0.0, 2),  # a tie is not an improvement
        ([1.0, 0.97, 0.96, 0.955], "min", 0.05, 1),  # none beats 1.0 by more than 0.05
        ([1.0, 0.97, 0.96, 0.94], "min", 0.05, 4),
        ([0.2, 0.6, 0.5], "max", 0.0, 2),
        ([float("nan"), 0.8, 0.9], "min", 0.0, 2),  # non-finite values never count
    ],
)
def test_best_epoch(values, mode, min_delta, expected):
    history = _history(values, mode=mode, min_delta=min_delta)
    assert history.best_epoch == expected, f"values {values}, mode {mode}, min_delta {min_delta}: expected epoch {expected}"
    assert history.epochs_since_best == len(values) - expected


def test_best_epoch_of_an_empty_history_is_none():
    assert History().best_epoch is None and History().epochs_since_best == 0


def test_columns_put_metrics_after_val_loss():
    history = _history([0.5, 0.7], monitor="val_accuracy", mode="max", metric=True)
    assert history.columns == [
        "epoch", "train_loss", "val_loss", "val_accuracy", "lr", "grad_norm", "grad_norm_max", "seconds"
    ]
    assert history.column("val_accuracy") == [0.5, 0.7]
    assert history.as_dict()["val_loss"] == [None, None], "a run without val_loss records None"
    assert history.best_epoch == 2


def test_unknown_column_names_the_columns_there_are():
    with pytest.raises(KeyError, match="no column 'accuracy'; expected one of epoch, train_loss"):
        _history([0.5]).column("accuracy")


def test_records_must_come_in_epoch_order():
    history = _history([0.5])
    with pytest.raises(ValueError, match="expected the record of epoch 2; got epoch 3"):
        history.append(EpochRecord(3, train_loss=1.0, lr=0.1, seconds=0.0))


def test_printed_record_never_shows_the_duration():
    text = str(_history([0.25], metric=True)[0])
    assert text == "epoch 1, train_loss 1.0000, val_accuracy 0.2500, lr 0.1", text
    assert "12.5" not in text and "second" not in text


def test_state_dict_round_trip():
    history = _history([0.9, 0.5, 0.7], monitor="val_accuracy", mode="max", min_delta=0.01, metric=True)
    history.stopped_early = True
    copy = History.from_state_dict(history.state_dict())
    assert copy.as_dict() == history.as_dict()
    assert (copy.monitor, copy.mode, copy.min_delta, copy.stopped_early) == ("val_accuracy", "max", 0.01, True)
