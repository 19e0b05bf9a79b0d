import numpy as np
import pytest

from lstm_course.numpy_ref.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

from .gradient_checks import SHAPES, assert_gradients_match, random_arrays


def rnn_inputs(rng, T, B, D, H, bias=True):
    return random_arrays(rng, {
        "x": (T, B, D), "h0": (B, H), "w_ih": (H, D), "w_hh": (H, H),
        "b_ih": (H,) if bias else None, "b_hh": (H,) if bias else None,
    })


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_backward_matches_numerical_gradient(T, B, D, H, nonlinearity, bias):
    rng = np.random.default_rng(T * 100 + B * 10 + H)
    inputs = rnn_inputs(rng, T, B, D, H, bias)
    dh, dh_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    def loss():
        h, _ = rnn_forward(**inputs, nonlinearity=nonlinearity)
        return np.sum(h * dh) + np.sum(h[-1] * dh_n)

    _, cache = rnn_forward(**inputs, nonlinearity=nonlinearity)
    assert_gradients_match(loss, inputs, rnn_backward(dh, cache, dh_n=dh_n))


@pytest.mark.parametrize("T,B,D,H", SHAPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_step_backward_matches_numerical_gradient(T, B, D, H, nonlinearity):
    rng = np.random.default_rng(11 + H)
    seq = rnn_inputs(rng, 1, B, D, H)
    inputs = dict(x=seq["x"][0], h_prev=seq["h0"], w_ih=seq["w_ih"], w_hh=seq["w_hh"], b_ih=seq["b_ih"], b_hh=seq["b_hh"])
    dh = rng.standard_normal((B, H))

    def loss():
        return np.sum(rnn_step_forward(**inputs, nonlinearity=nonlinearity)[0] * dh)

    _, cache = rnn_step_forward(**inputs, nonlinearity=nonlinearity)
    assert_gradients_match(loss, inputs, rnn_step_backward(dh, cache))


def test_sequence_equals_repeated_steps():
    p = rnn_inputs(np.random.default_rng(3), 6, 2, 3, 4)
    h_seq, _ = rnn_forward(**p)
    h = p["h0"]
    for t in range(6):
        h, _ = rnn_step_forward(p["x"][t], h, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
        np.testing.assert_allclose(h, h_seq[t], rtol=0, atol=1e-14, err_msg=f"h at step {t}")


def test_relu_gives_nonnegative_states():
    h, _ = rnn_forward(**rnn_inputs(np.random.default_rng(0), 5, 3, 2, 4), nonlinearity="relu")
    assert np.all(h >= 0), "relu hidden states should be >= 0"
    assert np.any(h == 0), "some relu units should be exactly zero on random input"


def test_unknown_nonlinearity():
    with pytest.raises(ValueError, match=r"nonlinearity must be one of \('tanh', 'relu'\), got 'sigmoid'"):
        rnn_forward(**rnn_inputs(np.random.default_rng(0), 2, 1, 2, 3), nonlinearity="sigmoid")


@pytest.mark.parametrize("change,message", [
    (dict(x=np.zeros((3, 2, 5))), r"x must have shape \(\*, \*, 3\), got \(3, 2, 5\)"),
    (dict(h0=np.zeros((3, 4))), r"h0 must have shape \(2, 4\), got \(3, 4\)"),
    (dict(w_hh=np.zeros((4, 5))), r"w_hh must have shape \(1\*H, H\)"),
    (dict(b_ih=None), "b_ih and b_hh must be both given or both None"),
])
def test_bad_input_names_what_was_expected(change, message):
    p = rnn_inputs(np.random.default_rng(0), 3, 2, 3, 4)
    with pytest.raises(ValueError, match=message):
        rnn_forward(**{**p, **change})


def test_step_rejects_misshaped_state():
    p = rnn_inputs(np.random.default_rng(0), 1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(2, 4\), got \(4, 2\)"):
        rnn_step_forward(p["x"][0], np.zeros((4, 2)), p["w_ih"], p["w_hh"])
