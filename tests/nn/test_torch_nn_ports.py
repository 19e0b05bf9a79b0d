"""Ports of the recurrent-module tests of PyTorch's ``test/test_nn.py`` that need no GPU: cells,
argument checks, initial states, and ``torch.export`` with packed input.

Each test names the torch test it ports. Where torch's test only asserts that ``torch.nn`` raises,
the port asserts that ours raises the same type of exception whenever torch's does; where torch's
test runs a module, the port runs ours and ``torch.nn`` with the same weights and compares.
``test_torch_nn_ports_numerics.py`` holds the ports that compare numbers, dropout and weights.
"""

import re

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence
from torch.utils._pytree import tree_leaves

from lstm_course import nn as ours

from .test_torch_compat import pair  # (ours, torch.nn's) with the same weights

LAYERS = ("RNN", "GRU", "LSTM")


def same_error(call, mine, reference, error_type=RuntimeError):
    """torch.nn raises ``error_type`` here, and ours raises an exception of the same type."""
    with pytest.raises(error_type) as expected:
        call(reference)
    with pytest.raises(type(expected.value)):
        call(mine)


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_RNN_cell(name, bias):
    """test_RNN_cell: six steps of a cell, then backward (torch's is a smoke test; here also equal to torch.nn)."""
    mine, reference = pair(name, 10, 20, bias=bias)
    x = torch.randn(3, 10)
    results = []
    for cell in (mine, reference):
        hx = torch.randn(3, 20, generator=torch.Generator().manual_seed(1))
        for _ in range(6):
            hx = cell(x, hx)
        hx.sum().backward()
        results.append([hx.detach()] + [p.grad for p in cell.parameters()])
    for got, expected in zip(*results):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("bias", [True, False])
def test_LSTM_cell(bias):
    """test_LSTM_cell: six steps of an LSTMCell, then backward of h + c, equal to torch.nn."""
    mine, reference = pair("LSTMCell", 10, 20, bias=bias)
    x = torch.randn(3, 10)
    results = []
    for cell in (mine, reference):
        gen = torch.Generator().manual_seed(1)
        hx, cx = torch.randn(3, 20, generator=gen), torch.randn(3, 20, generator=gen)
        for _ in range(6):
            hx, cx = cell(x, (hx, cx))
        (hx + cx).sum().backward()
        results.append([hx.detach(), cx.detach()] + [p.grad for p in cell.parameters()])
    for got, expected in zip(*results):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("make", [lambda m: m.RNNCell(10, 0, nonlinearity="relu"),
                                  lambda m: m.RNNCell(10, 0, nonlinearity="tanh"),
                                  lambda m: m.GRUCell(10, 0)], ids=["rnn-relu", "rnn-tanh", "gru"])
def test_RNN_cell_forward_zero_hidden_size(make):
    """test_RNN_cell_forward_zero_hidden_size."""
    assert make(ours)(torch.randn(3, 10), torch.randn(3, 0)).shape == (3, 0)


def test_LSTM_cell_forward_input_size():
    """test_LSTM_cell_forward_input_size."""
    mine, reference = pair("LSTMCell", 10, 20)
    state = (torch.randn(3, 20), torch.randn(3, 20))
    same_error(lambda cell: cell(torch.randn(3, 11), state), mine, reference, Exception)


def test_LSTM_cell_forward_hidden_size():
    """test_LSTM_cell_forward_hidden_size: hx or cx with 21 units for a 20-unit cell."""
    mine, reference = pair("LSTMCell", 10, 20)
    x, good, bad = torch.randn(3, 10), torch.randn(3, 20), torch.randn(3, 21)
    same_error(lambda cell: cell(x, (bad, good)), mine, reference, Exception)
    same_error(lambda cell: cell(x, (good, bad)), mine, reference, Exception)


def no_broadcasting_cases():
    hidden, inputs = 20, 10
    x, good = torch.randn(3, inputs), torch.randn(3, hidden)
    cases = {"batch": (x, torch.randn(1, hidden)), "hidden size": (x, torch.randn(3, 1)),
             "input size": (torch.randn(3, 1), good)}
    for label, (inp, bad) in cases.items():
        yield f"RNNCell-{label}", "RNNCell", inp, bad
        yield f"GRUCell-{label}", "GRUCell", inp, bad
        yield f"LSTMCell-h-{label}", "LSTMCell", inp, (bad, good)
        yield f"LSTMCell-c-{label}", "LSTMCell", inp, (good, bad)


