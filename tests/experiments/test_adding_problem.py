"""The adding problem of lstm_course.experiments follows Hochreiter & Schmidhuber (1997), Experiment 4."""

import pytest
import torch

from lstm_course.experiments.adding_problem import (FEATURES, TOLERANCE, LastStepRegressor, adding_problem,
                                                    epoch_batches, fraction_correct)


def draw(batch=400, steps=40, seed=0):
    return adding_problem(batch, steps, generator=torch.Generator().manual_seed(seed))


def test_shapes_and_dtype():
    x, y = draw(7, 30)
    assert x.shape == (30, 7, FEATURES) and y.shape == (7, 1)
    assert x.dtype == y.dtype == torch.float32
    assert adding_problem(2, 30, dtype=torch.float64)[0].dtype == torch.float64


def test_exactly_two_marked_steps_in_the_first_half():
    steps = 40
    x, _ = draw(steps=steps)
    marked = x[..., 1] == 1  # (T, B)
    assert bool((marked.sum(0) == 2).all()), "every sequence should have exactly two marked steps"
    positions = [torch.nonzero(marked[:, b]).flatten() for b in range(marked.shape[1])]
    assert all(int(p[0]) < 10 for p in positions), "one marked step should be among the first ten"
    assert all(int(p[1]) <= steps // 2 - 1 for p in positions), "both should lie in the first half"
    # Over many sequences the second marker reaches the end of its range.
    assert max(int(p[1]) for p in positions) == steps // 2 - 1


def test_other_markers_are_minus_one_at_the_ends_and_zero_elsewhere():
    x, _ = draw()
    markers = x[..., 1]
    unmarked = markers != 1
    assert bool((markers[-1] == -1).all())
    assert bool((markers[0][unmarked[0]] == -1).all())
    assert bool((markers[1:-1][unmarked[1:-1]] == 0).all())


def test_values_in_range_and_zero_when_the_first_step_is_marked():
    x, _ = draw(2000)
    values = x[..., 0]
    assert bool(((values >= -1) & (values <= 1)).all())
    first_marked = x[0, :, 1] == 1
    assert bool(first_marked.any()), "with 2000 sequences some first step should be marked"
    assert bool((values[0, first_marked] == 0).all())


def test_target_is_the_scaled_sum_of_the_marked_values():
    x, y = draw()
    marked_sum = (x[..., 0] * (x[..., 1] == 1)).sum(0)
    torch.testing.assert_close(y[:, 0], 0.5 + marked_sum / 4)
    assert bool(((y >= 0) & (y <= 1)).all())


def test_same_generator_seed_same_data():
    x1, y1 = draw(seed=3)
    x2, y2 = draw(seed=3)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)


@pytest.mark.parametrize("batch,steps,message", [
    (0, 30, "batch must be an integer >= 1"),
    (2, 21, "steps must be an integer >= 22"),
    (2, 30.0, "steps must be an integer >= 22"),
])
def test_bad_arguments(batch, steps, message):
    with pytest.raises(ValueError, match=message):
        adding_problem(batch, steps)


def test_epoch_batches_are_fresh_each_epoch_and_reproducible():
    batches = epoch_batches(3, 4, 25, seed=1)
    first, again, second = batches(1), batches(1), batches(2)
    assert len(first) == 3 and first[0][0].shape == (25, 4, FEATURES)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert not torch.equal(first[0][0], second[0][0])


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_regressor_reads_the_last_step(cell):
    torch.manual_seed(0)
    model = LastStepRegressor(cell, 5)
    x = torch.randn(25, 3, FEATURES)
    output, _ = model.recurrent(x)
    torch.testing.assert_close(model(x), model.readout(output[-1]))
    assert model(x).shape == (3, 1)


def test_forget_bias_shifts_only_the_forget_block():
    hidden = 5
    torch.manual_seed(0)
    plain = LastStepRegressor("lstm", hidden)
    torch.manual_seed(0)
    shifted = LastStepRegressor("lstm", hidden, forget_bias=3.0)
    diff = shifted.recurrent.bias_ih_l0 - plain.recurrent.bias_ih_l0
    expected = torch.zeros(4 * hidden)
    expected[hidden:2 * hidden] = 3.0  # block f of i, f, g, o
    torch.testing.assert_close(diff.detach(), expected)
    torch.testing.assert_close(shifted.recurrent.bias_hh_l0, plain.recurrent.bias_hh_l0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(cell="gru", hidden_size=4), "cell must be 'lstm' or 'rnn'"),
    (dict(cell="rnn", hidden_size=4, forget_bias=1.0), "the RNN has no forget gate"),
])
def test_regressor_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LastStepRegressor(**kwargs)


def test_fraction_correct_uses_the_papers_tolerance():
    targets = torch.tensor([[0.5], [0.5], [0.5], [0.5]])
    outputs = targets + torch.tensor([[0.0], [TOLERANCE / 2], [-TOLERANCE * 1.5], [TOLERANCE * 2]])
    assert float(fraction_correct(outputs, targets)) == 0.5
