"""The equations and claims of the book's chapters on LSTM variants (book/variants.md) and on deep and
bidirectional networks (book/deep_rnns.md).

Each test names the equation labels of the chapter it checks. What the package's own tests
already cover is only pointed to: peepholes in tests/numpy_ref/test_peephole_lstm.py and
tests/nn/test_variants.py, the coupled gates in tests/nn/test_variants.py, layer normalisation
in tests/nn/test_layernorm_lstm.py, projection, stacking and both directions against
torch.nn.LSTM in tests/nn/test_lstm.py and tests/numpy_ref/test_modules.py. This file
writes the printed equations out, checks ``lstm_course.nn.residual.ResidualLSTM`` and the
claims of the chapter's examples and of its list of common mistakes.
"""

import numpy as np
import pytest
import torch

from lstm_course.nn import LSTM, CoupledLSTM, GRU, LayerNormLSTM, PeepholeLSTM
from lstm_course.nn.residual import ResidualLSTM
from lstm_course.numpy_ref.lstm import lstm_step_forward
from lstm_course.numpy_ref.peephole_lstm import peephole_lstm_step_forward

T, B, D, H = 5, 3, 4, 6
F64 = torch.float64


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def count(module):
    return sum(p.numel() for p in module.parameters())


def inputs(seed=0, steps=T, features=D):
    return torch.randn(steps, B, features, dtype=F64, generator=torch.Generator().manual_seed(seed))


def test_peephole_step_as_printed():
    """eq-var-peephole, column vectors, one example at a time == peephole_lstm_step_forward ==
    one step of PeepholeLSTM."""
    torch.manual_seed(0)
    module = PeepholeLSTM(D, H, dtype=F64)
    w = {name: p.detach().numpy() for name, p in module.named_parameters()}
    rng = np.random.default_rng(0)
    x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W_ii, W_if, W_ig, W_io = np.split(w["weight_ih"], 4)
    W_hi, W_hf, W_hg, W_ho = np.split(w["weight_hh"], 4)
    b_i, b_f, b_g, b_o = np.split(w["bias_ih"] + w["bias_hh"], 4)
    h_eq, c_eq = [], []
    for x_b, h_b, c_b in zip(x, h_prev, c_prev):
        i = sigmoid(W_ii @ x_b + W_hi @ h_b + b_i + w["weight_ci"] * c_b)
        f = sigmoid(W_if @ x_b + W_hf @ h_b + b_f + w["weight_cf"] * c_b)
        g = np.tanh(W_ig @ x_b + W_hg @ h_b + b_g)
        c = f * c_b + i * g
        o = sigmoid(W_io @ x_b + W_ho @ h_b + b_o + w["weight_co"] * c)
        h_eq.append(o * np.tanh(c))
        c_eq.append(c)
    h_ref, c_ref, _ = peephole_lstm_step_forward(x, h_prev, c_prev, w["weight_ih"], w["weight_hh"], w["weight_ci"],
                                                 w["weight_cf"], w["weight_co"], w["bias_ih"], w["bias_hh"])
    np.testing.assert_allclose(h_ref, h_eq, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_ref, c_eq, rtol=0, atol=1e-14)
    with torch.no_grad():
        _, (h_n, c_n) = module(torch.from_numpy(x[None]), (torch.from_numpy(h_prev[None]), torch.from_numpy(c_prev[None])))
    np.testing.assert_allclose(h_n[0].numpy(), h_eq, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c_n[0].numpy(), c_eq, rtol=0, atol=1e-14)


def test_common_mistakes_change_the_function():
    """The list of common mistakes: tanh(o * c) and an output-gate peephole on c_{t-1}
    are different functions from eq-lstm-hidden and eq-var-peephole."""
    rng = np.random.default_rng(1)
    w_ih, w_hh = 0.5 * rng.standard_normal((4 * H, D)), 0.5 * rng.standard_normal((4 * H, H))
    b_ih, b_hh = 0.5 * rng.standard_normal(4 * H), 0.5 * rng.standard_normal(4 * H)
    x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh)
    o = cache.gates[:, 3 * H:]
    np.testing.assert_allclose(h, o * np.tanh(c), rtol=0, atol=1e-15)
    assert np.abs(np.tanh(o * c) - h).max() > 1e-2, "tanh(o * c) should differ from o * tanh(c)"

    w_ci, w_cf, w_co = rng.standard_normal((3, H))
    h_p, c_p, cache_p = peephole_lstm_step_forward(x, h_prev, c_prev, w_ih, w_hh, w_ci, w_cf, w_co, b_ih, b_hh)
    a_o = (x @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh)[:, 3 * H:]
    np.testing.assert_allclose(cache_p.gates[:, 3 * H:], sigmoid(a_o + w_co * c_p), rtol=0, atol=1e-15)
    h_lagged = sigmoid(a_o + w_co * c_prev) * np.tanh(c_p)
    assert np.abs(h_lagged - h_p).max() > 1e-2, "an output-gate peephole on c_{t-1} should be another function"


