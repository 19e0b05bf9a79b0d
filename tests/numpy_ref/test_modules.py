"""The torch.nn-style classes agree with torch.nn.RNN/LSTM/GRU in float64:
outputs, final states and every gradient, for many configurations."""

import itertools

import numpy as np
import pytest
import torch

from lstm_course.numpy_ref import modules

CLASSES = {"RNN": (modules.RNN, torch.nn.RNN), "LSTM": (modules.LSTM, torch.nn.LSTM), "GRU": (modules.GRU, torch.nn.GRU)}
CONFIGS = list(itertools.product([1, 2, 3], [False, True], [False, True], [True, False], [False, True]))
T, B, D, H = 5, 3, 4, 6


def make_pair(name, num_layers=1, bidirectional=False, batch_first=False, bias=True, nonlinearity="tanh"):
    ours_cls, torch_cls = CLASSES[name]
    kwargs = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if name == "RNN":
        kwargs["nonlinearity"] = nonlinearity
    torch.manual_seed(0)
    reference = torch_cls(D, H, **kwargs).double()
    ours = ours_cls(D, H, **kwargs)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


def states_as(name, arrays, to):
    """(h,) or (h, c) -> what forward/backward take for this class."""
    values = [to(a) for a in arrays]
    return tuple(values) if name == "LSTM" else values[0]


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,bias,given_state", CONFIGS)
def test_agrees_with_torch(name, num_layers, bidirectional, batch_first, bias, given_state):
    ours, reference = make_pair(name, num_layers, bidirectional, batch_first, bias)
    rng = np.random.default_rng(num_layers * 16 + bidirectional * 8 + batch_first * 4 + bias * 2 + given_state)
    directions = 2 if bidirectional else 1
    x = rng.standard_normal((B, T, D) if batch_first else (T, B, D))
    n_states = 2 if name == "LSTM" else 1
    state_shape = (num_layers * directions, B, H)
    states0 = [rng.standard_normal(state_shape) for _ in range(n_states)]
    x_t = torch.tensor(x, requires_grad=True)
    states0_t = [torch.tensor(s, requires_grad=True) for s in states0]

    hx = states_as(name, states0, np.asarray) if given_state else None
    hx_t = states_as(name, states0_t, lambda t: t) if given_state else None
    output, state_n = ours(x, hx)
    output_t, state_n_t = reference(x_t, hx_t)
    state_n, state_n_t = (state_n, state_n_t) if name == "LSTM" else ((state_n,), (state_n_t,))

    np.testing.assert_allclose(output, output_t.detach().numpy(), rtol=0, atol=1e-10, err_msg="output")
    for k, (s, s_t) in enumerate(zip(state_n, state_n_t)):
        np.testing.assert_allclose(s, s_t.detach().numpy(), rtol=0, atol=1e-10, err_msg=f"final state {k}")

    d_output = rng.standard_normal(output.shape)
    d_states = [rng.standard_normal(state_shape) for _ in range(n_states)]
    loss = (output_t * torch.tensor(d_output)).sum()
    for s_t, d in zip(state_n_t, d_states):
        loss = loss + (s_t * torch.tensor(d)).sum()
    loss.backward()
    d_input, d_states0 = ours.backward(d_output, states_as(name, d_states, np.asarray))
    d_states0 = d_states0 if name == "LSTM" else (d_states0,)

    np.testing.assert_allclose(d_input, x_t.grad.numpy(), rtol=0, atol=1e-10, err_msg="gradient w.r.t. the input")
    assert all(d.shape == state_shape for d in d_states0), f"initial-state gradients should have shape {state_shape}"
    for k, s_t in enumerate(states0_t if given_state else []):
        np.testing.assert_allclose(d_states0[k], s_t.grad.numpy(), rtol=0, atol=1e-10, err_msg=f"gradient w.r.t. initial state {k}")
    assert list(ours.grads) == [n for n, _ in reference.named_parameters()], "grads should have the keys of state_dict, in order"
    for pname, p in reference.named_parameters():
        np.testing.assert_allclose(ours.grads[pname], p.grad.numpy(), rtol=0, atol=1e-10, err_msg=f"gradient of {pname}")


