"""Tests of lstm_course.train.evaluate: means over whole data sets."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_course.train import evaluate, tbptt_batches
from lstm_course.train.evaluate import weighted_mean

from .toys import CLASSES, FEATURES, TinyLanguageModel, classification_data


def _accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(-1) == targets).float().mean()


def test_loss_and_metrics_are_data_set_means_over_unequal_batches():
    torch.manual_seed(0)
    model = nn.Linear(FEATURES, CLASSES)
    x, y = classification_data(n=10)
    result = evaluate(model, [(x[:7], y[:7]), (x[7:], y[7:])], loss_fn=nn.CrossEntropyLoss(), metrics={"acc": _accuracy})
    with torch.no_grad():
        logits = model(x)
    assert result["loss"] == pytest.approx(float(nn.CrossEntropyLoss()(logits, y)), rel=1e-6)
    assert result["acc"] == pytest.approx(float(_accuracy(logits, y)), rel=1e-6)
    assert not model.training, "evaluate leaves the model in eval mode"


def test_stateful_evaluation_equals_one_pass_over_the_whole_stream():
    torch.manual_seed(0)
    model = TinyLanguageModel(vocab=7)
    tokens = torch.randint(0, 7, (9, 2))  # (T_total, B)
    result = evaluate(model, tbptt_batches(tokens, 3), loss_fn=nn.CrossEntropyLoss(), stateful=True)
    with torch.no_grad():
        logits, _ = model(tokens[:-1])  # (T_total - 1, B, V) in one go
    expected = float(nn.CrossEntropyLoss()(logits.flatten(0, -2), tokens[1:].flatten()))
    assert result["loss"] == pytest.approx(expected, rel=1e-5), "chunks with a carried state must equal one pass"


def test_empty_batches_are_an_error():
    with pytest.raises(ValueError, match="the validation batches yielded no batch; expected at least one"):
        evaluate(nn.Linear(1, 1), [], loss_fn=nn.MSELoss())


def test_weighted_mean():
    assert weighted_mean([torch.tensor(1.0), 4.0], [3, 1]) == pytest.approx(1.75)