def test_coupled_lstm_has_the_size_of_a_gru_and_a_bounded_cell():
    """eq-var-cifg: three blocks, 3(HD + H^2 + 2H) parameters, and c_t stays in (-1, 1) from c_0 = 0."""
    torch.manual_seed(0)
    coupled = CoupledLSTM(D, H, dtype=F64)
    assert count(coupled) == count(GRU(D, H)) == 3 * (H * D + H * H + 2 * H)
    with torch.no_grad():
        _, (_, c_n) = coupled(3 * inputs(steps=200))  # the chapter's example
        assert c_n.abs().max() < 1
        for p in coupled.parameters():
            p.mul_(20)  # saturating gates and candidates: tanh and sigmoid round to 1 in float64
        _, (_, c_n) = coupled(10 * inputs(steps=100))
    assert c_n.abs().max() <= 1


def test_projection_step_as_printed():
    """eq-var-projection: h_t = W_hr (o_t * tanh(c_t)), with W_hh reading the P-dim h_{t-1},
    == lstm_course.nn.LSTM(proj_size) == torch.nn.LSTM(proj_size)."""
    P = 2
    torch.manual_seed(0)
    ours = LSTM(D, H, proj_size=P, dtype=F64)
    reference = torch.nn.LSTM(D, H, proj_size=P, dtype=F64)
    reference.load_state_dict(ours.state_dict())
    w = {name: p.detach().numpy() for name, p in ours.named_parameters()}
    assert w["weight_hh_l0"].shape == (4 * H, P) and w["weight_hr_l0"].shape == (P, H)
    rng = np.random.default_rng(2)
    x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, P)), rng.standard_normal((B, H))
    a = x @ w["weight_ih_l0"].T + w["bias_ih_l0"] + h_prev @ w["weight_hh_l0"].T + w["bias_hh_l0"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    h = (sigmoid(a_o) * np.tanh(c)) @ w["weight_hr_l0"].T
    state = (torch.from_numpy(h_prev[None]), torch.from_numpy(c_prev[None]))
    with torch.no_grad():
        for module in (ours, reference):
            out, (h_n, c_n) = module(torch.from_numpy(x[None]), state)
            np.testing.assert_allclose(h_n[0].numpy(), h, rtol=0, atol=1e-14)
            np.testing.assert_allclose(c_n[0].numpy(), c, rtol=0, atol=1e-14)


@pytest.mark.parametrize("d,h,p", [(3, 4, 2), (128, 1024, 256), (32, 64, 16)])
def test_projection_parameter_count(d, h, p):
    """eq-var-projection-params."""
    assert count(LSTM(d, h, proj_size=p)) == count(torch.nn.LSTM(d, h, proj_size=p)) == 4 * h * (d + p) + 8 * h + p * h


def test_stacked_layers_are_chained_single_layers():
    """eq-var-stacked: LSTM(num_layers=2) == layer 2 run on the hidden states of layer 1."""
    torch.manual_seed(0)
    stacked = LSTM(D, H, num_layers=2, dtype=F64)
    layers = [LSTM(D, H, dtype=F64), LSTM(H, H, dtype=F64)]
    with torch.no_grad():
        for k, layer in enumerate(layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, f"{name}_l0").copy_(getattr(stacked, f"{name}_l{k}"))
        x = inputs()
        out, (h_n, c_n) = stacked(x)
        out_1, (h_1, c_1) = layers[0](x)
        out_2, (h_2, c_2) = layers[1](out_1)
    torch.testing.assert_close(out, out_2, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, torch.cat([h_1, h_2]), rtol=0, atol=1e-12)
    torch.testing.assert_close(c_n, torch.cat([c_1, c_2]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, torch.nn.LSTM])
def test_backward_direction_is_a_forward_lstm_on_the_reversed_sequence(cls):
    """eq-var-bidirectional, for lstm_course.nn.LSTM and torch.nn.LSTM."""
    torch.manual_seed(0)
    bidirectional = cls(D, H, bidirectional=True, dtype=F64)
    forward, backward = cls(D, H, dtype=F64), cls(D, H, dtype=F64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(forward, f"{name}_l0").copy_(getattr(bidirectional, f"{name}_l0"))
            getattr(backward, f"{name}_l0").copy_(getattr(bidirectional, f"{name}_l0_reverse"))
        x = inputs(seed=3)
        out, (h_n, _) = bidirectional(x)
        out_f, _ = forward(x)
        out_b, _ = backward(x.flip(0))
    torch.testing.assert_close(out, torch.cat([out_f, out_b.flip(0)], dim=-1), rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[0], out[-1, :, :H], rtol=0, atol=0)
    torch.testing.assert_close(h_n[1], out[0, :, H:], rtol=0, atol=0)


def test_layer_norm_lstm_hardly_notices_the_scale_of_its_weights():
    """The chapter's example: weights times ten change the layer-normalised LSTM's output by
    less than 1e-3 (the effect of eps), the plain LSTM's by more than 0.1."""
    x = inputs(seed=4)
    changes = {}
    for cls, names in ((LayerNormLSTM, ("weight_ih", "weight_hh")), (LSTM, ("weight_ih_l0", "weight_hh_l0"))):
        torch.manual_seed(0)
        layer = cls(D, H, dtype=F64)
        with torch.no_grad():
            before, _ = layer(x)
            for name in names:
                getattr(layer, name).mul_(10)
            after, _ = layer(x)
        changes[cls] = float((after - before).abs().max())
    assert changes[LayerNormLSTM] < 1e-3 and changes[LSTM] > 0.1, changes


@pytest.mark.parametrize("num_layers", [1, 3])
def test_residual_lstm_as_printed(num_layers):
    """eq-var-residual: x^k = h^k + x^{k-1} for every layer but the first, with each layer's own
    recurrence on h^k; also with a given initial state."""
    torch.manual_seed(0)
    stack = ResidualLSTM(D, H, num_layers=num_layers, dtype=F64)
    x = inputs(seed=5)
    h0 = torch.randn(num_layers, B, H, dtype=F64, generator=torch.Generator().manual_seed(6))
    c0 = torch.randn(num_layers, B, H, dtype=F64, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        out, (h_n, c_n) = stack(x, (h0, c0))
        layer_input, finals = x, []
        for k, layer in enumerate(stack.layers):
            h, (h_last, c_last) = layer(layer_input, (h0[k:k + 1], c0[k:k + 1]))
            torch.testing.assert_close(h_last[0], h[-1], rtol=0, atol=0)
            layer_input = h if k == 0 else h + layer_input
            finals.append((h_last[0], c_last[0]))
    torch.testing.assert_close(out, layer_input, rtol=0, atol=0)
    torch.testing.assert_close(h_n, torch.stack([h for h, _ in finals]), rtol=0, atol=0)
    torch.testing.assert_close(c_n, torch.stack([c for _, c in finals]), rtol=0, atol=0)


def test_residual_lstm_without_shortcuts_is_a_stacked_lstm():
    torch.manual_seed(0)
    plain = ResidualLSTM(D, H, num_layers=3, residual=False, dtype=F64)
    stacked = LSTM(D, H, num_layers=3, dtype=F64)
    with torch.no_grad():
        for k, layer in enumerate(plain.layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(stacked, f"{name}_l{k}").copy_(getattr(layer, f"{name}_l0"))
        x = inputs(seed=8)
        out, (h_n, c_n) = plain(x)
        out_s, (h_s, c_s) = stacked(x)
    for got, expected in ((out, out_s), (h_n, h_s), (c_n, c_s)):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
    assert count(plain) == count(stacked)


def test_residual_connections_keep_the_gradient_of_a_deep_stack():
    """The chapter's figure at 16 layers: the gradient of the lowest layer's W_ih is more than
    a million times smaller without shortcuts, and at least as large as a single layer's with them."""
    norms = {}
    for residual in (False, True):
        for depth in (1, 16):
            torch.manual_seed(0)
            stack = ResidualLSTM(32, 32, num_layers=depth, residual=residual, dtype=F64)
            x = torch.randn(20, 16, 32, dtype=F64, generator=torch.Generator().manual_seed(2))
            out, _ = stack(x)
            out[-1].sum().backward()
            norms[residual, depth] = float(stack.layers[0].weight_ih_l0.grad.norm())
    assert norms[False, 16] < 1e-6 * norms[False, 1], norms
    assert norms[True, 16] >= norms[True, 1], norms


def test_residual_lstm_checks_its_arguments():
    with pytest.raises(ValueError, match="num_layers must be a positive integer, got 0"):
        ResidualLSTM(D, H, num_layers=0)
    with pytest.raises(ValueError, match=r"expected a time-major input \(T, B, D\), got shape \(5, 4\)"):
        ResidualLSTM(D, H)(torch.zeros(5, D))
    assert "ResidualLSTM(\n  4, 6, num_layers=2, residual=True\n" in repr(ResidualLSTM(D, H, 2))


def test_parameter_table_of_the_chapter():
    """The formulas of the chapter's table against the modules, for D = 32, H = 64, P = 16."""
    d, h, p = 32, 64, 16
    lstm = 4 * (h * d + h * h + 2 * h)
    assert count(LSTM(d, h)) == lstm
    assert count(PeepholeLSTM(d, h)) == lstm + 3 * h
    assert count(CoupledLSTM(d, h)) == 3 * (h * d + h * h + 2 * h)
    assert count(LayerNormLSTM(d, h)) == 4 * h * (d + h) + 2 * (4 * h) * 2 + 2 * h
    assert count(LSTM(d, h, bidirectional=True)) == 2 * lstm
    assert count(LSTM(d, h, proj_size=p)) == 4 * h * (d + p) + 8 * h + p * h
    assert count(LSTM(d, h, num_layers=2)) == count(ResidualLSTM(d, h, num_layers=2)) == lstm + 4 * (2 * h * h + 2 * h)
