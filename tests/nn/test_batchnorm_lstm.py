"""The batch-normalised LSTM of Cooijmans et al. (2017), lstm_course.nn.batchnorm_lstm."""

import pytest
import torch

from lstm_course.nn.batchnorm_lstm import BatchNormLSTM

F64 = torch.float64
D, H, B = 3, 4, 6


def by_hand_batch_norm(z, gamma, beta, eps, mean=None, var=None):
    """BN over the batch (dim 0), each unit apart, biased variance, as in training mode."""
    if mean is None:
        mean = z.sum(0) / z.shape[0]
        var = ((z - mean) ** 2).sum(0) / z.shape[0]
    out = gamma * (z - mean) / torch.sqrt(var + eps)
    return out if beta is None else out + beta


def randomise(lstm):
    """Gains and beta_c away from their initial values, so that using them is checked."""
    with torch.no_grad():
        for name in ("gamma_ih", "gamma_hh", "gamma_c", "beta_c"):
            getattr(lstm, name).copy_(torch.rand_like(getattr(lstm, name)) + 0.5)


def by_hand(lstm, x, h, c, statistics=None):
    """eq-train-batchnorm-lstm written out, step by step; ``statistics(name, t)`` gives (mean, var) or None."""
    eps, outputs = lstm.eps, []
    b = lstm.bias_ih + lstm.bias_hh
    for t, x_t in enumerate(x):
        stats = statistics or (lambda name, t: (None, None))
        a = (by_hand_batch_norm(h @ lstm.weight_hh.T, lstm.gamma_hh, None, eps, *stats("hh", t))
             + by_hand_batch_norm(x_t @ lstm.weight_ih.T, lstm.gamma_ih, None, eps, *stats("ih", t)) + b)
        a_i, a_f, a_g, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
        h = torch.sigmoid(a_o) * torch.tanh(by_hand_batch_norm(c, lstm.gamma_c, lstm.beta_c, eps, *stats("c", t)))
        outputs.append(h)
    return torch.stack(outputs), h, c


def test_training_mode_as_printed(device):
    """eq-train-batchnorm-lstm with the statistics of the batch at every step."""
    torch.manual_seed(0)
    lstm = BatchNormLSTM(D, H, max_steps=5, device=device, dtype=F64)
    randomise(lstm)
    x = torch.randn(5, B, D, dtype=F64, device=device)
    h0, c0 = torch.randn(1, B, H, dtype=F64, device=device), torch.randn(1, B, H, dtype=F64, device=device)
    out, (h_n, c_n) = lstm(x, (h0, c0))
    expected, h, c = by_hand(lstm, x, h0[0], c0[0])
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[0], h, rtol=0, atol=1e-12)
    torch.testing.assert_close(c_n[0], c, rtol=0, atol=1e-12, msg="c_T is carried without normalisation")


def test_running_statistics_are_kept_per_step_and_used_in_eval():
    torch.manual_seed(0)
    lstm = BatchNormLSTM(D, H, max_steps=3, momentum=0.5, dtype=F64)
    randomise(lstm)
    x = torch.randn(3, B, D, dtype=F64)
    with torch.no_grad():
        lstm(x)
        # Step 0 starts from h_0 = 0: its recurrent term is 0, with mean 0 and variance 0.
        torch.testing.assert_close(lstm.running_mean_hh[0], torch.zeros(4 * H, dtype=F64))
        torch.testing.assert_close(lstm.running_var_hh[0], torch.full((4 * H,), 0.5, dtype=F64))
        xw0 = x[0] @ lstm.weight_ih.T
        torch.testing.assert_close(lstm.running_mean_ih[0], 0.5 * xw0.mean(0))
        torch.testing.assert_close(lstm.running_var_ih[0], 0.5 + 0.5 * xw0.var(0))  # unbiased, as torch.nn.BatchNorm1d
        assert not torch.allclose(lstm.running_mean_ih[0], lstm.running_mean_ih[1]), "one row per step"

        lstm.eval()
        longer = torch.randn(5, 2, D, dtype=F64)  # longer than max_steps, and a batch of 2
        out, _ = lstm(longer)

        def running(name, t):
            s = min(t, lstm.max_steps - 1)  # steps past T_max reuse the last statistics
            return getattr(lstm, f"running_mean_{name}")[s], getattr(lstm, f"running_var_{name}")[s]

        expected, _, _ = by_hand(lstm, longer, torch.zeros(2, H, dtype=F64), torch.zeros(2, H, dtype=F64), running)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


def test_steps_past_max_steps_in_training_leave_the_running_statistics_alone():
    torch.manual_seed(0)
    lstm = BatchNormLSTM(D, H, max_steps=2, dtype=F64)
    x = torch.randn(2, B, D, dtype=F64)
    with torch.no_grad():
        lstm(x)
        short = {name: buffer.clone() for name, buffer in lstm.named_buffers()}
        lstm.reset_running_stats()
        out_long, _ = lstm(torch.cat([x, torch.randn(4, B, D, dtype=F64)]))
    for name, buffer in lstm.named_buffers():
        torch.testing.assert_close(buffer, short[name], rtol=0, atol=0, msg=name)
    expected, _, _ = by_hand(lstm, x, torch.zeros(B, H, dtype=F64), torch.zeros(B, H, dtype=F64))
    torch.testing.assert_close(out_long[:2], expected, rtol=0, atol=1e-12)


def test_one_sequence_depends_on_the_rest_of_the_batch_in_training_only():
    torch.manual_seed(0)
    lstm = BatchNormLSTM(D, H, max_steps=4, dtype=F64)
    x = torch.randn(4, B, D, dtype=F64)
    other = x.clone()
    other[:, 1:] = torch.randn(4, B - 1, D, dtype=F64)
    with torch.no_grad():
        assert not torch.allclose(lstm(x)[0][:, 0], lstm(other)[0][:, 0])
        lstm.eval()
        torch.testing.assert_close(lstm(x)[0][:, 0], lstm(other)[0][:, 0], rtol=0, atol=0)


def test_initial_gains_and_interface():
    lstm = BatchNormLSTM(D, H, max_steps=7, batch_first=True)
    for name in ("gamma_ih", "gamma_hh", "gamma_c"):
        assert torch.equal(getattr(lstm, name), torch.full_like(getattr(lstm, name), 0.1)), name
    assert torch.equal(lstm.beta_c, torch.zeros(H))
    out, (h_n, c_n) = lstm(torch.randn(2, 5, D))
    assert out.shape == (2, 5, H) and h_n.shape == c_n.shape == (1, 2, H)
    assert BatchNormLSTM(D, H, max_steps=2, bias=False).beta_c is None
    assert "max_steps=7" in repr(lstm)


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    lstm = BatchNormLSTM(2, 3, max_steps=3, dtype=F64)
    randomise(lstm)
    x = torch.randn(3, 4, 2, dtype=F64, requires_grad=True)
    params = [p for p in lstm.parameters()]
    assert torch.autograd.gradcheck(lambda x, *ps: lstm(x)[0], (x, *params))


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="at least 2 sequences"):
        BatchNormLSTM(D, H, max_steps=3)(torch.randn(3, 1, D))
    with pytest.raises(ValueError, match="max_steps"):
        BatchNormLSTM(D, H, max_steps=0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNormLSTM(D, H, max_steps=3, momentum=1.5)
    out, _ = BatchNormLSTM(D, H, max_steps=3).eval()(torch.randn(3, 1, D))  # a batch of one is fine in eval mode
    assert out.shape == (3, 1, H)
