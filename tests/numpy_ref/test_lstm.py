import numpy as np
import pytest

from lstm_course.numpy_ref.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward

from .gradient_checks import SHAPES, assert_gradients_match, random_arrays


def lstm_inputs(rng, T, B, D, H, bias=True):
    return random_arrays(rng, {
        "x": (T, B, D), "h0": (B, H), "c0": (B, H), "w_ih": (4 * H, D), "w_hh": (4 * H, H),
        "b_ih": (4 * H,) if bias else None, "b_hh": (4 * H,) if bias else None,
    })


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_backward_matches_numerical_gradient(T, B, D, H, bias):
    rng = np.random.default_rng(T * 100 + B * 10 + H)
    inputs = lstm_inputs(rng, T, B, D, H, bias)
    dh, dh_n, dc_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        h, c, _ = lstm_forward(**inputs)
        return np.sum(h * dh) + np.sum(h[-1] * dh_n) + np.sum(c[-1] * dc_n)

    _, _, cache = lstm_forward(**inputs)
    assert_gradients_match(loss, inputs, lstm_backward(dh, cache, dh_n=dh_n, dc_n=dc_n))


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_step_backward_matches_numerical_gradient(T, B, D, H):
    rng = np.random.default_rng(7 + H)
    seq = lstm_inputs(rng, 1, B, D, H)
    inputs = dict(x=seq["x"][0], h_prev=seq["h0"], c_prev=seq["c0"],
                  w_ih=seq["w_ih"], w_hh=seq["w_hh"], b_ih=seq["b_ih"], b_hh=seq["b_hh"])
    dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        h, c, _ = lstm_step_forward(**inputs)
        return np.sum(h * dh) + np.sum(c * dc)

    _, _, cache = lstm_step_forward(**inputs)
    assert_gradients_match(loss, inputs, lstm_step_backward(dh, dc, cache))


def test_sequence_equals_repeated_steps():
    rng = np.random.default_rng(3)
    p = lstm_inputs(rng, 6, 2, 3, 4)
    h_seq, c_seq, _ = lstm_forward(**p)
    h, c = p["h0"], p["c0"]
    for t in range(6):
        h, c, _ = lstm_step_forward(p["x"][t], h, c, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
        np.testing.assert_allclose(h, h_seq[t], rtol=0, atol=1e-14, err_msg=f"h at step {t}")
        np.testing.assert_allclose(c, c_seq[t], rtol=0, atol=1e-14, err_msg=f"c at step {t}")


def test_forget_gate_bias_keeps_the_cell_state():
    """With the forget gate saturated open and the input gate shut, c_t = c_{t-1}:
    the constant error carousel of Hochreiter & Schmidhuber (1997)."""
    H = 3
    b = np.zeros(4 * H)
    b[:H], b[H:2 * H] = -50.0, 50.0  # i -> 0, f -> 1
    c0 = np.array([[0.5, -1.0, 2.0]])
    _, c, _ = lstm_forward(np.zeros((20, 1, 2)), None, c0, np.zeros((4 * H, 2)), np.zeros((4 * H, H)), b, np.zeros(4 * H))
    np.testing.assert_allclose(c[-1], c0, atol=1e-12, err_msg="the cell state should be carried unchanged")


def test_float32_in_float32_out():
    rng = np.random.default_rng(0)
    p = {k: v.astype(np.float32) for k, v in lstm_inputs(rng, 3, 2, 3, 4).items()}
    h, c, cache = lstm_forward(**p)
    g = lstm_backward(np.ones_like(h), cache)
    assert h.dtype == c.dtype == g.dx.dtype == g.dw_hh.dtype == np.float32


def test_zero_initial_state_by_default():
    rng = np.random.default_rng(0)
    p = lstm_inputs(rng, 3, 2, 3, 4)
    h_default, _, _ = lstm_forward(**{**p, "h0": None, "c0": None})
    h_zero, _, _ = lstm_forward(**{**p, "h0": np.zeros((2, 4)), "c0": np.zeros((2, 4))})
    np.testing.assert_array_equal(h_default, h_zero)


@pytest.mark.parametrize("change,message", [
    (dict(x=np.zeros((3, 2, 5))), r"x must have shape \(\*, \*, 3\), got \(3, 2, 5\)"),
    (dict(x=np.zeros((2, 3))), r"x must have shape \(\*, \*, 3\), got \(2, 3\)"),
    (dict(h0=np.zeros((4, 2))), r"h0 must have shape \(2, 4\), got \(4, 2\)"),
    (dict(c0=np.zeros((2, 5))), r"c0 must have shape \(2, 4\), got \(2, 5\)"),
    (dict(w_hh=np.zeros((4, 16))), r"w_hh must have shape \(4\*H, H\)"),
    (dict(w_ih=np.zeros((16, 4))), r"x must have shape \(\*, \*, 4\), got \(3, 2, 3\)"),
    (dict(b_hh=None), "b_ih and b_hh must be both given or both None"),
    (dict(b_ih=np.zeros(4)), r"b_ih must have shape \(16,\), got \(4,\)"),
])
def test_bad_input_names_what_was_expected(change, message):
    p = lstm_inputs(np.random.default_rng(0), 3, 2, 3, 4)
    with pytest.raises(ValueError, match=message):
        lstm_forward(**{**p, **change})


def test_backward_rejects_misshaped_upstream_gradient():
    _, _, cache = lstm_forward(**lstm_inputs(np.random.default_rng(0), 3, 2, 3, 4))
    with pytest.raises(ValueError, match=r"dh must have shape \(3, 2, 4\), got \(2, 3, 4\)"):
        lstm_backward(np.zeros((2, 3, 4)), cache)


def test_complex_input_is_a_type_error():
    p = lstm_inputs(np.random.default_rng(0), 3, 2, 3, 4)
    with pytest.raises(TypeError, match="real numeric array"):
        lstm_forward(**{**p, "x": p["x"] + 1j})