@pytest.mark.parametrize("label,name,inp,hx", [pytest.param(*c, id=c[0]) for c in no_broadcasting_cases()])
def test_RNN_cell_no_broadcasting(label, name, inp, hx):
    """test_RNN_cell_no_broadcasting: a batch, hidden or input size of 1 is not broadcast."""
    mine, reference = pair(name, 10, 20)
    same_error(lambda cell: cell(inp, hx), mine, reference)


@pytest.mark.parametrize("name,hidden", [("LSTM", (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))),
                                         ("GRU", torch.zeros(1, 2, 19)), ("RNN", torch.zeros(1, 2, 19))])
def test_cudnn_forward_exception(name, hidden):
    """test_cudnn_forward_exception (it runs on CPU too): torch's messages, for both mistakes."""
    x_right, x_wrong = torch.randn(2, 3, 10), torch.randn(2, 3, 3)
    for module in (getattr(torch.nn, name)(10, 20, batch_first=True), getattr(ours, name)(10, 20, batch_first=True)):
        with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
            module(x_right, hidden)
        with pytest.raises(RuntimeError, match=re.escape("input.size(-1) must be equal to input_size")):
            module(x_wrong)


def test_cudnn_forward_exception_projections():
    """test_cudnn_forward_exception, its LSTM with proj_size=10."""
    hidden = (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))
    for module in (torch.nn.LSTM(10, 20, batch_first=True, proj_size=10),
                   ours.LSTM(10, 20, batch_first=True, proj_size=10)):
        with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
            module(torch.randn(2, 3, 10), hidden)
        with pytest.raises(RuntimeError, match=re.escape("input.size(-1) must be equal to input_size")):
            module(torch.randn(2, 3, 3))


SEQ, BATCH, INPUT, HIDDEN, LAYERS_N, BAD = 6, 4, 3, 5, 2, 7  # 7: prime, so no size divides it


def reshaped(shape, dim, size):
    shape = list(shape)
    shape[dim] = size
    return tuple(shape)


ARGS_MISTAKES = {"input batch": ((1, BAD), None), "hidden batch": (None, (1, BAD)), "input size": ((2, BAD), None),
                 "hidden size": (None, (2, BAD)), "hidden layers": (None, (0, BAD))}


@pytest.mark.parametrize("mistake", ARGS_MISTAKES)
@pytest.mark.parametrize("name", LAYERS)
def test_rnn_args_check(name, mistake):
    """test_rnn_args_check: every wrong input or state size is a RuntimeError (LSTM: in h and in c)."""
    good_x, good_h = (SEQ, BATCH, INPUT), (LAYERS_N, BATCH, HIDDEN)
    change_x, change_h = ARGS_MISTAKES[mistake]
    x = torch.randn(reshaped(good_x, *change_x) if change_x else good_x)
    h = torch.randn(reshaped(good_h, *change_h) if change_h else good_h)
    if name != "LSTM":
        states = [h]
    elif change_h is None:
        states = [(h, h)]
    else:
        states = [(h, torch.randn(good_h)), (torch.randn(good_h), h)]
    mine, reference = pair(name, INPUT, HIDDEN, LAYERS_N)
    for hx in states:
        same_error(lambda m: m(x, hx), mine, reference)


PROJ = 2
PROJ_MISTAKES = {  # change of the input, of h, of c
    "input batch": ((1, BAD), None, None), "hidden batch": (None, (1, BAD), (1, BAD)),
    "input size": ((2, BAD), None, None), "hidden size": (None, (2, BAD), (2, BAD)),
    "hidden layers": (None, (0, BAD), (0, BAD)), "h layers = hidden size": (None, (0, HIDDEN), None),
    "h layers": (None, (0, BAD), None), "c layers": (None, None, (0, BAD)),
}


