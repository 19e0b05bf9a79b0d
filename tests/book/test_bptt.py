"""The chapters "Backpropagation through time and the vanishing gradient" (book/bptt.md) and
"Truncated backpropagation through time" (book/tbptt.md): their
equations, as printed there, agree with the package's functions and with autograd.

Each test names the equation labels it checks. The numerical gradient checks of rnn_backward
(eq-bptt-delta, eq-bptt-weights) are in tests/numpy_ref/test_rnn.py, and the comparison of
clip_grad_norm (eq-bptt-clip) with torch in tests/numpy_ref/test_optim.py.
"""

import numpy as np
import pytest
import torch

from lstm_course import nn as course_nn
from lstm_course.experiments.gradient_flow import (StatefulCharLM, hidden_gradient_norms, recurrent_weights,
                                                   state_jacobian, truncated_gradient_map, truncation_mask)
from lstm_course.numpy_ref.lstm import lstm_backward, lstm_forward
from lstm_course.numpy_ref.rnn import rnn_backward, rnn_forward
from lstm_course.train import TrainConfig, fit, tbptt_batches

T, B, D, H = 12, 2, 3, 5


def example(rho=0.9, seed=0):
    """A tanh RNN without biases, its inputs and its hidden states (T, B, H)."""
    rng = np.random.default_rng(seed)
    w_ih, w_hh = rng.standard_normal((H, D)), recurrent_weights(rng, H, rho)
    zeros = np.zeros(H)
    x = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    h, cache = rnn_forward(x, h0, w_ih, w_hh, zeros, zeros)
    return x, h0, w_ih, w_hh, h, cache


def torch_rnn(w_ih, w_hh):
    rnn = course_nn.RNN(D, H, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(w_ih))
        rnn.weight_hh_l0.copy_(torch.from_numpy(w_hh))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    return rnn


def states_with_h0(h0, h, b):
    """(T + 1, H): h_0, h_1, ..., h_T of sequence b; row j holds h_j."""
    return np.concatenate([h0[b][None], h[:, b]])


@pytest.mark.parametrize("t, k", [(12, 0), (12, 11), (9, 3), (5, 5)])
def test_jacobian_product_matches_autograd(t, k):
    """eq-bptt-jacobian-product (state_jacobian) == the Jacobian of lstm_course.nn.RNN by autograd."""
    x, h0, w_ih, w_hh, h, _ = example()
    rnn = torch_rnn(w_ih, w_hh)
    h_k = torch.from_numpy(states_with_h0(h0, h, 0)[k])

    def h_t_from_h_k(state):
        if t == k:
            return state
        return rnn(torch.from_numpy(x[k:t, :1]), state.view(1, 1, H))[1].view(H)

    expected = torch.autograd.functional.jacobian(h_t_from_h_k, h_k).numpy()
    np.testing.assert_allclose(state_jacobian(h[:, 0], w_hh, t, k), expected, rtol=0, atol=1e-12)


def test_one_step_jacobian():
    """eq-rnn-jacobian: dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh."""
    _, _, _, w_hh, h, _ = example()
    np.testing.assert_allclose(state_jacobian(h[:, 1], w_hh, 7, 6), np.diag(1 - h[6, 1] ** 2) @ w_hh)


def test_sum_over_paths_matches_rnn_backward():
    """eq-bptt-paths: dL/dh_k = sum_{t >= k} (dh_t/dh_k)^T dl_t/dh_t. For k = 0 it is rnn_backward's
    dh0; for k > 0, the loss terms of steps k+1.. reach h_k as the initial state of the rest of the
    sequence, plus the direct term dl_k/dh_k."""
    x, h0, w_ih, w_hh, h, cache = example()
    dh = np.random.default_rng(1).standard_normal((T, B, H))
    zeros = np.zeros(H)

    def by_paths(b, k):
        total = dh[k - 1, b].copy() if k > 0 else np.zeros(H)  # the t = k term, with the identity
        for t in range(k + 1, T + 1):
            total += state_jacobian(h[:, b], w_hh, t, k).T @ dh[t - 1, b]
        return total

    dh0 = rnn_backward(dh, cache).dh0
    for b in range(B):
        np.testing.assert_allclose(by_paths(b, 0), dh0[b], rtol=0, atol=1e-12)
    for k in (1, 5, 11):
        _, suffix = rnn_forward(x[k:], h[k - 1], w_ih, w_hh, zeros, zeros)
        expected = dh[k - 1] + rnn_backward(dh[k:], suffix).dh0
        for b in range(B):
            np.testing.assert_allclose(by_paths(b, k), expected[b], rtol=0, atol=1e-12)


