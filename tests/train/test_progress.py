"""Tests of lstm_course.train.progress, and that fit's output stays free of progress bars."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from lstm_course.train import TrainConfig, fit, progress_enabled


class _Terminal:
    """A stand-in for stderr that claims to be an interactive terminal."""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def test_auto_is_on_only_at_a_terminal_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert progress_enabled("auto"), "an interactive terminal outside CI should get a bar"
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled("auto"), "CI runs must not get a bar"
    monkeypatch.setattr(sys, "stderr", None)
    monkeypatch.delenv("CI")
    assert not progress_enabled("auto"), "no stderr at all: no bar"


def test_explicit_settings_win(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert progress_enabled(True) and not progress_enabled(False)
    with pytest.raises(ValueError, match="progress must be True, False or 'auto'; got 'on'"):
        progress_enabled("on")


def _fit(progress) -> None:
    model = nn.Linear(2, 1)
    fit(
        model,
        [(torch.zeros(4, 2), torch.zeros(4, 1))],
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        config=TrainConfig(epochs=2, progress=progress),
    )


def test_auto_prints_nothing_when_stderr_is_not_a_terminal(capsys):
    assert not sys.stderr.isatty(), "the test needs pytest's captured, non-terminal stderr"
    _fit("auto")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", ""), f"expected no output; got {captured}"
    _fit(True)
    assert "training" in capsys.readouterr().err, "progress=True must draw the bar on the same stderr"
