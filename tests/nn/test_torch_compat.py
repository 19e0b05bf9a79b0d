"""What code written for ``torch.nn``'s recurrent modules relies on beyond numbers:
exception types and messages, edge cases, attributes, ``repr``, ``torch.export``."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils._pytree import tree_leaves

from lstm_course import nn as ours_nn

T, B, D, H = 4, 3, 2, 5
LAYERS = ("RNN", "LSTM", "GRU")
CELLS = ("RNNCell", "LSTMCell", "GRUCell")


def pair(name, *args, **kwargs):
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(ours_nn, name)(*args, **kwargs)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


def state(name, lead, batch, size=H):
    h = torch.randn(lead, batch, size)
    return (h, torch.randn(lead, batch, H)) if name == "LSTM" else h


# Each: module name, constructor kwargs, a function of the module that makes a mistake.
MISTAKES = {
    "input size": ("GRU", {}, lambda m: m(torch.randn(T, B, D + 1))),
    "rank 4": ("LSTM", {}, lambda m: m(torch.randn(1, T, B, D))),
    "rank 1 rnn": ("RNN", {}, lambda m: m(torch.randn(D))),
    "hidden shape": ("RNN", {"num_layers": 2}, lambda m: m(torch.randn(T, B, D), torch.randn(1, B, H))),
    "cell state shape": ("LSTM", {}, lambda m: m(torch.randn(T, B, D), (torch.randn(1, B, H), torch.randn(1, B, 4)))),
    "projected state shape": ("LSTM", {"proj_size": 2}, lambda m: m(torch.randn(T, B, D), state("LSTM", 1, B))),
    "batched hx rank": ("GRU", {}, lambda m: m(torch.randn(T, B, D), torch.randn(B, H))),
    "unbatched hx rank": ("RNN", {}, lambda m: m(torch.randn(T, D), torch.randn(1, 1, H))),
    "lstm hx rank": ("LSTM", {}, lambda m: m(torch.randn(T, B, D), (torch.randn(B, H), torch.randn(1, B, H)))),
    "packed hidden batch": ("GRU", {}, lambda m: m(pack_padded_sequence(torch.randn(T, B, D), [4, 2, 1]),
                                                   torch.randn(1, B + 1, H))),
    "input dtype": ("LSTM", {}, lambda m: m(torch.randn(T, B, D, dtype=torch.float64))),
    "no time step": ("LSTM", {}, lambda m: m(torch.randn(0, B, D))),
    "no time step unbatched": ("GRU", {}, lambda m: m(torch.randn(0, D))),
    "cell input size": ("LSTMCell", {}, lambda m: m(torch.randn(B, D + 1))),
    "cell hidden size": ("GRUCell", {}, lambda m: m(torch.randn(B, D), torch.randn(B, H + 1))),
    "cell batch": ("RNNCell", {}, lambda m: m(torch.randn(B, D), torch.randn(B + 1, H))),
    "cell input rank": ("GRUCell", {}, lambda m: m(torch.randn(1, B, D))),
    "cell hx rank": ("LSTMCell", {}, lambda m: m(torch.randn(B, D), (torch.randn(1, B, H), torch.randn(B, H)))),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_same_exception_as_torch(mistake):
    """Same type, and torch's message is part of ours (which may go on explaining)."""
    name, kwargs, call = MISTAKES[mistake]
    ours, reference = pair(name, D, H, **kwargs)
    error, error_t = raised(lambda: call(ours)), raised(lambda: call(reference))
    assert isinstance(error, type(error_t)), f"{type(error).__name__} is not a {type(error_t).__name__}"
    if isinstance(error_t, RuntimeError) and "mat1 and mat2" in str(error_t):
        return  # torch's message comes from a kernel of ours too
    assert str(error_t) in str(error), f"{error!s} does not say {error_t!s}"


CONSTRUCTOR_MISTAKES = [
    ("RNN", (D, H), {"proj_size": 2}), ("GRU", (D, H), {"proj_size": 0}), ("LSTM", (D, H), {"proj_size": -1}),
    ("LSTM", (D, H), {"proj_size": H}), ("GRU", (D, H), {"bias": 1}), ("RNN", (D, H), {"batch_first": "True"}),
    ("LSTM", (D, 5.0), {}), ("GRU", ("2", H), {}), ("RNN", (D, H), {"nonlinearity": "gelu"}),
    ("LSTM", (D, H), {"dropout": 2}), ("GRU", (D, H, 0), {}), ("LSTM", (D, 0), {}),
]


@pytest.mark.parametrize("name,args,kwargs", CONSTRUCTOR_MISTAKES)
def test_same_constructor_exception_as_torch(name, args, kwargs):
    error = raised(lambda: getattr(ours_nn, name)(*args, **kwargs))
    error_t = raised(lambda: getattr(torch.nn, name)(*args, **kwargs))
    assert isinstance(error, type(error_t)), f"{type(error).__name__} is not a {type(error_t).__name__}"
    assert str(error_t) in str(error)