def test_temporal_contributions_sum_to_the_weight_gradient():
    """eq-bptt-temporal: the double sum over k <= t equals rnn_backward's dw_hh (eq-bptt-weights)."""
    _, h0, _, w_hh, h, cache = example()
    dh = np.random.default_rng(2).standard_normal((T, B, H))
    total = np.zeros((H, H))
    for b in range(B):
        states = states_with_h0(h0, h, b)
        for t in range(1, T + 1):
            for k in range(1, t + 1):
                phi_prime = 1 - states[k] ** 2
                inner = phi_prime * (state_jacobian(h[:, b], w_hh, t, k).T @ dh[t - 1, b])
                total += np.outer(inner, states[k - 1])
    np.testing.assert_allclose(total, rnn_backward(dh, cache).dw_hh, rtol=0, atol=1e-11)


@pytest.mark.parametrize("rho", [0.5, 1.0, 3.0])
def test_norm_bound(rho):
    """eq-bptt-bound with gamma = 1 for tanh: ||dh_t/dh_k|| <= sigma_max^(t - k)."""
    _, _, _, w_hh, h, _ = example(rho=rho, seed=3)
    sigma_max = np.linalg.norm(w_hh, ord=2)
    for k in range(T + 1):
        norm = np.linalg.norm(state_jacobian(h[:, 0], w_hh, T, k), ord=2)
        assert norm <= sigma_max ** (T - k) * (1 + 1e-12)


def test_state_jacobian_rejects_bad_steps():
    _, _, _, w_hh, h, _ = example()
    with pytest.raises(ValueError, match="0 <= k <= t"):
        state_jacobian(h[:, 0], w_hh, 3, 4)
    with pytest.raises(ValueError, match="w_hh"):
        state_jacobian(h[:, 0], w_hh[:, :2], 3, 1)


def test_recurrent_weights_spectral_radius():
    w = recurrent_weights(np.random.default_rng(0), 10, 1.7)
    assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(1.7, rel=1e-12)


def test_hidden_gradient_norms_of_the_rnn_follow_the_jacobian_product():
    """hidden_gradient_norms with L = sum_j h_{T,j}: ||(dh_T/dh_k)^T 1|| from eq-bptt-jacobian-product."""
    x, _, w_ih, w_hh, h, _ = example()
    zeros = np.zeros(H)
    h_from_zero, _ = rnn_forward(x, None, w_ih, w_hh, zeros, zeros)  # the layer starts from h_0 = 0
    norms = hidden_gradient_norms(torch_rnn(w_ih, w_hh), torch.from_numpy(x)).numpy()
    assert norms.shape == (T, B)
    for b in range(B):
        for k in range(1, T + 1):
            expected = np.linalg.norm(state_jacobian(h_from_zero[:, b], w_hh, T, k).T @ np.ones(H))
            assert norms[k - 1, b] == pytest.approx(expected, rel=1e-10)


def test_hidden_gradient_norms_of_the_lstm_match_the_numpy_reference():
    """For the LSTM, ||dL/dh_k|| holds c_k apart: it is the dh0 of lstm_backward run from (h_k, c_k)."""
    torch.manual_seed(0)
    lstm = course_nn.LSTM(D, H, dtype=torch.float64)
    x = torch.randn(T, B, D, dtype=torch.float64)
    norms = hidden_gradient_norms(lstm, x).numpy()
    weights = [getattr(lstm, name).detach().numpy() for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                                                 "bias_hh_l0")]
    h, c, _ = lstm_forward(x.numpy(), None, None, *weights)
    for k in (1, 4, T - 1):
        _, _, suffix = lstm_forward(x.numpy()[k:], h[k - 1], c[k - 1], *weights)
        dh = np.zeros((T - k, B, H))
        dh[-1] = 1.0
        expected = np.linalg.norm(lstm_backward(dh, suffix).dh0, axis=-1)
        np.testing.assert_allclose(norms[k - 1], expected, rtol=1e-10)
    np.testing.assert_allclose(norms[-1], np.sqrt(H))


