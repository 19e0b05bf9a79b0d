"""lstm_course.nn.RNN/LSTM/GRU agree with torch.nn in float64 (outputs, states
and every gradient), with the NumPy reference too, on every available device."""

import itertools

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_course import numpy_ref
from lstm_course.nn import recurrent

PAIRS = {"RNN": (recurrent.RNN, torch.nn.RNN), "LSTM": (recurrent.LSTM, torch.nn.LSTM), "GRU": (recurrent.GRU, torch.nn.GRU)}
T, B, D, H = 6, 4, 3, 5
LENGTHS = [3, 6, 1, 5]  # unsorted, so the sorted/unsorted index permutations matter


def configs(name):
    """(num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state).

    The initial state is given in half of the configurations, chosen so that
    it meets every other option both ways, rather than doubling the grid.
    """
    grid = itertools.product([1, 2], [False, True], [False, True], [True, False], [0, 2], [False, True])
    return [(*c, c[2] != c[3]) for c in grid if c[4] == 0 or name == "LSTM"]


def make_pair(name, device, **kwargs):
    ours_cls, torch_cls = PAIRS[name]
    torch.manual_seed(0)
    reference = torch_cls(D, H, **kwargs).to(device=device, dtype=torch.float64)
    ours = ours_cls(D, H, **kwargs, device=device, dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


CASES = [(name, *c) for name in PAIRS for c in configs(name)]


@pytest.mark.parametrize("name,num_layers,bidirectional,batch_first,bias,proj_size,packed,given_state", CASES)
def test_agrees_with_torch(device, name, num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state):
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


@pytest.mark.parametrize("name", PAIRS)
def test_three_way_chain_with_the_numpy_reference(name):
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


@pytest.mark.parametrize("name", PAIRS)
def test_state_dict_loads_into_torch(name, device):
    ours_cls, torch_cls = PAIRS[name]
    ours = ours_cls(D, H, num_layers=2, bidirectional=True, device=device)
    reference = torch_cls(D, H, num_layers=2, bidirectional=True).to(device)
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, D, device=device)
    torch.testing.assert_close(ours(x)[0], reference(x)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PAIRS)
def test_unbatched_input(name, device):
    ours, reference = make_pair(name, device, num_layers=2, bidirectional=True)
    x = torch.randn(T, D, dtype=torch.float64, device=device)
    (out, state), (out_t, state_t) = ours(x), reference(x)
    torch.testing.assert_close(out, out_t, rtol=0, atol=1e-10)
    for s, s_t in zip(as_tuple(state), as_tuple(state_t)):
        assert s.shape == s_t.shape == (4, H)
        torch.testing.assert_close(s, s_t, rtol=0, atol=1e-10)


def test_padded_positions_do_not_change_the_states():
    """With packing, what sits in the padding cannot reach h_n."""
    lstm = recurrent.LSTM(D, H, bidirectional=True, dtype=torch.float64)
    x = torch.randn(T, B, D, dtype=torch.float64)
    noisy = x.clone()
    for b, length in enumerate(LENGTHS):
        noisy[length:, b] = 1e3
    (out, (h, c)) = lstm(pack_padded_sequence(x, LENGTHS, enforce_sorted=False))
    (out2, (h2, c2)) = lstm(pack_padded_sequence(noisy, LENGTHS, enforce_sorted=False))
    torch.testing.assert_close(h, h2, rtol=0, atol=0)
    padded, lengths = pad_packed_sequence(out)
    assert lengths.tolist() == LENGTHS


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    lstm = recurrent.LSTM(D, H, num_layers=2, dropout=0.5, dtype=torch.float64)
    reference = torch.nn.LSTM(D, H, num_layers=2, dropout=0.5).double()
    reference.load_state_dict(lstm.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64)
    lstm.eval(), reference.eval()
    torch.testing.assert_close(lstm(x)[0], reference(x)[0], rtol=0, atol=1e-10, msg="eval mode should apply no dropout")
    lstm.train()
    assert not torch.allclose(lstm(x)[0], reference(x)[0]), "train mode should drop units between the layers"
    single = recurrent.LSTM(D, H, num_layers=1, dropout=0.5, dtype=torch.float64).train()
    single.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith("l0")})
    assert torch.equal(single(x)[0], single(x)[0]), "one layer: nothing to drop between layers"


def test_float32_default_and_repr():
    lstm = recurrent.LSTM(D, H, num_layers=2, batch_first=True, proj_size=2)
    assert lstm.weight_hh_l0.dtype == torch.float32
    # torch.nn's order of arguments, and its RNN does not print its nonlinearity.
    assert repr(lstm) == "LSTM(3, 5, proj_size=2, num_layers=2, batch_first=True)"
    assert repr(lstm) == repr(torch.nn.LSTM(D, H, num_layers=2, batch_first=True, proj_size=2))
    assert repr(recurrent.RNN(D, H, nonlinearity="relu")) == repr(torch.nn.RNN(D, H, nonlinearity="relu")) == "RNN(3, 5)"


# ------------------------------------------------------------------ bad input
def test_wrong_input_size():
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 4"):
        recurrent.GRU(D, H)(torch.randn(T, B, 4))


def test_wrong_rank():
    with pytest.raises(ValueError, match="expected input to be 2-D \\(unbatched\\) or 3-D, got 4-D"):
        recurrent.RNN(D, H)(torch.randn(1, T, B, D))


def test_state_with_wrong_shape():
    with pytest.raises(ValueError, match=r"Expected hx\[0\] of shape \(2, 4, 5\), got \(1, 4, 5\)"):
        recurrent.LSTM(D, H, num_layers=2)(torch.randn(T, B, D), (torch.zeros(1, B, H), torch.zeros(2, B, H)))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        recurrent.LSTM(D, H)(torch.randn(T, B, D), torch.zeros(1, B, H))


def test_state_on_another_device():
    with pytest.raises(ValueError, match="hx is on meta but the input is on cpu"):
        recurrent.GRU(D, H)(torch.randn(T, B, D), torch.empty(1, B, H, device="meta"))


def test_input_on_another_device_than_the_parameters():
    with pytest.raises(ValueError, match="input is on meta but the parameters are on cpu"):
        recurrent.GRU(D, H)(torch.empty(T, B, D, device="meta"))


@pytest.mark.parametrize("kwargs,message", [
    (dict(dropout=1.5), "dropout should be a number in range"),
    (dict(num_layers=0), "num_layers must be a positive integer"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        recurrent.LSTM(D, H, **kwargs)


def test_projection_must_be_smaller_than_hidden():
    with pytest.raises(ValueError, match="proj_size must be 0 or a positive integer smaller than hidden_size=5"):
        recurrent.LSTM(D, H, proj_size=5)
