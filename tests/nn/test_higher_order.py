"""Second derivatives and ``torch.func`` transforms of the recurrent layers and cells.

Every code path is checked: the fused LSTM (``lstm.LSTMSequence``), the
step-by-step LSTM for packed input and with ``proj_size``, the RNN, the GRU
and the three cells. ``gradgradcheck`` compares analytical second derivatives
with finite differences; the ``torch.func`` transforms are compared with
``torch.nn`` (or, for ``vmap``, which ``torch.nn``'s fused kernels do not
support, with a loop over the batch).
"""

import pytest
import torch
from torch.func import functional_call, grad, hessian, jvp, vmap
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_course import nn as course_nn
from lstm_course.nn import gru, lstm, rnn
from lstm_course.nn.lstm import lstm_sequence

T, B, D, H = 4, 3, 2, 3
LENGTHS = [2, 4, 1]

LAYERS = {  # name: (class, constructor kwargs, packed input)
    "lstm-fused": (lstm.LSTM, {"bidirectional": True}, False),
    "lstm-packed": (lstm.LSTM, {}, True),
    "lstm-proj": (lstm.LSTM, {"proj_size": 2}, False),
    "rnn": (rnn.RNN, {"nonlinearity": "tanh"}, False),
    "rnn-relu-packed": (rnn.RNN, {"nonlinearity": "relu"}, True),
    "gru": (gru.GRU, {}, False),
    "gru-packed": (gru.GRU, {"bidirectional": True}, True),
}
CELLS = {"RNNCell": rnn.RNNCell, "LSTMCell": lstm.LSTMCell, "GRUCell": gru.GRUCell}


def flat(result):
    """All tensors of a module's output, in order."""
    if isinstance(result, torch.nn.utils.rnn.PackedSequence):
        return [result.data]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in flat(r)]
    return [result]


def layer_function(key):
    """(f, inputs): f(x, h0, *params) -> tensors, over float64 leaves that require grad."""
    cls, kwargs, packed = LAYERS[key]
    torch.manual_seed(0)
    module = cls(D, H, dtype=torch.float64, **kwargs)
    names = [n for n, _ in module.named_parameters()]
    lead = 2 if module.bidirectional else 1
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(lead, B, module.proj_size or H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(lead, B, H, dtype=torch.float64, requires_grad=True)

    def f(x, h0, c0, *params):
        inp = pack_padded_sequence(x, LENGTHS, enforce_sorted=False) if packed else x
        hx = (h0, c0) if cls is lstm.LSTM else h0
        return tuple(flat(functional_call(module, dict(zip(names, params)), (inp, hx))))

    params = [p.detach().clone().requires_grad_() for p in module.parameters()]
    return f, (x, h0, c0, *params)


@pytest.mark.parametrize("key", LAYERS)
def test_layer_second_derivatives(key):
    f, inputs = layer_function(key)
    # c0 does not reach a non-LSTM's output; gradgradcheck needs every input used.
    if not key.startswith("lstm"):
        f0 = f
        c0 = inputs[2]
        f, inputs = (lambda x, h0, *p: f0(x, h0, c0, *p)), inputs[:2] + inputs[3:]
    assert torch.autograd.gradgradcheck(f, inputs, atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_cell_second_derivatives(name):
    torch.manual_seed(0)
    cell = CELLS[name](D, H, dtype=torch.float64)
    names = [n for n, _ in cell.named_parameters()]
    x = torch.randn(B, D, dtype=torch.float64, requires_grad=True)
    state = [torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(2 if name == "LSTMCell" else 1)]
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]

    def f(x, *rest):
        hx = tuple(rest[:2]) if name == "LSTMCell" else rest[0]
        return flat(functional_call(cell, dict(zip(names, rest[len(state):])), (x, hx)))

    assert torch.autograd.gradgradcheck(f, (x, *state, *params), atol=1e-6)


def test_fused_sequence_every_derivative_check():
    """The fused function alone, with gradcheck's forward-mode and batched checks."""
    torch.manual_seed(0)
    xw = torch.randn(T, B, 4 * H, dtype=torch.float64, requires_grad=True)
    h0, c0 = (torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(2))
    w_hh = torch.randn(4 * H, H, dtype=torch.float64, requires_grad=True)
    args = (xw, h0, c0, w_hh)
    assert torch.autograd.gradcheck(lstm_sequence, args, check_batched_grad=True, check_forward_ad=True)
    assert torch.autograd.gradgradcheck(lstm_sequence, args, check_batched_grad=True, check_fwd_over_rev=True)


def test_gradient_of_a_gradient_is_a_tensor():
    """``create_graph=True`` through the fused LSTM gives what torch.nn gives (it gave None)."""
    torch.manual_seed(0)
    reference = torch.nn.LSTM(D, H).double()
    ours = lstm.LSTM(D, H, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    penalties = []
    for module in (ours, reference):
        (g,) = torch.autograd.grad(module(x)[0].pow(2).sum(), x, create_graph=True)
        penalty = g.pow(2).sum()
        penalties.append(torch.autograd.grad(penalty, [x, *module.parameters()]))
    for g, g_t in zip(*penalties):
        torch.testing.assert_close(g, g_t, rtol=0, atol=1e-10)


def make_pair(name, **kwargs):
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(D, H, **kwargs).double()
    ours = getattr(course_nn, name)(D, H, **kwargs, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_func_transforms_agree_with_torch(name):
    ours, reference = make_pair(name, num_layers=2, bidirectional=True)
    x = torch.randn(T, B, D, dtype=torch.float64)
    params = {k: v.detach() for k, v in ours.named_parameters()}
    loss = lambda p, x, m: functional_call(m, p, (x,))[0].pow(3).sum()  # noqa: E731
    g, g_t = grad(loss)(params, x, ours), grad(loss)(params, x, reference)
    for k in g:
        torch.testing.assert_close(g[k], g_t[k], rtol=0, atol=1e-10, msg=f"torch.func.grad of {k}")
    tangent = torch.randn_like(x)
    (_, d), (_, d_t) = jvp(lambda x: ours(x)[0], (x,), (tangent,)), jvp(lambda x: reference(x)[0], (x,), (tangent,))
    torch.testing.assert_close(d, d_t, rtol=0, atol=1e-10, msg="torch.func.jvp")
    small = x[:2, :1]
    hess = hessian(lambda x: ours(x)[0].pow(3).sum())(small)
    hess_t = hessian(lambda x: reference(x)[0].pow(3).sum())(small)
    torch.testing.assert_close(hess, hess_t, rtol=0, atol=1e-10, msg="torch.func.hessian")
    jac = torch.autograd.functional.jacobian(lambda x: ours(x)[0], small, vectorize=True)
    jac_t = torch.autograd.functional.jacobian(lambda x: reference(x)[0], small, vectorize=True)
    torch.testing.assert_close(jac, jac_t, rtol=0, atol=1e-10, msg="jacobian(vectorize=True)")


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_vmap_equals_a_loop(name):
    ours, reference = make_pair(name)
    xs = torch.randn(5, T, B, D, dtype=torch.float64)
    out = vmap(lambda x: ours(x)[0])(xs)
    torch.testing.assert_close(out, torch.stack([reference(x)[0] for x in xs]), rtol=0, atol=1e-10)
    per_sample = vmap(grad(lambda x: ours(x)[0].pow(3).sum()))(xs)
    expected = torch.stack([torch.autograd.grad(reference(x)[0].pow(3).sum(), x)[0]
                            for x in xs.clone().requires_grad_()])
    torch.testing.assert_close(per_sample, expected, rtol=0, atol=1e-10)
