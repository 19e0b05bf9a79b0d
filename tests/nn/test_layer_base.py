"""lstm_course.nn._layer_base: the machinery that RNN, LSTM and GRU share
(packing, dropout between layers, torch.nn's checks of inputs, states and
constructor arguments)."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_course.nn import GRU, LSTM, RNN

from .recurrent_cases import B, D, H, LENGTHS, T


def test_padded_positions_do_not_change_the_states():
    """With packing, what sits in the padding cannot reach h_n."""
    lstm = LSTM(D, H, bidirectional=True, dtype=torch.float64)
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
    lstm = LSTM(D, H, num_layers=2, dropout=0.5, dtype=torch.float64)
    reference = torch.nn.LSTM(D, H, num_layers=2, dropout=0.5).double()
    reference.load_state_dict(lstm.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64)
    lstm.eval(), reference.eval()
    torch.testing.assert_close(lstm(x)[0], reference(x)[0], rtol=0, atol=1e-10, msg="eval mode should apply no dropout")
    lstm.train()
    assert not torch.allclose(lstm(x)[0], reference(x)[0]), "train mode should drop units between the layers"
    single = LSTM(D, H, num_layers=1, dropout=0.5, dtype=torch.float64).train()
    single.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith("l0")})
    assert torch.equal(single(x)[0], single(x)[0]), "one layer: nothing to drop between layers"


# ------------------------------------------------------------------ bad input
def test_wrong_input_size():
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 4"):
        GRU(D, H)(torch.randn(T, B, 4))


def test_wrong_rank():
    with pytest.raises(ValueError, match="expected input to be 2-D \\(unbatched\\) or 3-D, got 4-D"):
        RNN(D, H)(torch.randn(1, T, B, D))


def test_state_with_wrong_shape():
    with pytest.raises(ValueError, match=r"Expected hx\[0\] of shape \(2, 4, 5\), got \(1, 4, 5\)"):
        LSTM(D, H, num_layers=2)(torch.randn(T, B, D), (torch.zeros(1, B, H), torch.zeros(2, B, H)))


def test_state_on_another_device():
    with pytest.raises(ValueError, match="hx is on meta but the input is on cpu"):
        GRU(D, H)(torch.randn(T, B, D), torch.empty(1, B, H, device="meta"))


def test_input_on_another_device_than_the_parameters():
    with pytest.raises(ValueError, match="input is on meta but the parameters are on cpu"):
        GRU(D, H)(torch.empty(T, B, D, device="meta"))


@pytest.mark.parametrize("kwargs,message", [
    (dict(dropout=1.5), "dropout should be a number in range"),
    (dict(num_layers=0), "num_layers must be a positive integer"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTM(D, H, **kwargs)
