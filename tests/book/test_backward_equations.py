"""Backward passes and conversions that the book writes out, as printed, against the package.

- eq-bptt-output (book/bptt.md): the output layer's gradients;
- eq-gru-bptt-h, eq-gru-bptt-gates, eq-gru-bptt-weights (book/gru.md): the GRU over a whole sequence;
- eq-var-peephole-bptt (book/variants.md): the peephole LSTM over a whole sequence;
- eq-notation-concat (book/notation.md): the concatenated form W [h, x] + b and PyTorch's layout;
- the box "The LSTM does not prevent exploding gradients" (book/lstm_adding.md): the Jacobian at the zero state.

Each formula is re-derived here from the text, one example at a time where that is how it is printed, so
that a change to the text or to the package that breaks their agreement fails a test.
"""

import numpy as np
import pytest
import torch

from lstm_course.numpy_ref.gru import gru_backward, gru_forward
from lstm_course.numpy_ref.layers import softmax_cross_entropy, temporal_affine_backward, temporal_affine_forward
from lstm_course.numpy_ref.lstm import lstm_backward, lstm_forward, lstm_step_forward
from lstm_course.numpy_ref.peephole_lstm import peephole_lstm_backward, peephole_lstm_forward

T, B, D, H, V = 5, 3, 4, 6, 7


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_output_layer_gradients_match_softmax_cross_entropy_and_torch():
    """eq-bptt-output with a sum over the steps: softmax(y) - onehot, W_hy^T dy, sums over steps."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((T, B, H))
    w_hy, b_y = rng.standard_normal((V, H)), rng.standard_normal(V)
    targets = rng.integers(0, V, (T, B))

    y = np.einsum("vh,tbh->tbv", w_hy, h) + b_y
    probs = np.exp(y - y.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    dy = probs - np.eye(V)[targets]  # the sum over the T B predictions
    dh, dw_hy, db_y = dy @ w_hy, np.einsum("tbv,tbh->vh", dy, h), dy.sum(axis=(0, 1))

    logits, cache = temporal_affine_forward(h, w_hy, b_y)
    _, dlogits = softmax_cross_entropy(logits, targets)  # the mean: dy / (T B)
    ref = temporal_affine_backward(dlogits * (T * B), cache)
    np.testing.assert_allclose(ref.dx, dh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.dw, dw_hy, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.db, db_y, rtol=1e-12, atol=1e-12)

    h_t = torch.tensor(h, requires_grad=True)
    w_t, b_t = torch.tensor(w_hy, requires_grad=True), torch.tensor(b_y, requires_grad=True)
    loss = torch.nn.functional.cross_entropy((h_t @ w_t.T + b_t).reshape(-1, V),
                                             torch.from_numpy(targets).reshape(-1), reduction="sum")
    loss.backward()
    np.testing.assert_allclose(h_t.grad.numpy(), dh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w_t.grad.numpy(), dw_hy, rtol=1e-12, atol=1e-12)


def gru_backward_as_printed(dh_loss, x, h0, w_ih, w_hh, b_ih, b_hh):
    """eq-gru-bptt-h, eq-gru-bptt-gates and eq-gru-bptt-weights, column vectors, one example at a time."""
    grads = {"dx": np.zeros_like(x), "dh0": np.zeros_like(h0), "dw_ih": np.zeros_like(w_ih),
             "dw_hh": np.zeros_like(w_hh), "db_ih": np.zeros_like(b_ih), "db_hh": np.zeros_like(b_hh)}
    for b in range(x.shape[1]):
        hs, gates = [h0[b]], []
        for t in range(x.shape[0]):  # forward, eq-gru-reset-update, eq-gru-candidate-after, eq-gru-interpolation
            a_x, a_h = w_ih @ x[t, b] + b_ih, w_hh @ hs[-1] + b_hh
            r, z = sigmoid(a_x[:H] + a_h[:H]), sigmoid(a_x[H:2 * H] + a_h[H:2 * H])
            n = np.tanh(a_x[2 * H:] + r * a_h[2 * H:])
            gates.append((r, z, n, a_h[2 * H:]))
            hs.append((1 - z) * n + z * hs[-1])
        carry = np.zeros(H)  # W_hh^T da^h_(t+1) + z_(t+1) * dh_(t+1)
        for t in reversed(range(x.shape[0])):
            r, z, n, a_hn = gates[t]
            dh = dh_loss[t, b] + carry
            da_n = dh * (1 - z) * (1 - n ** 2)
            da_z = dh * (hs[t] - n) * z * (1 - z)
            da_r = da_n * a_hn * r * (1 - r)
            da_x = np.concatenate([da_r, da_z, da_n])
            da_h = np.concatenate([da_r, da_z, r * da_n])
            grads["dw_ih"] += np.outer(da_x, x[t, b])
            grads["dw_hh"] += np.outer(da_h, hs[t])
            grads["db_ih"] += da_x
            grads["db_hh"] += da_h
            grads["dx"][t, b] = w_ih.T @ da_x
            carry = w_hh.T @ da_h + z * dh
        grads["dh0"][b] = carry
    return grads


def test_gru_backward_equations_match_gru_backward():
    rng = np.random.default_rng(1)
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    w_ih, w_hh = 0.5 * rng.standard_normal((3 * H, D)), 0.5 * rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)
    dh = rng.standard_normal((T, B, H))
    _, cache = gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    ref = gru_backward(dh, cache)
    printed = gru_backward_as_printed(dh, x, h0, w_ih, w_hh, b_ih, b_hh)
    for name, value in printed.items():
        np.testing.assert_allclose(getattr(ref, name), value, rtol=1e-10, atol=1e-12, err_msg=name)
    # "Unlike the LSTM's, the two bias gradients of the GRU differ, in the block n."
    np.testing.assert_allclose(ref.db_ih[:2 * H], ref.db_hh[:2 * H], rtol=1e-12)
    assert not np.allclose(ref.db_ih[2 * H:], ref.db_hh[2 * H:])


def peephole_backward_as_printed(dh_loss, x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh):
    """eq-var-peephole forward, then eq-var-peephole-bptt with eq-lstm-bptt-gates, one example at a time."""
    grads = {name: np.zeros_like(value) for name, value in
             (("dx", x), ("dw_ih", w_ih), ("dw_hh", w_hh), ("dw_ci", w_ci), ("dw_cf", w_cf), ("dw_co", w_co),
              ("db_ih", b_ih))}
    grads["dh0"], grads["dc0"] = np.zeros_like(h0), np.zeros_like(c0)
    for b in range(x.shape[1]):
        hs, cs, steps = [h0[b]], [c0[b]], []
        for t in range(x.shape[0]):
            a = w_ih @ x[t, b] + b_ih + w_hh @ hs[-1] + b_hh
            i = sigmoid(a[:H] + w_ci * cs[-1])
            f = sigmoid(a[H:2 * H] + w_cf * cs[-1])
            g = np.tanh(a[2 * H:3 * H])
            c = f * cs[-1] + i * g
            o = sigmoid(a[3 * H:] + w_co * c)
            steps.append((i, f, g, o, c))
            hs.append(o * np.tanh(c))
            cs.append(c)
        dh_carry, dc_carry = np.zeros(H), np.zeros(H)  # W_hh^T da_(t+1); f dc + w_ci da^i + w_cf da^f of t+1
        for t in reversed(range(x.shape[0])):
            i, f, g, o, c = steps[t]
            dh = dh_loss[t, b] + dh_carry
            da_o = dh * np.tanh(c) * o * (1 - o)
            dc = dh * o * (1 - np.tanh(c) ** 2) + w_co * da_o + dc_carry
            da_i, da_f, da_g = dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2)
            da = np.concatenate([da_i, da_f, da_g, da_o])
            grads["dw_ih"] += np.outer(da, x[t, b])
            grads["dw_hh"] += np.outer(da, hs[t])
            grads["db_ih"] += da
            grads["dw_ci"] += da_i * cs[t]
            grads["dw_cf"] += da_f * cs[t]
            grads["dw_co"] += da_o * c
            grads["dx"][t, b] = w_ih.T @ da
            dh_carry = w_hh.T @ da
            dc_carry = f * dc + w_ci * da_i + w_cf * da_f
        grads["dh0"][b], grads["dc0"][b] = dh_carry, dc_carry
    return grads


def test_peephole_backward_equations_match_peephole_lstm_backward():
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    w_ih, w_hh = 0.5 * rng.standard_normal((4 * H, D)), 0.5 * rng.standard_normal((4 * H, H))
    w_ci, w_cf, w_co = rng.standard_normal(H), rng.standard_normal(H), rng.standard_normal(H)
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    dh = rng.standard_normal((T, B, H))
    _, _, cache = peephole_lstm_forward(x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh)
    ref = peephole_lstm_backward(dh, cache)
    printed = peephole_backward_as_printed(dh, x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh)
    for name, value in printed.items():
        np.testing.assert_allclose(getattr(ref, name), value, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("gates", [4, 3, 1])
def test_concatenated_form_is_the_sum_of_the_two_products(gates):
    """eq-notation-concat: [W_hh | W_ih] [h, x] + (b_ih + b_hh) == W_ih x + b_ih + W_hh h + b_hh, any G."""
    rng = np.random.default_rng(3)
    w_ih, w_hh = rng.standard_normal((gates * H, D)), rng.standard_normal((gates * H, H))
    b_ih, b_hh = rng.standard_normal(gates * H), rng.standard_normal(gates * H)
    x, h = rng.standard_normal(D), rng.standard_normal(H)
    w, b = np.concatenate([w_hh, w_ih], axis=1), b_ih + b_hh
    assert w.shape == (gates * H, H + D)
    np.testing.assert_allclose(w @ np.concatenate([h, x]) + b, w_ih @ x + b_ih + w_hh @ h + b_hh, rtol=1e-12)
    # Back: the first H columns act on h; the whole bias in b_ih gives the same LSTM step.
    np.testing.assert_array_equal(w[:, H:], w_ih)
    np.testing.assert_array_equal(w[:, :H], w_hh)
    if gates == 4:
        c = rng.standard_normal((1, H))
        got = lstm_step_forward(x[None], h[None], c, w[:, H:], w[:, :H], b, np.zeros_like(b))[:2]
        want = lstm_step_forward(x[None], h[None], c, w_ih, w_hh, b_ih, b_hh)[:2]
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_lstm_jacobian_at_the_zero_state_is_identity_plus_w_hg_over_four():
    """The box of book/lstm_adding.md: forget gates at 1, other biases zero, zero input: zero is a fixed point and
    one step maps a small cell state c to (I + W_hg / 4) c, to first order."""
    rng = np.random.default_rng(4)
    w_ih = rng.uniform(-0.5, 0.5, (4 * H, 1))
    w_hh = rng.uniform(-0.5, 0.5, (4 * H, H))
    b_ih, b_hh = np.zeros(4 * H), np.zeros(4 * H)
    b_ih[H:2 * H] = 30.0
    zero_x = np.zeros((1, 1))
    h, c, _ = lstm_step_forward(zero_x, np.zeros((1, H)), np.zeros((1, H)), w_ih, w_hh, b_ih, b_hh)
    assert np.all(h == 0) and np.all(c == 0)
    eps = 1e-6
    jac = np.empty((H, H))
    for j in range(H):  # the state (h, c) = (tanh(c) / 2, c) that a previous step at the fixed point would give
        c_prev = np.zeros((1, H))
        c_prev[0, j] = eps
        _, c_next, _ = lstm_step_forward(zero_x, 0.5 * np.tanh(c_prev), c_prev, w_ih, w_hh, b_ih, b_hh)
        jac[:, j] = c_next[0] / eps
    np.testing.assert_allclose(jac, np.eye(H) + w_hh[2 * H:3 * H] / 4, atol=1e-5)
    # And with the gradient: through the whole sequence it grows like the spectral radius.
    steps = 80
    _, _, cache = lstm_forward(np.zeros((steps, 1, 1)), None, None, w_ih, w_hh, b_ih, b_hh)
    dh = np.zeros((steps, 1, H))
    dh[-1] = 1.0
    norms = np.linalg.norm(lstm_backward(dh, cache).dx[::-1, 0], axis=-1)
    rho = np.max(np.abs(np.linalg.eigvals(np.eye(H) + w_hh[2 * H:3 * H] / 4)))
    assert rho > 1
    rate = (norms[-1] / norms[steps // 2]) ** (1 / (steps - 1 - steps // 2))
    assert rate == pytest.approx(rho, rel=0.05)
