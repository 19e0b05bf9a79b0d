"""The equations and claims of the book's GRU chapters (book/gru.md, book/gru_vs_lstm.md) against the package.

Each test names the equation labels of the chapter it checks. The reset-after GRU of
``lstm_course.numpy_ref.gru`` is tested against numerical gradients in
tests/numpy_ref/test_gru.py and against ``torch.nn.GRU`` in tests/numpy_ref/test_modules.py
and tests/nn/test_gru.py; this file adds the reset-before form of Cho et al.
(``lstm_course.numpy_ref.gru_reset_before``), the update convention, the parameter counts
and ``lstm_course.experiments.gated_regressor``.
"""

import numpy as np
import pytest
import torch

from lstm_course.experiments.gated_regressor import GatedRegressor
from lstm_course.nn import GRU, LSTM
from lstm_course.numpy_ref.gru import gru_forward, gru_step_forward
from lstm_course.numpy_ref.gru_reset_before import (
    gru_reset_before_backward,
    gru_reset_before_forward,
    gru_reset_before_step_backward,
    gru_reset_before_step_forward,
)
from lstm_course.numpy_ref.lstm import lstm_forward

from ..numpy_ref.gradient_checks import SHAPES, assert_gradients_match, random_arrays

T, B, D, H = 5, 3, 4, 6


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru_arrays(seed=0, bias=True, T=T, B=B, D=D, H=H):
    return random_arrays(np.random.default_rng(seed), {
        "x": (T, B, D), "h0": (B, H), "w_ih": (3 * H, D), "w_hh": (3 * H, H),
        "b_ih": (3 * H,) if bias else None, "b_hh": (3 * H,) if bias else None,
    })


