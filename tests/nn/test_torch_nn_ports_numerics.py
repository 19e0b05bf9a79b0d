"""Ports of the recurrent-module tests of PyTorch's ``test/test_nn.py`` that compare numbers, dropout
and weight handling, run on CPU.

torch compares its CPU kernels with cuDNN or another device; here the same comparisons set
``lstm_course.nn`` against ``torch.nn`` on CPU, in float64. Each test names the torch test it ports.
"""

import copy
import io
import itertools
import zlib
from functools import partial

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence
from torch.utils._pytree import tree_leaves

from lstm_course import nn as ours

from .test_torch_compat import pair

DTYPE = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def copy_weights(source, target):
    with torch.no_grad():
        for a_layer, b_layer in zip(source.all_weights, target.all_weights):
            for a, b in zip(a_layer, b_layer):
                b.copy_(a)


def assert_all_close(got, expected, atol=1e-10):
    got, expected = tree_leaves(got), tree_leaves(expected)
    assert len(got) == len(expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        torch.testing.assert_close(a, b, rtol=0, atol=atol, msg=f"tensor {k}")


def forward_backward(module, x, hx, grad_output, grad_hy, grad_cy=None):
    """torch's forward_backward of _test_RNN_cpu_vs_cudnn: outputs, final states and every gradient."""
    if isinstance(x, PackedSequence):
        leaf = x.data.detach().clone().requires_grad_()
        x = x._replace(data=leaf)
    else:
        leaf = x = x.detach().clone().requires_grad_()
    is_lstm = isinstance(hx, tuple)
    hx = tuple(h.detach().clone().requires_grad_() for h in hx) if is_lstm else hx.detach().clone().requires_grad_()
    output, hy = module(x, hx)
    output = output.data if isinstance(output, PackedSequence) else output
    if is_lstm:
        torch.autograd.backward([output, hy[0], hy[1]], [grad_output, grad_hy, grad_cy])
    else:
        torch.autograd.backward([output, hy], [grad_output, grad_hy])
    return [output, hy, leaf.grad, *(h.grad for h in tree_leaves(hx)), *(p.grad for p in module.parameters())]


def non_contiguous(tensor):
    """Same values, every other element of a wider tensor (torch's make_noncontig)."""
    return torch.stack([torch.zeros_like(tensor), tensor], tensor.dim()).select(tensor.dim(), 1)


INPUT, HIDDEN, PROJ, LAYERS_N, SEQ, BATCH = 10, 6, 3, 2, 7, 6
LENGTHS = [7, 5, 5, 2, 1, 1]
# torch's loop over six flags, less the repeats: lengths_as_tensor matters only with variable lengths.
CPU_VS_CUDNN = [(name, *flags) for name in ("RNN", "LSTM", "GRU", "LSTM-proj")
                for flags in itertools.product((True, False), repeat=6) if flags[4] or not flags[5]]


def cpu_vs_cudnn(name, bias, bidirectional, batch_first, contiguous, variable_length, lengths_as_tensor, dropout):
    gen = torch.Generator().manual_seed(zlib.crc32(repr((name, bias, bidirectional, batch_first)).encode()))
    directions = 2 if bidirectional else 1
    out_size = PROJ if name == "LSTM-proj" else HIDDEN
    lead = (BATCH, SEQ) if batch_first else (SEQ, BATCH)
    x = torch.randn(*lead, INPUT, dtype=DTYPE, generator=gen)
    grad_output = torch.randn(*lead, out_size * directions, dtype=DTYPE, generator=gen)
    hx = torch.randn(LAYERS_N * directions, BATCH, out_size, dtype=DTYPE, generator=gen)
    grad_hy = torch.randn(LAYERS_N * directions, BATCH, out_size, dtype=DTYPE, generator=gen)
    cx = torch.randn(LAYERS_N * directions, BATCH, HIDDEN, dtype=DTYPE, generator=gen)
    grad_cy = torch.randn(LAYERS_N * directions, BATCH, HIDDEN, dtype=DTYPE, generator=gen)
    if not contiguous:
        x, grad_output, hx, grad_hy, cx, grad_cy = map(non_contiguous, (x, grad_output, hx, grad_hy, cx, grad_cy))
    if variable_length:
        lengths = torch.tensor(LENGTHS) if lengths_as_tensor else LENGTHS
        x = pack_padded_sequence(x, lengths, batch_first=batch_first)
        grad_output = pack_padded_sequence(grad_output, lengths, batch_first=batch_first).data
    cls_name = "LSTM" if name.startswith("LSTM") else name
    kwargs = dict(bias=bias, dropout=dropout, bidirectional=bidirectional, batch_first=batch_first,
                  dtype=DTYPE, **({"proj_size": PROJ} if name == "LSTM-proj" else {}))
    reference = torch.nn.LSTM(INPUT, HIDDEN, LAYERS_N, **kwargs) if cls_name == "LSTM" else \
        getattr(torch.nn, cls_name)(INPUT, HIDDEN, LAYERS_N, **kwargs)
    mine = getattr(ours, cls_name)(INPUT, HIDDEN, LAYERS_N, **kwargs)
    copy_weights(reference, mine)
    state = (hx, cx) if cls_name == "LSTM" else hx
    return (forward_backward(mine, x, state, grad_output, grad_hy, grad_cy),
            forward_backward(reference, x, state, grad_output, grad_hy, grad_cy))


@pytest.mark.parametrize("name,bias,bidirectional,batch_first,contiguous,variable_length,lengths_as_tensor",
                         CPU_VS_CUDNN)
def test_RNN_cpu_vs_cudnn_no_dropout(name, bias, bidirectional, batch_first, contiguous, variable_length,
                                     lengths_as_tensor):
    """test_RNN_cpu_vs_cudnn_no_dropout: torch.nn on CPU in place of cuDNN as the reference; every flag
    combination of torch's loop, also for the LSTM with projections."""
    got, expected = cpu_vs_cudnn(name, bias, bidirectional, batch_first, contiguous, variable_length,
                                 lengths_as_tensor, dropout=0)
    assert_all_close(got, expected)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "LSTM-proj"])
