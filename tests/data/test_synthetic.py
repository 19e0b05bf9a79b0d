"""The long-lag tasks: the label or target is determined by what the lag separates."""

from __future__ import annotations

import torch

from lstm_course.data import copy_task, synthetic, temporal_order


def test_temporal_order_labels_name_the_order_of_x_and_y():
    tokens, labels = temporal_order(64, 100, generator=torch.Generator().manual_seed(0))
    for b in range(64):
        relevant = [int(t) for t in tokens[:, b] if int(t) in (4, 5)]
        positions = [i for i, t in enumerate(tokens[:, b].tolist()) if t in (4, 5)]
        assert len(relevant) == 2 and 10 <= positions[0] <= 20 and 50 <= positions[1] <= 60
        assert synthetic.TEMPORAL_ORDER_CLASSES[int(labels[b])] == "".join("XY"[t - 4] for t in relevant)
    assert set(labels.tolist()) == {0, 1, 2, 3}


def test_the_copy_task_asks_for_the_first_symbols_after_the_lag():
    inputs, targets = copy_task(5, lag=30, length=4, symbols=8, generator=torch.Generator().manual_seed(1))
    assert inputs.shape == targets.shape == (38, 5)
    assert torch.equal(targets[-4:], inputs[:4]) and int(targets[:-4].abs().sum()) == 0
    assert torch.all(inputs[33] == 9) and int(inputs[4:33].abs().sum()) == 0
