import pytest
import torch

from lstm_course.nn.layernorm_lstm import LayerNormLSTM

from .lstm_gradcheck import lstm_gradcheck

F64 = torch.float64


def by_hand_layer_norm(z, gain, shift, eps):
    """LN over the last dimension with the biased variance, as in Ba et al. (2016)."""
    mean = z.sum(-1, keepdim=True) / z.shape[-1]
    var = ((z - mean) ** 2).sum(-1, keepdim=True) / z.shape[-1]
    return gain * (z - mean) / torch.sqrt(var + eps) + shift


def test_one_step_by_hand(device):
    torch.manual_seed(0)
    D, H, B = 3, 4, 2
    lstm = LayerNormLSTM(D, H, device=device, dtype=F64)
    with torch.no_grad():  # gains and shifts away from 1 and 0, so that using them is checked too
        for p in lstm.parameters():
            if p.dim() == 1:
                p.copy_(torch.randn_like(p))
    x = torch.randn(1, B, D, dtype=F64, device=device)
    h0, c0 = torch.randn(1, B, H, dtype=F64, device=device), torch.randn(1, B, H, dtype=F64, device=device)
    out, (h_n, c_n) = lstm(x, (h0, c0))

    eps = lstm.eps
    a = (by_hand_layer_norm(h0[0] @ lstm.weight_hh.T, lstm.ln_hh.weight, lstm.ln_hh.bias, eps)
         + by_hand_layer_norm(x[0] @ lstm.weight_ih.T, lstm.ln_ih.weight, lstm.ln_ih.bias, eps))
    a_i, a_f, a_g, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c = f * c0[0] + i * g
    h = o * torch.tanh(by_hand_layer_norm(c, lstm.ln_cell.weight, lstm.ln_cell.bias, eps))
    torch.testing.assert_close(c_n[0], c, rtol=0, atol=1e-12, msg="c_1 (carried without normalisation)")
    torch.testing.assert_close(h_n[0], h, rtol=0, atol=1e-12, msg="h_1")
    torch.testing.assert_close(out[0], h, rtol=0, atol=1e-12, msg="output[0] should be h_1")


def test_pre_activations_are_normalised_at_every_step():
    """With gains 1 and shifts 0 (the initialisation) every normalised vector has
    mean 0 and standard deviation 1 across its features, at every step."""
    torch.manual_seed(0)
    T, B, D, H = 6, 3, 5, 4
    lstm = LayerNormLSTM(D, H, dtype=F64)
    seen = {"ln_ih": [], "ln_hh": [], "ln_cell": []}
    for name in seen:
        getattr(lstm, name).register_forward_hook(lambda m, args, out, name=name: seen[name].append((args[0], out)))
    x = 3 * torch.randn(T, B, D, dtype=F64) + 2  # not normalised to begin with
    lstm(x, (torch.randn(1, B, H, dtype=F64), torch.randn(1, B, H, dtype=F64)))
    assert len(seen["ln_hh"]) == T and len(seen["ln_cell"]) == T, "ln_hh and ln_cell should run once per step"
    for name, calls in seen.items():
        for raw, out in calls:
            assert out.shape == raw.shape
            features = H if name == "ln_cell" else 4 * H
            assert out.shape[-1] == features, f"{name} should normalise over {features} features, got {out.shape[-1]}"
            mean, std = out.mean(-1), out.std(-1, unbiased=False)
            assert mean.abs().max() < 1e-12, f"{name}: mean {mean.abs().max():.1e} across features, expected 0"
            assert (std - 1).abs().max() < 1e-3, f"{name}: std {std} across features, expected 1"
            assert (raw.std(-1, unbiased=False) - 1).abs().max() > 1e-2, \
                f"{name}: its input was already normalised, the test proves nothing"


def test_initial_gains_and_shifts():
    lstm = LayerNormLSTM(3, 4)
    for name in ("ln_ih", "ln_hh", "ln_cell"):
        norm = getattr(lstm, name)
        assert torch.equal(norm.weight, torch.ones_like(norm.weight)), f"{name}.weight (gain) should start at 1"
        assert torch.equal(norm.bias, torch.zeros_like(norm.bias)), f"{name}.bias (shift) should start at 0"
    assert lstm.bias_ih is None and lstm.bias_hh is None, "the layer-norm shifts replace bias_ih and bias_hh"


def test_without_bias_there_are_no_shifts():
    names = {name for name, _ in LayerNormLSTM(3, 4, bias=False).named_parameters()}
    assert names == {"weight_ih", "weight_hh", "ln_ih.weight", "ln_hh.weight", "ln_cell.weight"}, f"got {sorted(names)}"


@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(bias):
    torch.manual_seed(0)
    lstm = LayerNormLSTM(3, 2, bias=bias, dtype=F64)
    with torch.no_grad():
        for p in lstm.parameters():
            p.add_(0.1 * torch.randn_like(p))
    assert lstm_gradcheck(lstm), "LayerNormLSTM gradients disagree with finite differences"
