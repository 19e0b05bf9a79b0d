"""Ports of PyTorch's ``test/test_nn.py`` tests of dropout between layers and of what may be done to a
recurrent layer's weights (weight norm, deleting and re-assigning, tying, pickling, old state), run on
CPU against ``lstm_course.nn``. Each test names the torch test it ports; where torch's runs only with
cuDNN or CUDA, the port keeps the parts that hold on any device.
"""

import io

import pytest
import torch
from torch.utils._pytree import tree_leaves

from lstm_course import nn as ours

from .test_torch_compat import pair


@pytest.mark.parametrize("p", [0, 0.276, 0.731, 1])
@pytest.mark.parametrize("train", [True, False])
def test_RNN_dropout(p, train):
    """test_RNN_dropout: dropout sits between layers only, and scales what it keeps by 1 / (1 - p).

    All-ones weights and a ReLU make every unit of layer 0 equal 10; layer 1 then sums 1000 of them,
    each kept with probability 1 - p and scaled, so its output is a multiple of 10 / (1 - p) near 10000.
    """
    torch.manual_seed(0)
    rnn = ours.RNN(10, 1000, 2, bias=False, dropout=p, nonlinearity="relu", dtype=torch.float64).train(train)
    with torch.no_grad():
        for weight in rnn.parameters():
            weight.fill_(1)
    output, hy = rnn(torch.ones(1, 1, 10, dtype=torch.float64), torch.zeros(2, 1, 1000, dtype=torch.float64))
    assert output.min() == output.max()
    value = output[0, 0, 0].item()
    if p == 0 or not train:
        assert value == 10000
    elif p == 1:
        assert value == 0
    else:
        assert 8000 < value < 12000
        remainder = (value * (1 - p)) % 10
        assert min(remainder, 10 - remainder) < 1e-2
    assert hy[0].min() == hy[0].max() and hy[1].min() == hy[1].max()
    assert hy[0, 0, 0].item() == 10 and hy[1, 0, 0].item() == value


@pytest.mark.parametrize("p", [0, 0.1234])
@pytest.mark.parametrize("train", [True, False])
def test_RNN_dropout_state(p, train):
    """test_RNN_dropout_state: a pickled and reloaded module (then flatten_parameters) computes the same,
    and in training with p > 0 each call draws new masks."""
    torch.manual_seed(0)
    rnn = ours.RNN(100, 100, 2, bias=False, dropout=p, nonlinearity="relu").train(train)
    x, hx = torch.rand(1, 1, 100), torch.rand(2, 1, 100)
    out1, hy1 = rnn(x, hx)
    out2, hy2 = rnn(x, hx)
    buffer = io.BytesIO()
    torch.save(rnn, buffer)
    buffer.seek(0)
    reloaded = torch.load(buffer, weights_only=False)  # a whole module, as torch's test saves it
    reloaded.flatten_parameters()
    out3, hy3 = reloaded(x, hx)
    if p == 0 or not train:
        assert torch.equal(out1, out2) and torch.equal(out1, out3)
        assert torch.equal(hy1, hy2) and torch.equal(hy1, hy3)
    else:
        assert not torch.equal(out1, out2) and not torch.equal(out1, out3)
        assert not torch.equal(hy1, hy2) and not torch.equal(hy1, hy3)


