import numpy as np
import pytest

from lstm_course.numpy_ref.activations import sigmoid
from lstm_course.numpy_ref.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward

from .gradient_checks import SHAPES, assert_gradients_match, random_arrays


def gru_inputs(rng, T, B, D, H, bias=True):
    return random_arrays(rng, {
        "x": (T, B, D), "h0": (B, H), "w_ih": (3 * H, D), "w_hh": (3 * H, H),
        "b_ih": (3 * H,) if bias else None, "b_hh": (3 * H,) if bias else None,
    })


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_backward_matches_numerical_gradient(T, B, D, H, bias):
    rng = np.random.default_rng(T * 100 + B * 10 + H)
    inputs = gru_inputs(rng, T, B, D, H, bias)
    dh, dh_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    def loss():
        h, _ = gru_forward(**inputs)
        return np.sum(h * dh) + np.sum(h[-1] * dh_n)

    _, cache = gru_forward(**inputs)
    assert_gradients_match(loss, inputs, gru_backward(dh, cache, dh_n=dh_n))


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_step_backward_matches_numerical_gradient(T, B, D, H):
    rng = np.random.default_rng(5 + H)
    seq = gru_inputs(rng, 1, B, D, H)
    inputs = dict(x=seq["x"][0], h_prev=seq["h0"], w_ih=seq["w_ih"], w_hh=seq["w_hh"], b_ih=seq["b_ih"], b_hh=seq["b_hh"])
    dh = rng.standard_normal((B, H))

    def loss():
        return np.sum(gru_step_forward(**inputs)[0] * dh)

    _, cache = gru_step_forward(**inputs)
    assert_gradients_match(loss, inputs, gru_step_backward(dh, cache))


def test_sequence_equals_repeated_steps():
    p = gru_inputs(np.random.default_rng(3), 6, 2, 3, 4)
    h_seq, _ = gru_forward(**p)
    h = p["h0"]
    for t in range(6):
        h, _ = gru_step_forward(p["x"][t], h, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
        np.testing.assert_allclose(h, h_seq[t], rtol=0, atol=1e-14, err_msg=f"h at step {t}")


def test_reset_gate_acts_after_the_matrix_product():
    """torch/cuDNN form: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Written out
    by hand here, so that a change to Cho et al.'s W_hn (r * h) form is caught."""
    rng = np.random.default_rng(4)
    p = gru_inputs(rng, 1, 2, 3, 4)
    x, h, H = p["x"][0], p["h0"], 4
    ax, ah = x @ p["w_ih"].T + p["b_ih"], h @ p["w_hh"].T + p["b_hh"]
    r, z = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    expected = (1 - z) * n + z * h
    got, _ = gru_step_forward(x, h, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    np.testing.assert_allclose(got, expected, atol=1e-15, err_msg="expected the reset-after GRU of torch.nn.GRU")


def test_update_gate_open_keeps_the_state():
    """With z saturated at 1, h_t = h_{t-1} whatever the input."""
    H = 3
    b = np.zeros(3 * H)
    b[H:2 * H] = 50.0
    h0 = np.array([[0.3, -0.2, 0.9]])
    rng = np.random.default_rng(0)
    h, _ = gru_forward(rng.standard_normal((10, 1, 2)), h0, np.zeros((3 * H, 2)), np.zeros((3 * H, H)), b, np.zeros(3 * H))
    np.testing.assert_allclose(h[-1], h0, atol=1e-12, err_msg="z = 1 should copy the state through")


@pytest.mark.parametrize("change,message", [
    (dict(x=np.zeros((3, 2, 5))), r"x must have shape \(\*, \*, 3\), got \(3, 2, 5\)"),
    (dict(h0=np.zeros((2, 5))), r"h0 must have shape \(2, 4\), got \(2, 5\)"),
    (dict(w_hh=np.zeros((16, 4))), r"w_hh must have shape \(3\*H, H\)"),
    (dict(b_hh=np.zeros(16)), r"b_hh must have shape \(12,\), got \(16,\)"),
])
def test_bad_input_names_what_was_expected(change, message):
    p = gru_inputs(np.random.default_rng(0), 3, 2, 3, 4)
    with pytest.raises(ValueError, match=message):
        gru_forward(**{**p, **change})
