"""Checks that ``lstm_course.nn``'s RNN, LSTM and GRU (layers and cells) agree
with ``torch.nn`` and the NumPy reference, shared by test_rnn.py,
test_lstm.py and test_gru.py, which run them on their own cell."""

import itertools

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_course import nn as course_nn
from lstm_course import numpy_ref

T, B, D, H = 6, 4, 3, 5
LENGTHS = [3, 6, 1, 5]  # unsorted, so the sorted/unsorted index permutations matter
LAYER_ARGS = "num_layers,bidirectional,batch_first,bias,proj_size,packed,given_state"


def configs(name):
    """(num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state).

    The initial state is given in half of the configurations, chosen so that
    it meets every other option both ways, rather than doubling the grid.
    """
    grid = itertools.product([1, 2], [False, True], [False, True], [True, False], [0, 2], [False, True])
    return [(*c, c[2] != c[3]) for c in grid if c[4] == 0 or name == "LSTM"]


def make_pair(name, device, **kwargs):
    """``lstm_course.nn.<name>`` and ``torch.nn.<name>`` in float64 with the same weights."""
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(D, H, **kwargs).to(device=device, dtype=torch.float64)
    ours = getattr(course_nn, name)(D, H, **kwargs, device=device, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def check_layer_agrees_with_torch(device, name, num_layers, bidirectional, batch_first, bias, proj_size, packed,
                                  given_state):
    """Outputs, final states and every gradient equal torch.nn's in float64."""
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias)
    if proj_size:
        kwargs["proj_size"] = proj_size
    ours, reference = make_pair(name, device, **kwargs)
    gen = torch.Generator().manual_seed(hash((name, num_layers, bidirectional, batch_first, bias, proj_size, packed)) % 2**31)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64).to(device)  # noqa: E731
    x = rand(*((B, T, D) if batch_first else (T, B, D))).requires_grad_()
    inp = pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False) if packed else x
    lead = num_layers * (2 if bidirectional else 1)
    hx = None
    if given_state:
        h0 = rand(lead, B, proj_size or H).requires_grad_()
        hx = (h0, rand(lead, B, H).requires_grad_()) if name == "LSTM" else h0

    (out, state), (out_t, state_t) = ours(inp, hx), reference(inp, hx)
    if packed:
        assert isinstance(out, torch.nn.utils.rnn.PackedSequence), "packed input should give packed output"
        assert torch.equal(out.batch_sizes, out_t.batch_sizes) and torch.equal(out.unsorted_indices, out_t.unsorted_indices)
        out, out_t = out.data, out_t.data
    torch.testing.assert_close(out, out_t, rtol=0, atol=1e-10, msg="output differs from torch.nn")
    for k, (s, s_t) in enumerate(zip(as_tuple(state), as_tuple(state_t))):
        torch.testing.assert_close(s, s_t, rtol=0, atol=1e-10, msg=f"final state {k} differs from torch.nn")

    upstream = [rand(*out.shape)] + [rand(*s.shape) for s in as_tuple(state)]
    inputs = [x] + ([] if hx is None else list(as_tuple(hx)))
    loss = lambda o, st: sum((a * g).sum() for a, g in zip([o, *as_tuple(st)], upstream))  # noqa: E731
    grads = torch.autograd.grad(loss(out, state), inputs + list(ours.parameters()), retain_graph=True)
    grads_t = torch.autograd.grad(loss(out_t, state_t), inputs + list(reference.parameters()))
    names = ["input"] + [f"initial state {k}" for k in range(len(inputs) - 1)] + [n for n, _ in ours.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in reference.named_parameters()]
    for label, g, g_t in zip(names, grads, grads_t):
        torch.testing.assert_close(g, g_t, rtol=0, atol=1e-10, msg=f"gradient of {label} differs from torch.nn")


def check_three_way_chain(name):
    """NumPy reference == lstm_course.nn == torch.nn on the same weights."""
    ours, reference = make_pair(name, "cpu", num_layers=2, bidirectional=True)
    ref_np = getattr(numpy_ref, name)(D, H, 2, bidirectional=True)
    ref_np.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    out, _ = ours(x)
    out_np, _ = ref_np(x.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), out_np, rtol=0, atol=1e-10, err_msg="nn vs numpy_ref output")
    np.testing.assert_allclose(reference(x)[0].detach().numpy(), out_np, rtol=0, atol=1e-10, err_msg="torch.nn vs numpy_ref")
    d_out = torch.randn_like(out)
    out.backward(d_out)
    d_x, _ = ref_np.backward(d_out.numpy())
    np.testing.assert_allclose(x.grad.numpy(), d_x, rtol=0, atol=1e-10, err_msg="input gradient")
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref_np.grads[pname], rtol=0, atol=1e-10, err_msg=f"gradient of {pname}")


def check_state_dict_loads_into_torch(name, device):
    ours = getattr(course_nn, name)(D, H, num_layers=2, bidirectional=True, device=device)
    reference = getattr(torch.nn, name)(D, H, num_layers=2, bidirectional=True).to(device)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, D, device=device)
    torch.testing.assert_close(ours(x)[0], reference(x)[0], rtol=1e-5, atol=1e-6)


def check_unbatched_input(name, device):
    ours, reference = make_pair(name, device, num_layers=2, bidirectional=True)
    x = torch.randn(T, D, dtype=torch.float64, device=device)
    (out, state), (out_t, state_t) = ours(x), reference(x)
    torch.testing.assert_close(out, out_t, rtol=0, atol=1e-10)
    for s, s_t in zip(as_tuple(state), as_tuple(state_t)):
        assert s.shape == s_t.shape == (4, H)
        torch.testing.assert_close(s, s_t, rtol=0, atol=1e-10)


# ------------------------------------------------------------------- cells
CELL_B, CELL_D, CELL_H = 3, 4, 5


def check_cell_agrees_with_torch(name, bias, given_state, device):
    """Outputs and the gradients of the input and every parameter equal torch.nn's."""
    B, D, H = CELL_B, CELL_D, CELL_H
    reference = getattr(torch.nn, name)(D, H, bias=bias).to(device=device, dtype=torch.float64)
    ours = getattr(course_nn, name)(D, H, bias=bias, device=device, dtype=torch.float64)
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


def check_cell_unbatched(name):
    D, H = CELL_D, CELL_H
    reference = getattr(torch.nn, name)(D, H).double()
    ours = getattr(course_nn, name)(D, H, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(D, dtype=torch.float64)
    out, out_t = ours(x), reference(x)
    out, out_t = (out, out_t) if isinstance(out, tuple) else ((out,), (out_t,))
    for a, b in zip(out, out_t):
        assert a.shape == (H,)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