@pytest.mark.parametrize("mistake", PROJ_MISTAKES)
def test_projections_lstm_args_check(mistake):
    """test_projections_lstm_args_check."""
    shapes = [(SEQ, BATCH, INPUT), (LAYERS_N, BATCH, PROJ), (LAYERS_N, BATCH, HIDDEN)]
    x, h, c = (torch.randn(reshaped(s, *change) if change else s) for s, change in zip(shapes, PROJ_MISTAKES[mistake]))
    mine, reference = pair("LSTM", INPUT, HIDDEN, LAYERS_N, proj_size=PROJ)
    same_error(lambda m: m(x, (h, c)), mine, reference)


@pytest.mark.parametrize("name", LAYERS)
def test_rnn_initial_hidden_state(name):
    """test_rnn_initial_hidden_state: no state is a zero state."""
    module = getattr(ours, name)(30, 20, 2)
    x, zeros = torch.randn(10, 32, 30), torch.zeros(2, 32, 20)
    out1, h1 = module(x, (zeros, zeros) if name == "LSTM" else zeros)
    out2, h2 = module(x)
    torch.testing.assert_close(out1, out2, rtol=0, atol=0)
    for a, b in zip(tree_leaves(h1), tree_leaves(h2)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_projections_lstm_initial_hidden_state(bidirectional):
    """test_projections_lstm_initial_hidden_state."""
    module = ours.LSTM(30, 20, 2, bidirectional=bidirectional, proj_size=10)
    lead = 2 * (2 if bidirectional else 1)
    x = torch.randn(10, 32, 30)
    out1, (h1, c1) = module(x, (torch.zeros(lead, 32, 10), torch.zeros(lead, 32, 20)))
    out2, (h2, c2) = module(x)
    for a, b in ((out1, out2), (h1, h2), (c1, c2)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_RNN_nonlinearity():
    """test_RNN_nonlinearity and test_RNN_nonlinearity_passed_as_arg."""
    assert ours.RNN(1, 10).nonlinearity == "tanh"
    assert ours.RNN(1, 10, nonlinearity="relu").nonlinearity == "relu"
    assert ours.RNN(2, 3, 1, "relu").nonlinearity == "relu"
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        ours.RNN(1, 10, nonlinearity="garbage")


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_projections_errors_on_gru_and_rnn(name):
    """test_projections_errors_on_gru_and_rnn."""
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        getattr(ours, name)(30, 20, 2, proj_size=10)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("bidirectional", [True, False])
def test_error_RNN_seq_len_zero(name, bidirectional):
    """test_error_RNN_seq_len_zero (torch runs it only with cuDNN; its CPU half)."""
    module = getattr(ours, name)(5, 6, bidirectional=bidirectional)
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        module(torch.ones(0, 10, 5))


@pytest.mark.parametrize("name", LAYERS)
def test_RNN_input_size_zero(name):
    """test_RNN_input_size_zero: a batch of none, forward and backward."""
    outs = getattr(ours, name)(input_size=3, hidden_size=4)(torch.zeros(5, 0, 3))
    assert outs[0].shape == (5, 0, 4)
    outs[0].sum().backward()


@pytest.mark.filterwarnings("ignore:The tensor attributes self._flat_weights")  # torch.nn's, during export
@pytest.mark.parametrize("name", LAYERS)
def test_export_with_packed_sequence_input(name):
    """torch.export.export of a layer fed a PackedSequence. torch 2.13 cannot export torch.nn's (the batch
    sizes are data that decide shapes: GuardOnDataDependentSymNode); ours must fail the same way, or
    export where torch.nn's does."""
    torch.manual_seed(0)
    packed = pack_padded_sequence(torch.randn(4, 3, 2), [4, 2, 1])
    assert isinstance(packed, PackedSequence)
    outcomes = []
    for module in (getattr(torch.nn, name)(2, 5).eval(), getattr(ours, name)(2, 5).eval()):
        try:
            torch.export.export(module, (packed,))
            outcomes.append(None)
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            outcomes.append(type(error))
    assert outcomes[1] is outcomes[0], f"torch.nn: {outcomes[0] or 'exported'}; ours: {outcomes[1] or 'exported'}"