def test_hidden_gradient_norms_rejects_other_layers():
    with pytest.raises(TypeError, match="RNN, LSTM or GRU"):
        hidden_gradient_norms(torch.nn.RNN(D, H), torch.zeros(3, 1, D))
    with pytest.raises(ValueError, match="one-layer"):
        hidden_gradient_norms(course_nn.RNN(D, H, bidirectional=True), torch.zeros(3, 1, D))


def test_truncation_mask_special_cases():
    """eq-tbptt: k1 = k2 = T is full BPTT; k1 = k2 = k gives chunks; with k2 > k1 every loss reaches
    back at least k2 - k1 + 1 steps, or to the first step."""
    steps = 20
    np.testing.assert_array_equal(truncation_mask(steps, steps, steps), np.tril(np.ones((steps, steps), bool)))
    chunks = truncation_mask(steps, 5, 5)
    for t in range(steps):
        start = t - t % 5
        np.testing.assert_array_equal(np.flatnonzero(chunks[t]), np.arange(start, t + 1))
    overlapping = truncation_mask(steps, 3, 8)
    for t in range(steps):
        reached = np.flatnonzero(overlapping[t])
        assert reached[-1] == t and np.all(np.diff(reached) == 1)
        assert len(reached) >= min(8 - 3 + 1, t + 1)
        assert len(reached) <= 8
    with pytest.raises(ValueError, match="k2 >= k1"):
        truncation_mask(steps, 4, 2)
    with pytest.raises(ValueError, match="k1"):
        truncation_mask(steps, 0, 2)


@pytest.mark.parametrize("layer, k1, k2", [("RNN", 4, 4), ("RNN", 3, 7), ("LSTM", 5, 5), ("GRU", 2, 6)])
def test_truncated_gradient_map_follows_the_mask_with_full_bptt_values(layer, k1, k2):
    """eq-tbptt measured with autograd: gradients flow exactly where truncation_mask says, and there
    they equal those of full BPTT (the forward pass is the same)."""
    torch.manual_seed(0)
    module = getattr(course_nn, layer)(D, H, dtype=torch.float64)
    x = torch.randn(T, 1, D, dtype=torch.float64)
    truncated = truncated_gradient_map(module, x, k1, k2)
    full = truncated_gradient_map(module, x, T, T)
    mask = truncation_mask(T, k1, k2)
    np.testing.assert_array_equal(truncated > 0, mask)
    np.testing.assert_allclose(truncated[mask], full[mask], rtol=1e-10)


def test_stateful_char_lm_chunked_forward_equals_one_pass_and_trains():
    """Carrying the state across chunks, detached, changes nothing in the forward pass; fit with
    stateful=True lowers the loss."""
    torch.manual_seed(0)
    model = StatefulCharLM(6, 4, 8)
    tokens = torch.randint(6, (40, 3))
    whole, _ = model(tokens)
    state, pieces = None, []
    for inputs, _ in tbptt_batches(tokens, 7):
        logits, state = model(inputs, state)
        state = tuple(s.detach() for s in state)
        pieces.append(logits)
    torch.testing.assert_close(torch.cat(pieces), whole[:-1])

    periodic = torch.arange(5).repeat(40).view(-1, 2) % 6  # a stream that is easy to predict
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains many times faster on one thread
    try:
        history = fit(model, tbptt_batches(periodic, 10), loss_fn=torch.nn.CrossEntropyLoss(),
                      optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
                      config=TrainConfig(epochs=3, stateful=True, progress=False))
    finally:
        torch.set_num_threads(threads)
    assert history[-1].train_loss < 0.5 * history[0].train_loss


def test_stateful_char_lm_rnn_and_errors():
    model = StatefulCharLM(5, 3, 4, cell="rnn")
    logits, h = model(torch.zeros(2, 1, dtype=torch.long))
    assert logits.shape == (2, 1, 5) and h.shape == (1, 1, 4)
    with pytest.raises(ValueError, match="cell"):
        StatefulCharLM(5, 3, 4, cell="gru")
    with pytest.raises(ValueError, match=r"\(k, B\) int64"):
        model(torch.zeros(2, 1))
