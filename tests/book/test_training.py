"""The equations and claims of the book's five training chapters (book/training_init.md,
book/training_optimisers.md, book/training_regularisation.md, book/training_normalisation.md,
book/training_batching.md).

What the package's own tests already cover is only pointed to: orthogonal initialisation and the
forget-gate bias in tests/nn/test_init.py, clipping and Adam against torch in
tests/numpy_ref/test_optim.py, the regularised LSTMs in tests/nn/test_regularization.py, the
batch-normalised LSTM in tests/nn/test_batchnorm_lstm.py, bucketing in tests/train/test_bucketing.py.
Teacher forcing and scheduled sampling are taught in book/attention.md and checked in
tests/book/test_attention.py. This file checks the chapters' own readings of their experiments.
"""

import math

import pytest
import torch

from lstm_course.experiments.gradient_flow import hidden_gradient_norms
from lstm_course.nn import RNN, LSTM, ZoneoutLSTM
from lstm_course.nn.init import forget_gate_bias_, orthogonal_recurrent_

F64 = torch.float64


def test_half_life_of_the_cell_state():
    """eq-train-half-life: with the input gate shut and no weights, c_k = sigmoid(b_f)^k c_0."""
    H, b_f = 3, 2.0
    lstm = forget_gate_bias_(LSTM(1, H, dtype=F64), b_f)
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
        lstm.weight_hh_l0.zero_()
        lstm.bias_ih_l0[:H] = -1e3  # input gate shut
        lstm.bias_hh_l0.zero_()
    c0 = torch.ones(1, 1, H, dtype=F64)
    steps = 12
    with torch.no_grad():
        _, (_, c_k) = lstm(torch.zeros(steps, 1, 1, dtype=F64), (torch.zeros(1, 1, H, dtype=F64), c0))
    keep = 1 / (1 + math.exp(-b_f))
    torch.testing.assert_close(c_k, torch.full_like(c0, keep**steps), rtol=1e-12, atol=0)
    half_life = math.log(2) / -math.log(keep)
    assert keep**half_life == pytest.approx(0.5)
    assert round(half_life, 1) == 5.5, "the value printed for b_f = 2"


def test_orthogonal_recurrent_matrix_slows_the_decay_of_the_rnn_gradient():
    """The chapter's table: the factor per step of an RNN rises from about 0.58 towards 0.9."""
    def factor(orthogonal):
        torch.manual_seed(0)
        layer = RNN(8, 64, dtype=F64)
        if orthogonal:
            orthogonal_recurrent_(layer)
        norms = hidden_gradient_norms(layer, torch.randn(60, 16, 8, dtype=F64)).log().mean(dim=1).flip(0)
        return math.exp((norms[40] - norms[10]).item() / 30)

    uniform, orthogonal = factor(False), factor(True)
    assert 0.5 < uniform < 0.65, uniform
    assert 0.8 < orthogonal < 0.95, orthogonal


def single_unit_loss(w, b=-2.5, x0=0.5, steps=50, target=2.0):
    x = torch.full_like(w, x0)
    for _ in range(steps):
        x = w * torch.sigmoid(x) + b
    return (x - target) ** 2


def descend(w0, lr=0.05, steps=12, max_norm=None):
    w = torch.tensor(w0, dtype=F64, requires_grad=True)
    path = []
    for _ in range(steps):
        loss = single_unit_loss(w)
        (grad,) = torch.autograd.grad(loss, w)
        path.append((w.item(), loss.item()))
        if max_norm is not None and grad.abs() > max_norm:
            grad = grad * max_norm / grad.abs()
        with torch.no_grad():
            w -= lr * grad
    return path


def test_clipping_crosses_the_wall_that_throws_plain_gradient_descent_away():
    """fig-train-clipping: the plain path jumps beyond w = 10, the clipped one settles near the minimum."""
    plain, clipped = descend(4.6), descend(4.6, max_norm=1.0)
    jumps = [b[0] - a[0] for a, b in zip(plain, plain[1:])]
    assert max(jumps) > 5, jumps
    assert plain[-1][1] > 1
    assert abs(clipped[-1][0] - 5.1) < 0.05 and clipped[-1][1] < 0.01, clipped[-1]
    grid = torch.linspace(4, 13, 3601, dtype=F64, requires_grad=True)
    (grad,) = torch.autograd.grad(single_unit_loss(grid).sum(), grid)
    assert 4.8 < grid[grad.abs().argmax()].item() < 4.85, "the wall"


def test_zoneout_masks_can_be_read_off_the_output():
    """The chapter reads d^h_t as the units with h_t == h_{t-1}; they are the masks ZoneoutLSTM draws."""
    T, H, p = 30, 16, 0.3
    torch.manual_seed(0)
    zoneout = ZoneoutLSTM(4, H, zoneout_cell=p, zoneout_hidden=p).train()
    x = torch.randn(T, 1, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out, _ = zoneout(x, generator=torch.Generator().manual_seed(1))
    h = torch.cat([torch.zeros(1, 1, H), out])[:, 0]
    kept = (h[1:] == h[:-1]).float()
    replay = torch.Generator().manual_seed(1)
    torch.empty(T, 1, H).bernoulli_(p, generator=replay)  # d^c, drawn first
    d_h = torch.empty(T, 1, H).bernoulli_(p, generator=replay)[:, 0]
    assert torch.equal(kept, d_h)

