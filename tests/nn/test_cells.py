import pytest
import torch

from lstm_course.nn import cells

PAIRS = {"RNNCell": (cells.RNNCell, torch.nn.RNNCell), "LSTMCell": (cells.LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (cells.GRUCell, torch.nn.GRUCell)}
B, D, H = 3, 4, 5


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_agrees_with_torch(name, bias, given_state, device):
    ours_cls, torch_cls = PAIRS[name]
    reference = torch_cls(D, H, bias=bias).to(device=device, dtype=torch.float64)
    ours = ours_cls(D, H, bias=bias, device=device, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(B, D, dtype=torch.float64, device=device, requires_grad=True)
    hx = None
    if given_state:
        h = torch.randn(B, H, dtype=torch.float64, device=device, requires_grad=True)
        hx = (h, torch.randn(B, H, dtype=torch.float64, device=device, requires_grad=True)) if name == "LSTMCell" else h
    out, out_t = ours(x, hx), reference(x, hx)
    out, out_t = (out, out_t) if isinstance(out, tuple) else ((out,), (out_t,))
    for a, b in zip(out, out_t):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    loss = sum(o.sum() * (k + 1) for k, o in enumerate(out))
    loss_t = sum(o.sum() * (k + 1) for k, o in enumerate(out_t))
    grads = torch.autograd.grad(loss, [x, *ours.parameters()])
    grads_t = torch.autograd.grad(loss_t, [x, *reference.parameters()])
    for g, g_t in zip(grads, grads_t):
        torch.testing.assert_close(g, g_t, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", PAIRS)
def test_unbatched(name):
    ours_cls, torch_cls = PAIRS[name]
    reference = torch_cls(D, H).double()
    ours = ours_cls(D, H, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(D, dtype=torch.float64)
    out, out_t = ours(x), reference(x)
    out, out_t = (out, out_t) if isinstance(out, tuple) else ((out,), (out_t,))
    for a, b in zip(out, out_t):
        assert a.shape == (H,)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_rnn_cell_relu():
    reference = torch.nn.RNNCell(D, H, nonlinearity="relu").double()
    ours = cells.RNNCell(D, H, nonlinearity="relu", dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(B, D, dtype=torch.float64)
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-12)


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="Expected 4, got 6"):
        cells.GRUCell(D, H)(torch.randn(B, 6))
    with pytest.raises(ValueError, match=r"Expected hx of shape \(3, 5\), got \(3, 4\)"):
        cells.RNNCell(D, H)(torch.randn(B, D), torch.randn(B, 4))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h, c\)"):
        cells.LSTMCell(D, H)(torch.randn(B, D), torch.randn(B, H))
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        cells.RNNCell(D, H, nonlinearity="gelu")