@pytest.mark.parametrize("train", [True, False])
def test_RNN_change_dropout(train):
    """test_RNN_change_dropout: assigning ``module.dropout`` takes effect on the next call."""
    torch.manual_seed(0)
    rnn = ours.RNN(100, 100, 2, dropout=0, nonlinearity="relu", dtype=torch.float64).train(train)
    x = torch.rand(3, 2, 100, dtype=torch.float64)
    previous = None
    for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
        rnn.dropout = p
        out1, hy1 = rnn(x)
        out2, hy2 = rnn(x)
        if p in (0, 1) or not train:
            assert torch.equal(out1, out2) and torch.equal(hy1, hy2)
        else:
            assert not torch.equal(out1, out2) and not torch.equal(hy1, hy2)
        if previous is not None:
            assert torch.equal(out1, previous) == (not train) and torch.equal(out2, previous) == (not train)
        previous = out1


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")  # torch.nn's
@pytest.mark.parametrize("kwargs,name", [({}, "weight_hh_l0"), ({"proj_size": 3}, "weight_hr_l0")])
def test_RNN_cudnn_weight_norm(kwargs, name):
    """test_RNN_cudnn_weight_norm, its CPU half: adding and removing weight norm keeps the output; and the
    normed module follows a change of its magnitude ``g`` as torch.nn's does, with as many parameters
    left among ``_flat_weights``."""
    mine, reference = pair("LSTM", 10, 6, 2, **kwargs)
    x = torch.randn(7, 6, 10)
    expected = mine(x)
    for module in (mine, reference):
        torch.nn.utils.weight_norm(module, name=name)
    torch.testing.assert_close(mine(x), expected)
    with torch.no_grad():
        for module in (mine, reference):
            getattr(module, name + "_g").mul_(1.5)
    torch.testing.assert_close(mine(x), reference(x))
    count = [sum(isinstance(w, torch.nn.Parameter) for w in m._flat_weights) for m in (mine, reference)]
    assert count[0] == count[1] == len(reference._flat_weights_names) - 1  # all but the normed one
    for module in (mine, reference):
        torch.nn.utils.remove_weight_norm(module, name=name)
    torch.testing.assert_close(mine(x), reference(x))


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.parametrize("kwargs,name,count", [({}, "weight_ih_l0", 4), ({"proj_size": 16}, "weight_hr_l0", 5)])
def test_rnn_weight_norm(kwargs, name, count):
    """test_rnn_weight_norm: the normed weight leaves ``_flat_weights``' parameters while normed, and
    removing the norm puts the parameter back, without its ``_g`` and ``_v``."""
    module = torch.nn.utils.weight_norm(ours.LSTM(32, 32, **kwargs), name=name)
    assert sum(isinstance(w, torch.nn.Parameter) for w in module._flat_weights) == count - 1
    module = torch.nn.utils.remove_weight_norm(module, name=name)
    assert sum(isinstance(w, torch.nn.Parameter) for w in module._flat_weights) == count
    named = dict(module.named_parameters())
    assert module._parameters.get(name) is not None and named.get(name) is not None
    for part in (name + "_v", name + "_g"):
        assert part not in module._parameters and part not in named


def test_partial_flat_weights():
    """test_partial_flat_weights, its CPU half: a module converted while one weight is deleted works
    again once the weight is assigned back."""
    torch.manual_seed(0)
    module = ours.LSTM(10, 6, 2)
    x = torch.randn(3, 2, 10)
    expected = module(x)[0]
    weight = module.weight_hh_l0
    del module.weight_hh_l0
    assert not hasattr(module, "weight_hh_l0")
    module.to(torch.float64)
    module.weight_hh_l0 = torch.nn.Parameter(weight.double())
    torch.testing.assert_close(module(x.double())[0], expected.double())


@pytest.mark.parametrize("name,kwargs", [("LSTM", {}), ("LSTM", {"proj_size": 10}), ("GRU", {}), ("RNN", {})])
def test_cudnn_weight_tying(name, kwargs):
    """test_cudnn_weight_tying, its CPU half: a reverse bias tied to the forward one stays tied through a
    step of SGD, and the module computes as torch.nn's tied one does before and after."""
    mine, reference = pair(name, 10, 20, batch_first=True, bidirectional=True, **kwargs)
    x = torch.randn(5, 4, 10)
    h_size = kwargs.get("proj_size", 20)
    hx = torch.randn(2, 5, h_size)
    state = (hx, torch.randn(2, 5, 20)) if name == "LSTM" else hx
    outputs = []
    for module in (mine, reference):
        module.bias_ih_l0_reverse = module.bias_ih_l0
        optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
        optimizer.zero_grad()
        before = module(x, state)
        before[0].sum().backward()
        optimizer.step()
        assert module.bias_ih_l0_reverse is module.bias_ih_l0
        outputs.append(tree_leaves(before) + tree_leaves(module(x, state)))
    for got, expected in zip(*outputs):
        torch.testing.assert_close(got, expected)


def test_save_lstm_compatibility():
    """test_save_lstm_compatibility: the state of an LSTM pickled before proj_size existed loads."""
    torch.manual_seed(0)
    model = ours.LSTM(2, 3)
    x = torch.randn(32, 5, 2)
    expected = model(x)
    state = dict(model.__dict__)
    del state["proj_size"]
    loaded = ours.LSTM(2, 3)
    loaded.__setstate__(state)
    assert loaded.proj_size == 0
    for got, want in zip(tree_leaves(loaded(x)), tree_leaves(expected)):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
