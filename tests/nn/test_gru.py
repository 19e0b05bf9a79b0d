"""lstm_course.nn.gru: gru_step, GRUCell and GRU agree with torch.nn in float64
(outputs, states and every gradient), with the NumPy reference too, on every
available device."""

import pytest
import torch

from lstm_course.nn.gru import GRUCell

from . import recurrent_cases as cases


@pytest.mark.parametrize(cases.LAYER_ARGS, cases.configs("GRU"))
def test_agrees_with_torch(device, num_layers, bidirectional, batch_first, bias, proj_size, packed, given_state):
    cases.check_layer_agrees_with_torch(device, "GRU", num_layers, bidirectional, batch_first, bias, proj_size,
                                        packed, given_state)


def test_three_way_chain_with_the_numpy_reference():
    cases.check_three_way_chain("GRU")


def test_state_dict_loads_into_torch(device):
    cases.check_state_dict_loads_into_torch("GRU", device)


def test_unbatched_input(device):
    cases.check_unbatched_input("GRU", device)


# ------------------------------------------------------------------- cell
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_cell_agrees_with_torch(bias, given_state, device):
    cases.check_cell_agrees_with_torch("GRUCell", bias, given_state, device)


def test_cell_unbatched():
    cases.check_cell_unbatched("GRUCell")


def test_cell_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="Expected 4, got 6"):
        GRUCell(cases.CELL_D, cases.CELL_H)(torch.randn(cases.CELL_B, 6))