def test_shape_errors_are_runtime_errors_and_value_errors():
    """torch.nn raises RuntimeError; earlier versions of this package ValueError: both catch it."""
    error = raised(lambda: ours_nn.LSTM(D, H)(torch.randn(T, B, D + 1)))
    assert isinstance(error, RuntimeError) and isinstance(error, ValueError)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_empty_batch_gives_empty_output(name, batch_first):
    ours, reference = pair(name, D, H, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = torch.randn((0, T, D) if batch_first else (T, 0, D))
    out, out_t = ours(x), reference(x)
    assert [t.shape for t in tree_leaves(out)] == [t.shape for t in tree_leaves(out_t)]
    assert out[0].shape == ((0, T, 2 * H) if batch_first else (T, 0, 2 * H))


@pytest.mark.parametrize("name", CELLS)
def test_cells_with_no_hidden_units(name):
    ours, reference = pair(name, D, 0)
    x = torch.randn(B, D)
    out, out_t = tree_leaves(ours(x)), tree_leaves(reference(x))
    assert [t.shape for t in out] == [t.shape for t in out_t] == [(B, 0)] * len(out_t)


@pytest.mark.parametrize("name", LAYERS)
def test_dropout_with_one_layer_warns(name):
    for module in (torch.nn, ours_nn):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
            getattr(module, name)(D, H, dropout=0.3)


CONFIGS = [{}, {"bias": False}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True, "dropout": 0.5,
           "num_layers": 3}, {"proj_size": 2, "bias": False, "num_layers": 2}, {"nonlinearity": "relu"}]


def configs_for(name):
    return [c for c in CONFIGS if ("proj_size" not in c or name == "LSTM") and ("nonlinearity" not in c or name == "RNN")]


@pytest.mark.parametrize("name,kwargs", [(n, c) for n in LAYERS for c in configs_for(n)])
def test_attributes_and_repr_as_torch(name, kwargs):
    ours, reference = pair(name, D, H, **kwargs)
    assert repr(ours) == repr(reference)
    assert ours.mode == reference.mode
    assert ours._flat_weights_names == reference._flat_weights_names
    assert [[w.shape for w in ws] for ws in ours.all_weights] == [[w.shape for w in ws] for ws in reference.all_weights]
    assert all(a is b for a, b in zip(ours._flat_weights, ours.parameters()))
    assert len(ours._flat_weights) == len(list(ours.parameters()))
    x = torch.randn(T, B, D)
    assert ours.get_expected_hidden_size(x, None) == reference.get_expected_hidden_size(x, None)
    if name == "LSTM":
        assert ours.get_expected_cell_size(x, None) == reference.get_expected_cell_size(x, None)
    hx = state(name, ours.num_layers * (2 if ours.bidirectional else 1), x.shape[0 if ours.batch_first else 1],
               ours.proj_size or H)
    ours.check_forward_args(x, hx, None)  # accepts what torch accepts
    permutation = torch.tensor([2, 0, 1])
    for a, b in zip(tree_leaves(ours.permute_hidden(hx, permutation)), tree_leaves(reference.permute_hidden(hx, permutation))):
        assert torch.equal(a, b)
    before = [p.clone() for p in ours.parameters()]
    assert ours.flatten_parameters() is None
    assert all(torch.equal(a, b) for a, b in zip(before, ours.parameters()))


@pytest.mark.parametrize("name,kwargs", [(n, c) for n in CELLS for c in ({}, {"bias": False})]
                         + [("RNNCell", {"nonlinearity": "relu"})])
def test_cell_repr_as_torch(name, kwargs):
    ours, reference = pair(name, D, H, **kwargs)
    assert repr(ours) == repr(reference)


EXPORTS = [("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
           ("LSTM", {"proj_size": 2}), ("GRU", {"bidirectional": True}), ("RNN", {"nonlinearity": "relu"}),
           ("RNNCell", {}), ("LSTMCell", {}), ("GRUCell", {})]


@pytest.mark.parametrize("name,kwargs", EXPORTS)
def test_torch_export(name, kwargs):
    # float64: the exported LSTM runs step by step, the eager one fused, which rounds differently.
    torch.set_default_dtype(torch.float64)
    try:
        check_export(name, kwargs)
    finally:
        torch.set_default_dtype(torch.float32)


def check_export(name, kwargs):
    module = getattr(ours_nn, name)(D, H, **kwargs).eval()
    if name.endswith("Cell"):
        x = torch.randn(B, D)
        hx = (torch.randn(B, H), torch.randn(B, H)) if name == "LSTMCell" else torch.randn(B, H)
    else:
        x = torch.randn((B, T, D) if module.batch_first else (T, B, D))
        lead = module.num_layers * (2 if module.bidirectional else 1)
        hx = state(name, lead, B, module.proj_size or H)
    for args in ((x,), (x, hx)):
        program = torch.export.export(module, args)
        for got, expected in zip(tree_leaves(program.module()(*args)), tree_leaves(module(*args))):
            torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", LAYERS + CELLS)
def test_torchscript_is_refused_with_directions(name):
    with pytest.raises(RuntimeError, match=r"torch\.jit\.script.*Use torch\.export\.export.*torch\.compile"):
        torch.jit.script(getattr(ours_nn, name)(D, H))


def test_torch_compile_agrees_with_eager():
    ours, reference = pair("LSTM", D, H)
    x = torch.randn(T, B, D, requires_grad=True)
    compiled = torch.compile(ours)
    out, out_t = compiled(x)[0], reference(x)[0]
    torch.testing.assert_close(out, out_t, rtol=1e-5, atol=1e-6)
    grads = torch.autograd.grad(out.pow(2).sum(), [x, *ours.parameters()])
    grads_t = torch.autograd.grad(out_t.pow(2).sum(), [x, *reference.parameters()])
    for g, g_t in zip(grads, grads_t):
        torch.testing.assert_close(g, g_t, rtol=1e-5, atol=1e-6)
