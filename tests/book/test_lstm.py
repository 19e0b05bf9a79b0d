"""The equations of the book's LSTM chapter (book/lstm.md), written out as printed there,
agree with the package's functions and with ``torch.nn.LSTM``.

Each test names the equation labels of the chapter it checks. The gradient checks of the
NumPy reference against numerical gradients are in tests/numpy_ref/test_lstm.py, and the
comparisons of whole layers with ``torch.nn.LSTM`` in tests/numpy_ref/test_modules.py and
tests/nn/test_lstm.py; this file ties the printed formulas to that code.
"""

import numpy as np
import pytest
import torch

from lstm_course import nn as course_nn
from lstm_course.numpy_ref.lstm import lstm_backward, lstm_forward, lstm_step_forward

T, B, D, H = 5, 3, 4, 6


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def torch_lstm(seed=0):
    torch.manual_seed(seed)
    return torch.nn.LSTM(D, H, dtype=torch.float64)


def numpy_weights(lstm):
    return [getattr(lstm, name).detach().numpy().copy()
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]


def inputs(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, B, D)), 0.5 * rng.standard_normal((B, H)), 0.5 * rng.standard_normal((B, H))


def chapter_step(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh):
    """eq-lstm-preact, eq-lstm-activations, eq-lstm-forget and eq-lstm-out, with column vectors
    as in the chapter: a batch is handled one example at a time."""
    h_next, c_next, gates = [], [], []
    for x_b, h_b, c_b in zip(x, h_prev, c_prev):
        a = w_ih @ x_b + b_ih + w_hh @ h_b + b_hh  # (4H,)
        a_i, a_f, a_g, a_o = np.split(a, 4)  # PyTorch's order i, f, g, o
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c = f * c_b + i * g
        h_next.append(o * np.tanh(c))  # the output gate multiplies tanh(c)
        c_next.append(c)
        gates.append((i, f, g, o))
    return np.array(h_next), np.array(c_next), gates


def test_step_equations_match_lstm_step_forward_and_torch():
    """eq-lstm-preact to eq-lstm-out == lstm_step_forward == one step of torch.nn.LSTM."""
    lstm = torch_lstm()
    weights = numpy_weights(lstm)
    x, h0, c0 = inputs()
    h_eq, c_eq, _ = chapter_step(x[0], h0, c0, *weights)

    h_ref, c_ref, _ = lstm_step_forward(x[0], h0, c0, *weights)
    np.testing.assert_allclose(h_ref, h_eq, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_ref, c_eq, rtol=0, atol=1e-14)

    with torch.no_grad():
        _, (h_t, c_t) = lstm(torch.from_numpy(x[:1]), (torch.from_numpy(h0[None]), torch.from_numpy(c0[None])))
    np.testing.assert_allclose(h_t[0].numpy(), h_eq, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_t[0].numpy(), c_eq, rtol=0, atol=1e-14)


def test_gate_blocks_follow_torch_order():
    """The four row blocks of weight_ih_l0 are W_ii, W_if, W_ig, W_io: with every block but
    one set to zero, only the corresponding gate of eq-lstm-activations moves away from
    its value at zero pre-activation."""
    x, h0, c0 = inputs()
    for block, name in enumerate("ifgo"):
        w_ih = np.zeros((4 * H, D))
        w_ih[block * H:(block + 1) * H] = 1.0
        zeros = [np.zeros((4 * H, H)), np.zeros(4 * H), np.zeros(4 * H)]
        _, _, cache = lstm_forward(x[:1], h0, c0, w_ih, *zeros)
        gates = dict(zip("ifgo", np.split(cache.gates[0], 4, axis=-1)))
        for other, value in gates.items():
            at_zero = 0.0 if other == "g" else 0.5
            moved = not np.allclose(value, at_zero)
            assert moved == (other == name), f"block {block} of w_ih should drive gate {name} only"


