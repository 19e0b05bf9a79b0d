"""The interface every LSTM variant shares through ``_lstm_base.LSTMBase``."""

import math

import pytest
import torch

from lstm_course.nn.layernorm_lstm import LayerNormLSTM
from lstm_course.nn.regularization import VariationalLSTM, WeightDropLSTM, ZoneoutLSTM
from lstm_course.nn.variants import CoupledLSTM, PeepholeLSTM

CLASSES = [PeepholeLSTM, CoupledLSTM, LayerNormLSTM, VariationalLSTM, WeightDropLSTM, ZoneoutLSTM]
T, B, D, H = 4, 3, 2, 5


@pytest.fixture(params=CLASSES, ids=lambda cls: cls.__name__)
def cls(request):
    return request.param


def test_shapes_and_batch_first(cls, device):
    torch.manual_seed(0)
    lstm = cls(D, H, device=device).eval()
    x = torch.randn(T, B, D, device=device)
    out, (h_n, c_n) = lstm(x)
    assert out.shape == (T, B, H) and h_n.shape == (1, B, H) and c_n.shape == (1, B, H), \
        f"expected (T, B, H), (1, B, H), (1, B, H), got {tuple(out.shape)}, {tuple(h_n.shape)}, {tuple(c_n.shape)}"
    assert out.device == x.device
    torch.testing.assert_close(out[-1], h_n[0], msg="h_n should be the last output")
    lstm.batch_first = True
    out_bf, (h_bf, c_bf) = lstm(x.transpose(0, 1))
    torch.testing.assert_close(out_bf, out.transpose(0, 1), msg="batch_first output should be (B, T, H)")
    torch.testing.assert_close((h_bf, c_bf), (h_n, c_n), msg="the final states do not depend on batch_first")


def test_zero_state_is_the_default(cls, device):
    torch.manual_seed(0)
    lstm = cls(D, H, device=device).eval()
    x = torch.randn(T, B, D, device=device)
    zeros = torch.zeros(1, B, H, device=device)
    torch.testing.assert_close(lstm(x)[0], lstm(x, (zeros, zeros))[0], rtol=0, atol=0, msg="hx=None should mean zeros")
    assert not torch.allclose(lstm(x)[0], lstm(x, (zeros + 1, zeros))[0]), "a given h_0 should change the output"


def test_parameters_follow_the_dtype_and_init(cls):
    lstm = cls(D, H, dtype=torch.float64)
    bound = 1 / math.sqrt(H)
    for name, p in lstm.named_parameters():
        assert p.dtype == torch.float64, f"{name} has dtype {p.dtype}"
        if name.startswith("ln_"):
            continue  # layer-norm gains and shifts start at 1 and 0 (tested with the module)
        assert p.abs().max() <= bound, f"{name} should be drawn from U(-1/sqrt(H), 1/sqrt(H))"
        assert p.std() > bound / 4, f"{name} looks constant; expected U(-1/sqrt(H), 1/sqrt(H))"
    rows = 3 * H if cls is CoupledLSTM else 4 * H
    assert lstm.weight_ih.shape == (rows, D) and lstm.weight_hh.shape == (rows, H), "torch.nn.LSTM layout"


def test_wrong_input_size(cls):
    with pytest.raises(ValueError, match=rf"input_size={D}, got 7"):
        cls(D, H)(torch.randn(T, B, 7))


def test_input_must_be_3d(cls):
    with pytest.raises(ValueError, match=r"3-D input \(T, B, D\), got shape \(4, 2\)"):
        cls(D, H)(torch.randn(T, D))


def test_wrong_state_shape(cls):
    with pytest.raises(ValueError, match=rf"hx\[1\] of shape \(1, {B}, {H}\), got \({B}, {H}\)"):
        cls(D, H)(torch.randn(T, B, D), (torch.zeros(1, B, H), torch.zeros(B, H)))


def test_state_must_be_a_pair(cls):
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\), got Tensor"):
        cls(D, H)(torch.randn(T, B, D), torch.zeros(1, B, H))


def test_state_on_another_device(cls):
    with pytest.raises(ValueError, match=r"hx\[0\] is on meta but the input is on cpu"):
        cls(D, H)(torch.randn(T, B, D), (torch.zeros(1, B, H, device="meta"), torch.zeros(1, B, H)))


def test_input_dtype_must_match_the_parameters(cls):
    with pytest.raises(TypeError, match=r"input has dtype torch.float64 but the parameters have torch.float32"):
        cls(D, H)(torch.randn(T, B, D, dtype=torch.float64))


def test_sizes_must_be_positive_integers(cls):
    with pytest.raises(ValueError, match=r"hidden_size must be a positive integer, got 0"):
        cls(D, 0)


def test_input_must_be_a_nonempty_tensor(cls):
    with pytest.raises(ValueError, match=r"at least one time step and one sequence, got shape \(0, 3, 2\)"):
        cls(D, H)(torch.randn(0, B, D))
    with pytest.raises(TypeError, match="input must be a Tensor, got list"):
        cls(D, H)([[0.0] * D])