def chapter_step(x, h_prev, w_ih, w_hh, b_ih, b_hh, reset_after):
    """eq-gru-reset-update, then eq-gru-candidate-after or eq-gru-candidate-before, then
    eq-gru-interpolation, with column vectors as printed: one example at a time."""
    W_ir, W_iz, W_in = np.split(w_ih, 3)
    W_hr, W_hz, W_hn = np.split(w_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    out = []
    for x_b, h_b in zip(x, h_prev):
        r = sigmoid(W_ir @ x_b + b_ir + W_hr @ h_b + b_hr)
        z = sigmoid(W_iz @ x_b + b_iz + W_hz @ h_b + b_hz)
        if reset_after:
            n = np.tanh(W_in @ x_b + b_in + r * (W_hn @ h_b + b_hn))
        else:
            n = np.tanh(W_in @ x_b + b_in + W_hn @ (r * h_b) + b_hn)
        out.append((1 - z) * n + z * h_b)
    return np.array(out)


def test_reset_after_equations_match_gru_step_forward_and_torch():
    """eq-gru-reset-update, eq-gru-candidate-after, eq-gru-interpolation == gru_step_forward
    == one step of torch.nn.GRU."""
    p = gru_arrays()
    expected = chapter_step(p["x"][0], p["h0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], reset_after=True)
    got, _ = gru_step_forward(p["x"][0], p["h0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)
    gru = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        for name, key in (("weight_ih_l0", "w_ih"), ("weight_hh_l0", "w_hh"), ("bias_ih_l0", "b_ih"), ("bias_hh_l0", "b_hh")):
            getattr(gru, name).copy_(torch.from_numpy(p[key]))
        _, h_n = gru(torch.from_numpy(p["x"][:1]), torch.from_numpy(p["h0"][None]))
    np.testing.assert_allclose(h_n[0].numpy(), expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("bias", [True, False])
def test_reset_before_equations_match_gru_reset_before_step_forward(bias):
    """eq-gru-reset-update, eq-gru-candidate-before, eq-gru-interpolation ==
    gru_reset_before_step_forward (b_hn outside the reset, as the chapter writes it)."""
    p = gru_arrays(seed=1, bias=bias)
    zeros = np.zeros(3 * H)
    b_ih, b_hh = (p["b_ih"], p["b_hh"]) if bias else (zeros, zeros)
    expected = chapter_step(p["x"][0], p["h0"], p["w_ih"], p["w_hh"], b_ih, b_hh, reset_after=False)
    got, _ = gru_reset_before_step_forward(p["x"][0], p["h0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


def test_reset_before_sequence_equals_repeated_steps():
    p = gru_arrays(seed=2)
    h_seq, _ = gru_reset_before_forward(**p)
    h = p["h0"]
    for t in range(T):
        h, _ = gru_reset_before_step_forward(p["x"][t], h, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
        np.testing.assert_allclose(h, h_seq[t], rtol=0, atol=1e-15, err_msg=f"h at step {t}")
    h_zero, _ = gru_reset_before_forward(p["x"], None, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    h_given, _ = gru_reset_before_forward(p["x"], np.zeros((B, H)), p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    np.testing.assert_array_equal(h_zero, h_given)


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_reset_before_backward_matches_numerical_gradient(T, B, D, H, bias):
    rng = np.random.default_rng(T * 100 + B * 10 + H)
    inputs = gru_arrays(seed=T * 100 + B * 10 + H, bias=bias, T=T, B=B, D=D, H=H)
    dh, dh_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    def loss():
        h, _ = gru_reset_before_forward(**inputs)
        return np.sum(h * dh) + np.sum(h[-1] * dh_n)

    _, cache = gru_reset_before_forward(**inputs)
    assert_gradients_match(loss, inputs, gru_reset_before_backward(dh, cache, dh_n=dh_n))


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_reset_before_step_backward_matches_numerical_gradient(T, B, D, H):
    seq = gru_arrays(seed=5 + H, T=1, B=B, D=D, H=H)
    inputs = dict(x=seq["x"][0], h_prev=seq["h0"], w_ih=seq["w_ih"], w_hh=seq["w_hh"], b_ih=seq["b_ih"], b_hh=seq["b_hh"])
    dh = np.random.default_rng(H).standard_normal((B, H))

    def loss():
        return np.sum(gru_reset_before_step_forward(**inputs)[0] * dh)

    _, cache = gru_reset_before_step_forward(**inputs)
    assert_gradients_match(loss, inputs, gru_reset_before_step_backward(dh, cache))


def test_the_two_forms_agree_only_where_the_reset_gate_is_one():
    """The chapter's claims: different functions on the same weights; the same where r_t = 1."""
    p = gru_arrays(seed=3)
    h_after, _ = gru_forward(**p)
    h_before, _ = gru_reset_before_forward(**p)
    assert np.abs(h_after - h_before).max() > 1e-2, "the reset-before and reset-after forms should differ"
    b_ih = p["b_ih"].copy()
    b_ih[:H] += 50.0  # r = 1 in float64
    h_after, _ = gru_forward(**{**p, "b_ih": b_ih})
    h_before, _ = gru_reset_before_forward(**{**p, "b_ih": b_ih})
    np.testing.assert_allclose(h_after, h_before, rtol=0, atol=1e-15)


def test_the_reset_before_form_needs_the_reset_gate_before_the_product():
    """Changing only the reset gate's weights changes what W_hn multiplies: with W_hn = I and
    all else zero, n = tanh(r * h) exactly."""
    x, h_prev = np.zeros((1, D)), np.full((1, H), 0.8)
    w_ih, w_hh = np.zeros((3 * H, D)), np.zeros((3 * H, H))
    w_hh[2 * H:] = np.eye(H)
    b_ih = np.zeros(3 * H)
    b_ih[:H] = np.log(3.0)  # r = 0.75
    b_ih[H:2 * H] = -50.0  # z = 0: h_next = n
    h_next, cache = gru_reset_before_step_forward(x, h_prev, w_ih, w_hh, b_ih, np.zeros(3 * H))
    np.testing.assert_allclose(h_next, np.tanh(0.75 * h_prev), rtol=0, atol=1e-15)
    np.testing.assert_allclose(cache.reset_h, 0.75 * h_prev, rtol=0, atol=1e-15)


def test_swapped_update_convention_is_a_sign_change_of_the_update_block():
    """eq-gru-update-swapped with the update-gate rows of every array negated ==
    eq-gru-interpolation with the original arrays, over a whole sequence."""
    p = gru_arrays(seed=4)
    swapped = {k: p[k].copy() for k in ("w_ih", "w_hh", "b_ih", "b_hh")}
    for w in swapped.values():
        w[H:2 * H] *= -1
    h = p["h0"]
    h_torch, _ = gru_forward(**p)
    for t in range(T):
        ax = p["x"][t] @ swapped["w_ih"].T + swapped["b_ih"]
        ah = h @ swapped["w_hh"].T + swapped["b_hh"]
        r = sigmoid(ax[:, :H] + ah[:, :H])
        z_tilde = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
        n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        h = (1 - z_tilde) * h + z_tilde * n
        np.testing.assert_allclose(h, h_torch[t], rtol=0, atol=1e-14, err_msg=f"step {t}")


@pytest.mark.parametrize("d,h", [(2, 16), (2, 19), (128, 256), (7, 3)])
def test_parameter_counts(d, h):
    """eq-gru-param-count for lstm_course.nn and torch.nn."""
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    per_block = h * d + h * h + 2 * h
    assert count(GRU(d, h)) == count(torch.nn.GRU(d, h)) == 3 * per_block
    assert count(LSTM(d, h)) == count(torch.nn.LSTM(d, h)) == 4 * per_block


def test_gru_19_and_lstm_16_have_almost_the_same_size():
    """The pair the chapter trains: within 3% of each other in recurrent parameters."""
    gru, lstm = GatedRegressor("gru", 19), GatedRegressor("lstm", 16)
    n_gru = sum(p.numel() for p in gru.recurrent.parameters())
    n_lstm = sum(p.numel() for p in lstm.recurrent.parameters())
    assert (n_gru, n_lstm) == (1311, 1280)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_keep_bias_shifts_only_the_keep_gate_block(cell):
    torch.manual_seed(0)
    plain = GatedRegressor(cell, 5)
    torch.manual_seed(0)
    kept = GatedRegressor(cell, 5, keep_bias=3.0)
    diff = (kept.recurrent.bias_ih_l0 - plain.recurrent.bias_ih_l0).detach()
    expected = torch.zeros_like(diff)
    expected[5:10] = 3.0
    torch.testing.assert_close(diff, expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(kept.recurrent.bias_hh_l0, plain.recurrent.bias_hh_l0, rtol=0, atol=0)


def test_keep_bias_opens_the_gru_update_gate():
    """With z = 1 the GRU copies its zero initial state: the output is the readout's bias."""
    torch.manual_seed(0)
    model = GatedRegressor("gru", 4, keep_bias=100.0).double()
    x = torch.randn(30, 3, 2, dtype=torch.float64)
    with torch.no_grad():
        out = model(x)
    torch.testing.assert_close(out, model.readout.bias.expand(3, 1), rtol=0, atol=0)


def test_keep_bias_opens_the_lstm_forget_gate():
    """Block 1 of the LSTM is the forget gate: with keep_bias = 30 every f_t is 1 to float64 precision."""
    torch.manual_seed(0)
    model = GatedRegressor("lstm", 4, keep_bias=30.0).double()
    weights = [getattr(model.recurrent, n).detach().numpy() for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    x = np.random.default_rng(0).standard_normal((10, 3, 2))
    _, _, cache = lstm_forward(x, None, None, *weights)
    np.testing.assert_allclose(cache.gates[..., 4:8], 1.0, rtol=0, atol=1e-12)


def test_gated_regressor_rejects_other_cells():
    with pytest.raises(ValueError, match="cell must be 'lstm' or 'gru'; got 'rnn'"):
        GatedRegressor("rnn", 4)


def test_reset_before_bad_input_names_what_was_expected():
    p = gru_arrays()
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 6\), got \(3, 7\)"):
        gru_reset_before_forward(p["x"], np.zeros((B, H + 1)), p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match=r"x must have shape \(\*, \*, 4\)"):
        gru_reset_before_forward(np.zeros((T, B, D + 1)), None, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    _, cache = gru_reset_before_forward(**p)
    with pytest.raises(ValueError, match=r"dh must have shape"):
        gru_reset_before_backward(np.zeros((T, B, H + 1)), cache)
