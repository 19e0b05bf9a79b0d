import numpy as np
import pytest

from lstm_course.numpy_ref.activations import sigmoid
from lstm_course.numpy_ref.lstm import lstm_forward
from lstm_course.numpy_ref.peephole_lstm import (
    peephole_lstm_backward,
    peephole_lstm_forward,
    peephole_lstm_step_backward,
    peephole_lstm_step_forward,
)

from .gradient_checks import SHAPES, assert_gradients_match, random_arrays


def peephole_inputs(rng, T, B, D, H, bias=True):
    return random_arrays(rng, {
        "x": (T, B, D), "h0": (B, H), "c0": (B, H), "w_ih": (4 * H, D), "w_hh": (4 * H, H),
        "w_ci": (H,), "w_cf": (H,), "w_co": (H,),
        "b_ih": (4 * H,) if bias else None, "b_hh": (4 * H,) if bias else None,
    })


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_backward_matches_numerical_gradient(T, B, D, H, bias):
    rng = np.random.default_rng(T * 100 + B * 10 + H)
    inputs = peephole_inputs(rng, T, B, D, H, bias)
    dh, dh_n, dc_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        h, c, _ = peephole_lstm_forward(**inputs)
        return np.sum(h * dh) + np.sum(h[-1] * dh_n) + np.sum(c[-1] * dc_n)

    _, _, cache = peephole_lstm_forward(**inputs)
    assert_gradients_match(loss, inputs, peephole_lstm_backward(dh, cache, dh_n=dh_n, dc_n=dc_n))


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_step_backward_matches_numerical_gradient(T, B, D, H):
    rng = np.random.default_rng(9 + H)
    seq = peephole_inputs(rng, 1, B, D, H)
    inputs = {**{k: v for k, v in seq.items() if k not in ("x", "h0", "c0")},
              "x": seq["x"][0], "h_prev": seq["h0"], "c_prev": seq["c0"]}
    dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        h, c, _ = peephole_lstm_step_forward(**inputs)
        return np.sum(h * dh) + np.sum(c * dc)

    _, _, cache = peephole_lstm_step_forward(**inputs)
    assert_gradients_match(loss, inputs, peephole_lstm_step_backward(dh, dc, cache))


def test_zero_peepholes_give_the_plain_lstm():
    p = peephole_inputs(np.random.default_rng(1), 5, 2, 3, 4)
    zero = np.zeros(4)
    h, c, _ = peephole_lstm_forward(**{**p, "w_ci": zero, "w_cf": zero, "w_co": zero})
    plain = {k: v for k, v in p.items() if not k.startswith("w_c")}
    h_ref, c_ref, _ = lstm_forward(**plain)
    np.testing.assert_array_equal(h, h_ref, err_msg="zero peepholes should reproduce lstm_forward exactly")
    np.testing.assert_array_equal(c, c_ref)


def test_gates_look_at_the_right_cell_state():
    """Gers et al. (2002): i and f see c_{t-1}, o sees c_t. Written out by hand."""
    rng = np.random.default_rng(2)
    p = peephole_inputs(rng, 1, 2, 3, 4)
    x, h, c, H = p["x"][0], p["h0"], p["c0"], 4
    a = x @ p["w_ih"].T + h @ p["w_hh"].T + p["b_ih"] + p["b_hh"]
    i = sigmoid(a[:, :H] + p["w_ci"] * c)
    f = sigmoid(a[:, H:2 * H] + p["w_cf"] * c)
    c_next = f * c + i * np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:] + p["w_co"] * c_next)
    h_next, c_got, _ = peephole_lstm_step_forward(x, h, c, p["w_ih"], p["w_hh"], p["w_ci"], p["w_cf"], p["w_co"], p["b_ih"], p["b_hh"])
    np.testing.assert_allclose(c_got, c_next, atol=1e-15, err_msg="c_t")
    np.testing.assert_allclose(h_next, o * np.tanh(c_next), atol=1e-15, err_msg="the output gate should see c_t")


def test_peephole_must_be_a_vector():
    p = peephole_inputs(np.random.default_rng(0), 2, 2, 3, 4)
    with pytest.raises(ValueError, match=r"w_co must have shape \(4,\), got \(4, 4\)"):
        peephole_lstm_forward(**{**p, "w_co": np.zeros((4, 4))})


def test_backward_needs_a_peephole_cache():
    p = peephole_inputs(np.random.default_rng(0), 2, 2, 3, 4)
    _, _, cache = lstm_forward(**{k: v for k, v in p.items() if not k.startswith("w_c")})
    with pytest.raises(ValueError, match="plain LSTM forward"):
        peephole_lstm_backward(np.zeros((2, 2, 4)), cache)