@pytest.mark.parametrize("variable_length", [False, True])
def test_RNN_cpu_vs_cudnn_with_dropout(name, variable_length):
    """test_RNN_cpu_vs_cudnn_with_dropout: dropout=1 zeroes every layer's input but the first, so the
    result is deterministic (torch's one reason to use p=1 here)."""
    got, expected = cpu_vs_cudnn(name, True, True, False, True, variable_length, False, dropout=1)
    assert_all_close(got, expected)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_RNN_cpu_vs_cudnn_nonlinearity(nonlinearity):
    """The nonlinearity loop of _test_RNN_cpu_vs_cudnn."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(SEQ, BATCH, INPUT, dtype=DTYPE, generator=gen)
    hx, grad_hy = (torch.randn(LAYERS_N, BATCH, HIDDEN, dtype=DTYPE, generator=gen) for _ in range(2))
    grad_output = torch.randn(SEQ, BATCH, HIDDEN, dtype=DTYPE, generator=gen)
    reference = torch.nn.RNN(INPUT, HIDDEN, LAYERS_N, nonlinearity=nonlinearity, dtype=DTYPE)
    mine = ours.RNN(INPUT, HIDDEN, LAYERS_N, nonlinearity=nonlinearity, dtype=DTYPE)
    copy_weights(reference, mine)
    assert_all_close(forward_backward(mine, x, hx, grad_output, grad_hy),
                     forward_backward(reference, x, hx, grad_output, grad_hy))


@pytest.mark.parametrize("name", ["GRU", "LSTM"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_fused(name, bias):
    """test_rnn_fused (torch: CPU against a device without cuDNN; here ours against torch.nn), LSTM with
    c0 = h0 + 1 and grad_cy = grad_hy + 1 as there."""
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(SEQ, BATCH, INPUT, dtype=DTYPE, generator=gen)
    grad_output = torch.randn(SEQ, BATCH, HIDDEN, dtype=DTYPE, generator=gen)
    hx, grad_hy = (torch.randn(LAYERS_N, BATCH, HIDDEN, dtype=DTYPE, generator=gen) for _ in range(2))
    reference = getattr(torch.nn, name)(INPUT, HIDDEN, LAYERS_N, bias=bias, dtype=DTYPE)
    mine = getattr(ours, name)(INPUT, HIDDEN, LAYERS_N, bias=bias, dtype=DTYPE)
    copy_weights(reference, mine)
    state, grad_cy = ((hx, hx + 1), grad_hy + 1) if name == "LSTM" else (hx, None)
    assert_all_close(forward_backward(mine, x, state, grad_output, grad_hy, grad_cy),
                     forward_backward(reference, x, state, grad_output, grad_hy, grad_cy))


VARIABLE_LENGTHS = [(True, [5]), (False, [5]), (True, [10, 10, 6, 2, 2, 1, 1]), (False, [10, 10, 6, 2, 2, 1, 1]),
                    (False, [2, 1, 3, 2, 10, 5, 3])]
VARIABLE_MODULES = [("LSTM", 0), ("LSTM", 2), ("GRU", 0), ("RNN", 0)]


@pytest.mark.parametrize("name,proj_size", VARIABLE_MODULES)
@pytest.mark.parametrize("default_state", [True, False])
@pytest.mark.parametrize("enforce_sorted,lengths", VARIABLE_LENGTHS)
def test_variable_sequence(name, proj_size, default_state, enforce_sorted, lengths):
    """test_variable_sequence (torch: the LSTM with and without projections; here also the GRU and RNN):
    a packed batch gives what each sequence gives alone, forward and backward, with and without h0."""
    torch.manual_seed(0)
    x = torch.randn(max(lengths), len(lengths), 3, dtype=DTYPE, requires_grad=True)
    kwargs = {"proj_size": proj_size} if name == "LSTM" else {}
    packed_module = getattr(ours, name)(3, 4, bidirectional=True, num_layers=2, dtype=DTYPE, **kwargs)
    alone_module = copy.deepcopy(packed_module)
    state0 = None
    if not default_state:
        h0 = torch.randn(4, len(lengths), proj_size or 4, dtype=DTYPE)
        state0 = (h0, torch.randn(4, len(lengths), 4, dtype=DTYPE)) if name == "LSTM" else h0
    outs, states = [], []
    for i, length in enumerate(lengths):
        state_i = None if state0 is None else torch.utils._pytree.tree_map(lambda s: s[:, i:i + 1], state0)
        out, state = alone_module(x[:length, i:i + 1], state_i)
        outs.append(torch.cat([out, out.new_zeros(max(lengths) - length, *out.shape[1:])]))
        states.append(tree_leaves(state))
    alone_out = torch.cat(outs, 1)
    alone_state = [torch.cat(parts, 1) for parts in zip(*states)]
    packed = pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    packed_out, packed_state = packed_module(packed, state0)
    unpacked, unpacked_lengths = torch.nn.utils.rnn.pad_packed_sequence(packed_out)
    assert_all_close(tree_leaves(packed_state), alone_state)
    assert_all_close(unpacked, alone_out)
    assert unpacked_lengths.tolist() == lengths
    alone_out.sum().backward()
    grad_alone = x.grad.clone()
    x.grad = None
    unpacked.sum().backward()
    assert_all_close(x.grad, grad_alone)
    assert_all_close([p.grad for p in packed_module.parameters()], [p.grad for p in alone_module.parameters()])


def flatten_out(module, x):
    """torch's _test_rnn_mod helper: the output and the final states as one flat tuple."""
    return tuple(tree_leaves(module(x)))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