def test_relu_rnn_agrees_with_torch():
    ours, reference = make_pair("RNN", num_layers=2, bidirectional=True, nonlinearity="relu")
    x = np.random.default_rng(0).standard_normal((T, B, D))
    output, h_n = ours(x)
    output_t, h_n_t = reference(torch.tensor(x))
    np.testing.assert_allclose(output, output_t.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(h_n, h_n_t.detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("name", CLASSES)
def test_unbatched_input_agrees_with_torch(name):
    ours, reference = make_pair(name, num_layers=2, bidirectional=True)
    x = np.random.default_rng(1).standard_normal((T, D))
    output, state = ours(x)
    output_t, state_t = reference(torch.tensor(x))
    assert output.shape == (T, 2 * H)
    np.testing.assert_allclose(output, output_t.detach().numpy(), atol=1e-10)
    h, h_t = (state[0], state_t[0]) if name == "LSTM" else (state, state_t)
    assert h.shape == (4, H)
    np.testing.assert_allclose(h, h_t.detach().numpy(), atol=1e-10)
    d_input, _ = ours.backward(np.ones_like(output))
    assert d_input.shape == x.shape


@pytest.mark.parametrize("name", CLASSES)
def test_float32_parameters_compute_in_float32(name):
    ours_cls, torch_cls = CLASSES[name]
    torch.manual_seed(0)
    reference = torch_cls(D, H, num_layers=2)
    ours = ours_cls(D, H, 2, dtype=np.float32)
    ours.load_state_dict(reference.state_dict())
    x = np.random.default_rng(2).standard_normal((T, B, D)).astype(np.float32)
    output, _ = ours(x)
    assert output.dtype == np.float32, f"expected float32 output, got {output.dtype}"
    np.testing.assert_allclose(output, reference(torch.tensor(x))[0].detach().numpy(), atol=1e-5)
    d_input, _ = ours.backward(np.ones_like(output))
    assert d_input.dtype == np.float32 and ours.grads["weight_hh_l1"].dtype == np.float32


@pytest.mark.parametrize("name", CLASSES)
def test_state_dict_round_trip_to_torch(name):
    ours_cls, torch_cls = CLASSES[name]
    ours = ours_cls(D, H, 2, bidirectional=True, rng=3)
    reference = torch_cls(D, H, 2, bidirectional=True).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(reference.state_dict()), "keys should be in torch's order"
    x = np.random.default_rng(4).standard_normal((T, B, D))
    np.testing.assert_allclose(ours(x)[0], reference(torch.tensor(x))[0].detach().numpy(), atol=1e-10)


def test_reset_parameters_follows_torch_init_and_is_seeded():
    a, b = modules.LSTM(D, H, rng=7), modules.LSTM(D, H, rng=7)
    for name, value in a.params.items():
        np.testing.assert_array_equal(value, b.params[name], err_msg="the same seed should give the same parameters")
        assert np.all(np.abs(value) <= 1 / np.sqrt(H)), f"{name} should lie in U(-1/sqrt(H), 1/sqrt(H))"
    c = modules.LSTM(D, H, rng=8)
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"]), "another seed should differ"


def test_backward_overwrites_rather_than_accumulates():
    model = modules.GRU(D, H, rng=0)
    output, _ = model(np.ones((T, B, D)))
    model.backward(np.ones_like(output))
    first = {k: v.copy() for k, v in model.grads.items()}
    model.backward(np.ones_like(output))
    for name, value in model.grads.items():
        np.testing.assert_array_equal(value, first[name], err_msg=f"{name}: a second backward should give the same gradient")


def test_load_state_dict_keeps_parameter_arrays():
    """Optimisers hold references to model.params; loading must copy in place."""
    model = modules.RNN(D, H, rng=0)
    held = model.params["weight_hh_l0"]
    model.load_state_dict(modules.RNN(D, H, rng=1).state_dict())
    assert model.params["weight_hh_l0"] is held
    np.testing.assert_array_equal(held, modules.RNN(D, H, rng=1).params["weight_hh_l0"])


def test_repr_names_non_default_arguments():
    assert repr(modules.LSTM(3, 4)) == "LSTM(3, 4)"
    assert repr(modules.GRU(3, 4, 2, bidirectional=True)) == "GRU(3, 4, num_layers=2, bidirectional=True)"
    assert repr(modules.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"


# ---------------------------------------------------------------- bad input
def test_wrong_input_rank():
    with pytest.raises(ValueError, match=r"input must be 3-D \(T, B, D\) or 2-D unbatched \(T, D\), got shape \(5,\)"):
        modules.LSTM(D, H)(np.zeros(5))


def test_wrong_feature_size():
    with pytest.raises(ValueError, match=r"input.shape\[-1\] must equal input_size=4, got input of shape \(5, 3, 7\)"):
        modules.GRU(D, H)(np.zeros((5, 3, 7)))


def test_mismatched_initial_state():
    with pytest.raises(ValueError, match=r"Expected initial state h_0 of shape \(2, 3, 6\), got \(1, 3, 6\)"):
        modules.RNN(D, H, num_layers=2)(np.zeros((5, 3, D)), np.zeros((1, 3, H)))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h, c\) for the LSTM, got ndarray"):
        modules.LSTM(D, H)(np.zeros((5, 3, D)), np.zeros((1, 3, H)))


def test_non_finite_input():
    x = np.zeros((5, 3, D))
    x[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"input must be finite, got 1 NaN or infinite value"):
        modules.LSTM(D, H)(x)


def test_non_numeric_input():
    with pytest.raises(TypeError, match="input must be a real numeric array"):
        modules.LSTM(D, H)(np.full((5, 3, D), "a"))


def test_state_dict_missing_and_unexpected_keys():
    state = modules.LSTM(D, H).state_dict()
    del state["bias_hh_l0"]
    state["weight_ih_l1"] = np.zeros((4 * H, H))
    with pytest.raises(ValueError, match=r"missing keys \['bias_hh_l0'\], unexpected keys \['weight_ih_l1'\]"):
        modules.LSTM(D, H).load_state_dict(state)


def test_state_dict_misshaped_entry():
    state = modules.GRU(D, H).state_dict()
    state["weight_hh_l0"] = np.zeros((H, 3 * H))
    with pytest.raises(ValueError, match=r"weight_hh_l0 must have shape \(18, 6\), got \(6, 18\)"):
        modules.GRU(D, H).load_state_dict(state)


def test_state_dict_non_finite_entry():
    state = modules.RNN(D, H).state_dict()
    state["bias_ih_l0"][0] = np.inf
    with pytest.raises(ValueError, match="bias_ih_l0 must be finite"):
        modules.RNN(D, H).load_state_dict(state)


def test_backward_before_forward():
    with pytest.raises(ValueError, match=r"backward\(\) was called before forward\(\)"):
        modules.LSTM(D, H).backward(np.zeros((5, 3, H)))


def test_backward_with_misshaped_gradient():
    model = modules.LSTM(D, H, batch_first=True)
    model(np.zeros((3, 5, D)))
    with pytest.raises(ValueError, match=r"d_output must have the shape of output, \(3, 5, 6\), got \(5, 3, 6\)"):
        model.backward(np.zeros((5, 3, H)))


@pytest.mark.parametrize("kwargs,message", [
    (dict(dropout=0.5), "no dropout between layers"),
    (dict(num_layers=0), "num_layers must be a positive integer, got 0"),
    (dict(dtype=np.int32), "dtype must be a floating type"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        modules.GRU(D, H, **kwargs)


def test_lstm_projection_is_not_in_the_reference():
    with pytest.raises(ValueError, match="proj_size must be 0"):
        modules.LSTM(D, H, proj_size=2)


def test_rnn_unknown_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        modules.RNN(D, H, nonlinearity="sigmoid")
