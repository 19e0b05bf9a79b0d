"""lstm_course.nn.residual.ResidualLSTM against a residual stack of torch.nn.LSTMs
built by hand (book/deep_rnns.md, eq-var-residual), and its argument checks."""

import pytest
import torch

from lstm_course.nn import ResidualLSTM

T, B, D, H = 5, 3, 4, 6
F64 = torch.float64


def torch_stack(stack):
    """One single-layer torch.nn.LSTM per layer of ``stack``, with its weights."""
    layers = []
    for k, layer in enumerate(stack.layers):
        reference = torch.nn.LSTM(D if k == 0 else H, H).double()
        reference.load_state_dict(layer.state_dict())
        layers.append(reference)
    return layers


def run_by_hand(layers, x, hx, residual):
    """x^k = h^k + x^{k-1} for k > 0 (x^k = h^k without residual connections or for k = 0)."""
    h_n, c_n = [], []
    for k, layer in enumerate(layers):
        state = None if hx is None else (hx[0][k:k + 1], hx[1][k:k + 1])
        h, (h_last, c_last) = layer(x, state)
        x = h + x if residual and k > 0 else h
        h_n.append(h_last[0]), c_n.append(c_last[0])
    return x, (torch.stack(h_n), torch.stack(c_n))


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_agrees_with_a_stack_of_torch_lstms(residual, given_state):
    torch.manual_seed(0)
    stack = ResidualLSTM(D, H, num_layers=3, residual=residual, dtype=F64)
    layers = torch_stack(stack)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, D, dtype=F64, generator=gen, requires_grad=True)
    hx = None
    if given_state:
        hx = tuple(torch.randn(3, B, H, dtype=F64, generator=gen, requires_grad=True) for _ in range(2))
    out, (h_n, c_n) = stack(x, hx)
    out_t, (h_t, c_t) = run_by_hand(layers, x, hx, residual)
    for name, got, expected in (("output", out, out_t), ("h_n", h_n, h_t), ("c_n", c_n, c_t)):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12, msg=f"{name} differs from the torch.nn stack")

    upstream = [torch.randn(t.shape, dtype=F64, generator=gen) for t in (out, h_n, c_n)]
    inputs = [x] + ([] if hx is None else list(hx))
    loss = lambda *outs: sum((o * g).sum() for o, g in zip(outs, upstream))  # noqa: E731
    grads = torch.autograd.grad(loss(out, h_n, c_n), inputs + list(stack.parameters()))
    params_t = [p for layer in layers for p in layer.parameters()]
    grads_t = torch.autograd.grad(loss(out_t, h_t, c_t), inputs + params_t)
    names = ["input"] + ["h0", "c0"][:len(inputs) - 1] + [n for n, _ in stack.named_parameters()]
    for name, g, g_t in zip(names, grads, grads_t, strict=True):
        torch.testing.assert_close(g, g_t, rtol=0, atol=1e-12, msg=f"gradient of {name}")


def test_first_layer_has_no_residual_connection():
    """D != H, so the first layer's input cannot be added: only layers 2..L add theirs."""
    torch.manual_seed(0)
    stack = ResidualLSTM(D, H, num_layers=1, dtype=F64)
    x = torch.randn(T, B, D, dtype=F64)
    out, _ = stack(x)
    torch.testing.assert_close(out, stack.layers[0](x)[0], rtol=0, atol=0)


@pytest.mark.parametrize("num_layers", [0, -1, True, 2.0])
def test_num_layers_must_be_a_positive_integer(num_layers):
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        ResidualLSTM(D, H, num_layers=num_layers)


def test_sizes_are_checked_as_by_torch_nn():
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        ResidualLSTM(D, 0)
    with pytest.raises(TypeError, match="input_size should be of type int"):
        ResidualLSTM(4.0, H)


def test_input_must_be_time_major_and_3d():
    with pytest.raises(ValueError, match=r"expected a time-major input \(T, B, D\), got shape \(5, 4\)"):
        ResidualLSTM(D, H)(torch.zeros(T, D))


def test_state_must_cover_every_layer():
    stack = ResidualLSTM(D, H, num_layers=3)
    short = (torch.zeros(2, B, H), torch.zeros(2, B, H))
    with pytest.raises(ValueError, match=r"Expected hx\[0\] of shape \(1, 3, 6\), got \(0, 3, 6\)"):
        stack(torch.zeros(T, B, D), short)