def test_LSTM_GRU_grad_and_gradgrad(name, bias):
    """test_LSTM_grad_and_gradgrad and test_GRU_grad_and_gradgrad: gradcheck and gradgradcheck."""
    torch.manual_seed(0)
    x = torch.rand(1, 3, 4, dtype=DTYPE, requires_grad=True)
    module = getattr(ours, name)(4, 4, bias=bias, dtype=DTYPE)
    assert torch.autograd.gradcheck(partial(flatten_out, module), (x,), check_batched_grad=False)
    assert torch.autograd.gradgradcheck(partial(flatten_out, module), (x,), check_batched_grad=False)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_rnn_retain_variables(name):
    """test_rnn_retain_variables: backward through a retained graph gives the same gradients five times."""
    torch.manual_seed(0)
    module = getattr(ours, name)(10, 20, num_layers=2, dtype=DTYPE)
    x = torch.randn(5, 6, 10, dtype=DTYPE, requires_grad=True)
    output = module(x)
    output[0].sum().backward(retain_graph=True)
    grads = [x.grad.clone()] + [p.grad.clone() for p in module.parameters()]
    for _ in range(4):
        module.zero_grad()
        x.grad.zero_()
        output[0].sum().backward(retain_graph=True)
        assert_all_close([x.grad] + [p.grad for p in module.parameters()], grads, atol=0)


@pytest.mark.parametrize("index", [0, 1], ids=["h", "c"])
def test_lstmcell_backward_only_one_output_grad(index):
    """test_lstmcell_backward_only_one_output_grad (torch: CUDA only; nothing in it needs a GPU)."""
    torch.manual_seed(0)
    cell = ours.LSTMCell(2, 3, dtype=DTYPE)
    s = torch.randn(1, 2, dtype=DTYPE, requires_grad=True)
    cell(s)[index].sum().backward()
    assert s.grad is not None and s.grad.abs().sum().item() != 0


@pytest.mark.parametrize("mkldnn", [False, True])
def test_LSTM_differentiable_backward_using_oneDNN(mkldnn):
    """test_LSTM_differentiable_backward_using_oneDNN: a gradient of a gradient through a 20-layer LSTM,
    equal to torch.nn's with oneDNN off and on (torch compares those two)."""
    mine, reference = pair("LSTM", 3, 3, 20, batch_first=True)
    x = torch.rand(10, 12, 3)
    enabled = torch._C._get_mkldnn_enabled()
    results = []
    try:
        for module in (reference, mine):
            torch._C._set_mkldnn_enabled(mkldnn)
            xi = x.clone().requires_grad_()
            out, _ = module(xi)
            (der,) = torch.autograd.grad(out, xi, torch.ones_like(out), create_graph=True)
            der.sum().backward()
            results.append((der.detach(), xi.grad))
    finally:
        torch._C._set_mkldnn_enabled(enabled)
    assert_all_close(results[1], results[0], atol=1e-5)
