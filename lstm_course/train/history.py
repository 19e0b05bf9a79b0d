"""What a training run records: one :class:`EpochRecord` per epoch, in a :class:`History`.

A history is a table with one row per epoch. Its columns:

``epoch``          1 for the first epoch
``train_loss``     mean training loss over the epoch's batches
``val_loss``       mean validation loss after the epoch (None without validation data)
``val_<name>``     each validation metric passed to ``fit``
``lr``             learning rate of the first parameter group at the start of the epoch
``grad_norm``      mean over the epoch's steps of the global gradient norm before clipping
``grad_norm_max``  largest of those norms
``seconds``        wall-clock duration of the epoch, training and validation

The duration is kept for plots and benchmarks but never printed, so that
the printed output of a page is the same on every build.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Iterator, Optional

_FIRST_COLUMNS = ("epoch", "train_loss", "val_loss")
_LAST_COLUMNS = ("lr", "grad_norm", "grad_norm_max", "seconds")


@dataclass(frozen=True)
class EpochRecord:
    """The numbers of one epoch; see the module docstring for each column."""

    epoch: int
    train_loss: float
    lr: float
    seconds: float
    grad_norm: Optional[float] = None
    grad_norm_max: Optional[float] = None
    val_loss: Optional[float] = None
    val_metrics: dict = field(default_factory=dict)  # metric name (without "val_") -> value

    def as_dict(self) -> dict:
        """The record as ``{column: value}``, metrics under ``val_<name>``."""
        row = {name: getattr(self, name) for name in _FIRST_COLUMNS}
        row.update({f"val_{name}": value for name, value in self.val_metrics.items()})
        row.update({name: getattr(self, name) for name in _LAST_COLUMNS})
        return row

    def value(self, column: str) -> Optional[float]:
        """The value in ``column``; None where the epoch has none.

        Raises:
            KeyError: no such column, with the names of those there are.
        """
        row = self.as_dict()
        if column not in row:
            raise KeyError(f"no column {column!r}; expected one of {', '.join(row)}")
        return row[column]

    def __str__(self) -> str:
        parts = [f"epoch {self.epoch}", f"train_loss {self.train_loss:.4f}"]
        if self.val_loss is not None:
            parts.append(f"val_loss {self.val_loss:.4f}")
        parts += [f"val_{name} {value:.4f}" for name, value in self.val_metrics.items()]
        parts.append(f"lr {self.lr:.3g}")
        return ", ".join(parts)


def _improves(value: float, best: float, mode: str, min_delta: float) -> bool:
    return value < best - min_delta if mode == "min" else value > best + min_delta


class History:
    """The records of a run, with its best epoch.

    Args:
        monitor: the column that decides the best epoch.
        mode: ``"min"`` or ``"max"``: whether smaller or larger values are better.
        min_delta: how much a value must beat the best so far to count as
            better; the best epoch is then the first of a plateau.

    A history is a sequence of :class:`EpochRecord` (``len``, iteration,
    indexing); ``history.column("val_loss")`` is one column as a list and
    ``history.as_dict()`` all of them, ready for ``pandas.DataFrame``.

    >>> h = History(monitor="val_loss")
    >>> for epoch, val in enumerate([0.9, 0.5, 0.7], start=1):
    ...     h.append(EpochRecord(epoch, train_loss=1.0, lr=0.1, seconds=0.0, val_loss=val))
    >>> h.best_epoch, h.column("val_loss")
    (2, [0.9, 0.5, 0.7])
    """

    def __init__(self, *, monitor: str = "train_loss", mode: str = "min", min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.records: list[EpochRecord] = []
        self.stopped_early = False

    def append(self, record: EpochRecord) -> None:
        """Add the record of the next epoch."""
        expected = len(self.records) + 1
        if record.epoch != expected:
            raise ValueError(f"expected the record of epoch {expected}; got epoch {record.epoch}")
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[EpochRecord]:
        return iter(self.records)

    def __getitem__(self, index: int) -> EpochRecord:
        return self.records[index]

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, monitor={self.monitor!r}, best_epoch={self.best_epoch})"

    @property
    def columns(self) -> list[str]:
        """Column names: the fixed ones, with every metric seen after ``val_loss``."""
        metrics = dict.fromkeys(f"val_{name}" for record in self.records for name in record.val_metrics)
        return [*_FIRST_COLUMNS, *metrics, *_LAST_COLUMNS]

    def column(self, name: str) -> list:
        """One column, one value per epoch (None where an epoch has none).

        Raises:
            KeyError: no such column, with the names of those there are.
        """
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; expected one of {', '.join(self.columns)}")
        return [record.as_dict().get(name) for record in self.records]

    def as_dict(self) -> dict:
        """All columns, ``{name: [value per epoch]}``."""
        return {name: self.column(name) for name in self.columns}

    @property
    def best_epoch(self) -> Optional[int]:
        """The epoch with the best ``monitor`` value, or None before any finite value.

        An epoch counts as better only when it beats the best so far by more
        than ``min_delta``: the rule early stopping uses.
        """
        best_epoch, best = None, None
        for record in self.records:
            value = record.value(self.monitor)
            if value is None or not math.isfinite(value):
                continue
            if best is None or _improves(value, best, self.mode, self.min_delta):
                best_epoch, best = record.epoch, value
        return best_epoch

    @property
    def epochs_since_best(self) -> int:
        """Epochs recorded after the best one (all of them if there is none)."""
        best = self.best_epoch
        return len(self) - (best if best is not None else 0)

    def state_dict(self) -> dict:
        """Plain Python values that :meth:`from_state_dict` turns back into this history."""
        return {
            "monitor": self.monitor,
            "mode": self.mode,
            "min_delta": self.min_delta,
            "stopped_early": self.stopped_early,
            "records": [dataclasses.asdict(record) for record in self.records],
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> "History":
        """The history that :meth:`state_dict` described."""
        history = cls(monitor=state["monitor"], mode=state["mode"], min_delta=state["min_delta"])
        for record in state["records"]:
            history.append(EpochRecord(**record))
        history.stopped_early = state["stopped_early"]
        return history
