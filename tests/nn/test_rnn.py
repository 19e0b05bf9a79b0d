"""lstm_course.nn.rnn: rnn_step, RNNCell and RNN agree with torch.nn in float64
(outputs, states and every gradient), with the NumPy reference too, on every
available device."""

import pytest
import torch

from lstm_course.nn.rnn import RNN, RNNCell

from . import recurrent_cases as cases


@pytest.mark.parametrize(cases.LAYER_ARGS, cases.configs("RNN"))
def test_agrees_with_torch(device, num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state):
    cases.check_layer_agrees_with_torch(device, "RNN", num_layers, bidirectional, batch_first, bias, proj_size,
                                        packed, given_state)


def test_three_way_chain_with_the_numpy_reference():
    cases.check_three_way_chain("RNN")


def test_state_dict_loads_into_torch(device):
    cases.check_state_dict_loads_into_torch("RNN", device)


def test_unbatched_input(device):
    cases.check_unbatched_input("RNN", device)


def test_repr_as_torch_nn():
    # torch.nn's RNN does not print its nonlinearity.
    assert repr(RNN(3, 5, nonlinearity="relu")) == repr(torch.nn.RNN(3, 5, nonlinearity="relu")) == "RNN(3, 5)"


# ------------------------------------------------------------------- cell
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_cell_agrees_with_torch(bias, given_state, device):
    cases.check_cell_agrees_with_torch("RNNCell", bias, given_state, device)


def test_cell_unbatched():
    cases.check_cell_unbatched("RNNCell")


def test_rnn_cell_relu():
    D, H = cases.CELL_D, cases.CELL_H
    reference = torch.nn.RNNCell(D, H, nonlinearity="relu").double()
    ours = RNNCell(D, H, nonlinearity="relu", dtype=torch.float64)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(cases.CELL_B, D, dtype=torch.float64)
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-12)


def test_cell_errors_name_what_was_expected():
    B, D, H = cases.CELL_B, cases.CELL_D, cases.CELL_H
    with pytest.raises(ValueError, match=r"Expected hx of shape \(3, 5\), got \(3, 4\)"):
        RNNCell(D, H)(torch.randn(B, D), torch.randn(B, 4))
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        RNNCell(D, H, nonlinearity="gelu")
