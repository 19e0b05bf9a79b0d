import numpy as np
import pytest
import torch

from lstm_course.nn.variants import CoupledLSTM, PeepholeLSTM
from lstm_course.numpy_ref import peephole_lstm_backward, peephole_lstm_forward

from .lstm_gradcheck import lstm_gradcheck

T, B, D, H = 5, 3, 4, 6
F64 = torch.float64


def random_sequence(device, batch_first=False, seed=0):
    """Input and initial states (float64, requiring grad) and upstream gradients for a scalar loss."""
    g = torch.Generator().manual_seed(seed)
    shape = (B, T, D) if batch_first else (T, B, D)
    tensors = {
        "x": torch.randn(shape, generator=g, dtype=F64),
        "h0": torch.randn(1, B, H, generator=g, dtype=F64),
        "c0": torch.randn(1, B, H, generator=g, dtype=F64),
        "dout": torch.randn(shape[:2] + (H,), generator=g, dtype=F64),
        "dh_n": torch.randn(1, B, H, generator=g, dtype=F64),
        "dc_n": torch.randn(1, B, H, generator=g, dtype=F64),
    }
    tensors = {k: v.to(device) for k, v in tensors.items()}
    for k in ("x", "h0", "c0"):
        tensors[k].requires_grad_(True)
    return tensors


def loss_and_grads(module, s):
    """Run ``module``, return (output, h_n, c_n) and the gradients of a weighted sum of them
    w.r.t. the input, the initial states and every parameter (by name)."""
    out, (h_n, c_n) = module(s["x"], (s["h0"], s["c0"]))
    loss = (out * s["dout"]).sum() + (h_n * s["dh_n"]).sum() + (c_n * s["dc_n"]).sum()
    names = [name for name, _ in module.named_parameters()]
    grads = torch.autograd.grad(loss, [s["x"], s["h0"], s["c0"], *module.parameters()])
    return (out, h_n, c_n), dict(zip(["x", "h0", "c0", *names], grads))


def assert_close(got, expected, what, tol=1e-10):
    err = (got - expected).abs().max().item()
    assert err < tol, f"{what}: max abs difference {err:.2e}, expected < {tol:.0e}"


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_peephole_with_zero_peepholes_is_torch_lstm(bias, batch_first, device):
    reference = torch.nn.LSTM(D, H, bias=bias, batch_first=batch_first).to(device, F64)
    ours = PeepholeLSTM(D, H, bias=bias, batch_first=batch_first, device=device, dtype=F64)
    with torch.no_grad():
        for name, p in reference.named_parameters():
            getattr(ours, name.removesuffix("_l0")).copy_(p)
        for name in ("weight_ci", "weight_cf", "weight_co"):
            getattr(ours, name).zero_()
    s = random_sequence(device, batch_first)
    outs, grads = loss_and_grads(ours, s)
    outs_ref, grads_ref = loss_and_grads(reference, s)
    for name, got, expected in zip(("output", "h_n", "c_n"), outs, outs_ref):
        assert_close(got, expected, name)
    for name, expected in grads_ref.items():
        assert_close(grads[name.removesuffix("_l0")], expected, f"gradient of {name}")


@pytest.mark.parametrize("bias", [True, False])
def test_peephole_agrees_with_the_numpy_reference(bias, device):
    ours = PeepholeLSTM(D, H, bias=bias, device=device, dtype=F64)
    s = random_sequence(device, seed=1)
    outs, grads = loss_and_grads(ours, s)
    w = {name: p.detach().cpu().numpy() for name, p in ours.named_parameters()}
    npy = {k: v.detach().cpu().numpy() for k, v in s.items()}
    h, c, cache = peephole_lstm_forward(
        npy["x"], npy["h0"][0], npy["c0"][0], w["weight_ih"], w["weight_hh"], w["weight_ci"], w["weight_cf"],
        w["weight_co"], w.get("bias_ih"), w.get("bias_hh"))
    for name, got, expected in zip(("output", "h_n", "c_n"), outs, (h, h[-1:], c[-1:])):
        assert_close(got.cpu(), torch.from_numpy(np.ascontiguousarray(expected)), name)
    ref = peephole_lstm_backward(npy["dout"], cache, dh_n=npy["dh_n"][0], dc_n=npy["dc_n"][0])
    expected = {"x": ref.dx, "h0": ref.dh0[None], "c0": ref.dc0[None], "weight_ih": ref.dw_ih,
                "weight_hh": ref.dw_hh, "weight_ci": ref.dw_ci, "weight_cf": ref.dw_cf, "weight_co": ref.dw_co}
    if bias:
        expected.update(bias_ih=ref.db_ih, bias_hh=ref.db_hh)
    assert set(grads) == set(expected), f"expected gradients for {sorted(expected)}, got {sorted(grads)}"
    for name, value in expected.items():
        assert_close(grads[name].cpu(), torch.from_numpy(value), f"gradient of {name}")


def test_peepholes_change_the_output():
    torch.manual_seed(0)
    lstm = PeepholeLSTM(D, H, dtype=F64)
    x = torch.randn(T, B, D, dtype=F64)
    out = lstm(x)[0]
    with torch.no_grad():
        lstm.weight_co.zero_()
    assert (lstm(x)[0] - out).abs().max() > 1e-3, "the output gate's peephole should affect the output"


def coupled_reference(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The CIFG equations written out with explicit weight slices; x (T, B, D), h and c (B, H)."""
    W_ii, W_ig, W_io = w_ih.split(H)
    W_hi, W_hg, W_ho = w_hh.split(H)
    b_i, b_g, b_o = (b_ih + b_hh).split(H)
    hs = []
    for x_t in x:
        i = torch.sigmoid(x_t @ W_ii.T + h @ W_hi.T + b_i)
        f = 1 - i
        g = torch.tanh(x_t @ W_ig.T + h @ W_hg.T + b_g)
        o = torch.sigmoid(x_t @ W_io.T + h @ W_ho.T + b_o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs), h, c


def test_coupled_equals_its_equations(device):
    torch.manual_seed(0)
    lstm = CoupledLSTM(D, H, device=device, dtype=F64)
    assert lstm.weight_ih.shape == (3 * H, D), f"three gate blocks expected, got weight_ih {tuple(lstm.weight_ih.shape)}"
    s = random_sequence(device)
    out, (h_n, c_n) = lstm(s["x"], (s["h0"], s["c0"]))
    out_ref, h_ref, c_ref = coupled_reference(s["x"], s["h0"][0], s["c0"][0], lstm.weight_ih, lstm.weight_hh,
                                              lstm.bias_ih, lstm.bias_hh)
    assert_close(out, out_ref, "output")
    assert_close(h_n[0], h_ref, "h_n")
    assert_close(c_n[0], c_ref, "c_n")


@pytest.mark.parametrize("bias", [True, False])
def test_coupled_gradcheck(bias):
    torch.manual_seed(0)
    lstm = CoupledLSTM(3, 2, bias=bias, dtype=F64)
    assert lstm_gradcheck(lstm), "CoupledLSTM gradients disagree with finite differences"