def chapter_backward(dh, dc_n, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """eq-lstm-bptt-h, eq-lstm-bptt-c, eq-lstm-bptt-gates and eq-lstm-bptt-weights, step by step."""
    steps = len(x)
    h, c, gates = [h0], [c0], []
    for t in range(steps):
        h_t, c_t, g_t = chapter_step(x[t], h[-1], c[-1], w_ih, w_hh, b_ih, b_hh)
        h.append(h_t)
        c.append(c_t)
        gates.append([np.array(z) for z in zip(*g_t)])  # i, f, g, o, each (B, H)
    grads = {"x": np.zeros_like(x), "w_ih": np.zeros_like(w_ih), "w_hh": np.zeros_like(w_hh),
             "b": np.zeros_like(b_ih)}
    da_next = np.zeros((x.shape[1], 4 * H))
    dc_next = dc_n.copy()  # the loss reads c_T directly
    f_next = np.zeros_like(c0)  # f_{T+1} * delta c_{T+1} = 0, apart from dc_n above
    for t in range(steps, 0, -1):  # t = T, ..., 1 as in the chapter; lists are indexed from 0
        i, f, g, o = gates[t - 1]
        dh_t = dh[t - 1] + da_next @ w_hh  # eq-lstm-bptt-h (rows: W_hh^T delta a_{t+1})
        tanh_c = np.tanh(c[t])
        dc_t = dh_t * o * (1 - tanh_c ** 2) + (f_next * dc_next if t < steps else dc_next)  # eq-lstm-bptt-c
        da = np.concatenate([dc_t * g * i * (1 - i), dc_t * c[t - 1] * f * (1 - f),
                             dc_t * i * (1 - g ** 2), dh_t * tanh_c * o * (1 - o)], axis=1)  # eq-lstm-bptt-gates
        grads["w_ih"] += da.T @ x[t - 1]  # eq-lstm-bptt-weights
        grads["w_hh"] += da.T @ h[t - 1]
        grads["b"] += da.sum(axis=0)
        grads["x"][t - 1] = da @ w_ih
        da_next, dc_next, f_next = da, dc_t, f
    grads["h0"] = da_next @ w_hh
    grads["c0"] = f_next * dc_next
    return grads


def test_bptt_equations_match_lstm_backward_and_autograd():
    """eq-lstm-bptt-h to eq-lstm-bptt-weights == lstm_backward == autograd through torch.nn.LSTM,
    for L = sum(dh * h) + sum(dc_n * c_T)."""
    lstm = torch_lstm(2)
    weights = numpy_weights(lstm)
    x, h0, c0 = inputs(3)
    rng = np.random.default_rng(4)
    dh, dc_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    eq = chapter_backward(dh, dc_n, x, h0, c0, *weights)

    _, _, cache = lstm_forward(x, h0, c0, *weights)
    ref = lstm_backward(dh, cache, dc_n=dc_n)
    for name, value in (("x", ref.dx), ("h0", ref.dh0), ("c0", ref.dc0), ("w_ih", ref.dw_ih),
                        ("w_hh", ref.dw_hh), ("b", ref.db_ih), ("b", ref.db_hh)):
        np.testing.assert_allclose(value, eq[name], rtol=1e-12, atol=1e-12, err_msg=f"d{name}: lstm_backward")

    x_t = torch.from_numpy(x).requires_grad_()
    h0_t = torch.from_numpy(h0[None]).requires_grad_()
    c0_t = torch.from_numpy(c0[None]).requires_grad_()
    output, (_, c_n) = lstm(x_t, (h0_t, c0_t))
    loss = (output * torch.from_numpy(dh)).sum() + (c_n[0] * torch.from_numpy(dc_n)).sum()
    loss.backward()
    for name, tensor in (("x", x_t.grad), ("h0", h0_t.grad[0]), ("c0", c0_t.grad[0]),
                         ("w_ih", lstm.weight_ih_l0.grad), ("w_hh", lstm.weight_hh_l0.grad),
                         ("b", lstm.bias_ih_l0.grad), ("b", lstm.bias_hh_l0.grad)):
        np.testing.assert_allclose(tensor.numpy(), eq[name], rtol=1e-12, atol=1e-12, err_msg=f"d{name}: torch")


@pytest.mark.parametrize("forget_shift", [0.0, 2.0])
def test_direct_path_of_the_cell_state_is_the_product_of_forget_gates(forget_shift):
    """eq-lstm-forget-product: without recurrent weights the direct path is the only one,
    so dc_T/dc_0 is the product of the forget gates."""
    lstm = torch_lstm(5)
    w_ih, _, b_ih, b_hh = numpy_weights(lstm)
    b_ih[H:2 * H] += forget_shift
    x, h0, c0 = inputs(6)
    _, _, cache = lstm_forward(x, h0, c0, w_ih, np.zeros((4 * H, H)), b_ih, b_hh)
    grads = lstm_backward(np.zeros((T, B, H)), cache, dc_n=np.ones((B, H)))  # L = sum(c_T)
    forget = cache.gates[:, :, H:2 * H]  # (T, B, H)
    np.testing.assert_allclose(grads.dc0, forget.prod(axis=0), rtol=1e-12)


def test_constant_error_carousel_carries_the_gradient_unchanged():
    """eq-lstm-cec (f_t = 1): the error at c_T reaches c_0 undiminished over many steps."""
    steps = 200
    rng = np.random.default_rng(7)
    b_ih = np.zeros(4 * H)
    b_ih[H:2 * H] = 40.0  # forget gates at 1 to machine precision
    x = rng.standard_normal((steps, B, D))
    w_ih = 0.3 * rng.standard_normal((4 * H, D))
    _, _, cache = lstm_forward(x, None, None, w_ih, np.zeros((4 * H, H)), b_ih, np.zeros(4 * H))
    grads = lstm_backward(np.zeros((steps, B, H)), cache, dc_n=np.ones((B, H)))
    np.testing.assert_allclose(grads.dc0, 1.0, rtol=1e-12)


def test_parameter_count():
    """eq-lstm-params: 4H(D + H) + 8H, for torch.nn.LSTM and lstm_course.nn.LSTM."""
    expected = 4 * H * (D + H) + 8 * H
    for module in (torch.nn.LSTM(D, H), course_nn.LSTM(D, H)):
        assert sum(p.numel() for p in module.parameters()) == expected
