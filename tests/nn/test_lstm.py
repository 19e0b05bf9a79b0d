"""lstm_course.nn.lstm: lstm_step, LSTMCell and LSTM agree with torch.nn in float64
(outputs, states and every gradient), with the NumPy reference too, on every
available device; the fused LSTMSequence passes gradcheck on its own."""

import pytest
import torch

from lstm_course.nn import lstm as lstm_module
from lstm_course.nn.lstm import LSTM, LSTMCell, lstm_sequence

from . import recurrent_cases as cases

D, H = cases.D, cases.H


@pytest.mark.parametrize(cases.LAYER_ARGS, cases.configs("LSTM"))
def test_agrees_with_torch(device, num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state):
    cases.check_layer_agrees_with_torch(device, "LSTM", num_layers, bidirectional, batch_first, bias, proj_size,
                                        packed, given_state)


def test_three_way_chain_with_the_numpy_reference():
    cases.check_three_way_chain("LSTM")


def test_state_dict_loads_into_torch(device):
    cases.check_state_dict_loads_into_torch("LSTM", device)


def test_unbatched_input(device):
    cases.check_unbatched_input("LSTM", device)


def test_float32_default_and_repr():
    lstm = LSTM(D, H, num_layers=2, batch_first=True, proj_size=2)
    assert lstm.weight_hh_l0.dtype == torch.float32
    # torch.nn's order of arguments.
    assert repr(lstm) == "LSTM(3, 5, proj_size=2, num_layers=2, batch_first=True)"
    assert repr(lstm) == repr(torch.nn.LSTM(D, H, num_layers=2, batch_first=True, proj_size=2))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        LSTM(D, H)(torch.randn(cases.T, cases.B, D), torch.zeros(1, cases.B, H))


def test_projection_must_be_smaller_than_hidden():
    with pytest.raises(ValueError, match="proj_size must be 0 or a positive integer smaller than hidden_size=5"):
        LSTM(D, H, proj_size=5)


# ------------------------------------------------------- the fused sequence
def sequence_inputs(steps=4, batch=3, hidden=3):
    """xw (T, B, 4H), h0, c0 (B, H), w_hh (4H, H): float64 leaves that require grad."""
    gen = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64).requires_grad_()  # noqa: E731
    return rand(steps, batch, 4 * hidden), rand(batch, hidden), rand(batch, hidden), rand(4 * hidden, hidden)


@pytest.mark.parametrize("outputs", ["h and c", "c only", "h only"])
def test_fused_sequence_gradcheck(monkeypatch, outputs):
    """The hand-written, in-place backward of LSTMSequence against finite differences,
    for gradients arriving through the cell states c_1..c_T, the hidden states, or both.

    ``gradcheck`` differentiates each output separately, so "h and c" already
    checks a gradient arriving through c alone; "c only" and "h only" also
    check the backward when autograd passes no gradient at all for the other
    output (``None``: gradients are not materialised)."""
    calls = []
    fast = lstm_module._backward_fast
    monkeypatch.setattr(lstm_module, "_backward_fast", lambda *a: calls.append(1) or fast(*a))
    pick = {"h and c": lambda h, c: (h, c), "c only": lambda h, c: c, "h only": lambda h, c: h}[outputs]
    assert torch.autograd.gradcheck(lambda *args: pick(*lstm_sequence(*args)), sequence_inputs())
    assert calls, "gradcheck should have run the in-place backward, not the out-of-place one"


def test_fused_sequence_takes_gradients_through_every_cell_state():
    """A loss on every c_t (and no h_t): the gradient of each input equals the
    step-by-step LSTM's, in which autograd derives the backward pass."""
    xw, h0, c0, w_hh = sequence_inputs(steps=5)
    weights = torch.randn(xw.shape[0], *c0.shape, dtype=torch.float64)
    _, c = lstm_sequence(xw, h0, c0, w_hh)
    grads = torch.autograd.grad((c * weights).sum(), (xw, h0, c0, w_hh))
    h, cell, cs = h0, c0, []
    for xw_t in xw:
        h, cell = lstm_module.lstm_step(xw_t, h, cell, w_hh)
        cs.append(cell)
    expected = torch.autograd.grad((torch.stack(cs) * weights).sum(), (xw, h0, c0, w_hh))
    for name, g, g_ref in zip(["xw", "h0", "c0", "w_hh"], grads, expected):
        torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-12, msg=f"gradient of {name}")


# ------------------------------------------------------------------- cell
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_cell_agrees_with_torch(bias, given_state, device):
    cases.check_cell_agrees_with_torch("LSTMCell", bias, given_state, device)


def test_cell_unbatched():
    cases.check_cell_unbatched("LSTMCell")


def test_cell_errors_name_what_was_expected():
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h, c\)"):
        LSTMCell(cases.CELL_D, cases.CELL_H)(torch.randn(cases.CELL_B, cases.CELL_D), torch.randn(cases.CELL_B, cases.CELL_H))
