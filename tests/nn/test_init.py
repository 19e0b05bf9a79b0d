"""Orthogonal recurrent weights and the forget-gate bias (lstm_course.nn.init)."""

import pytest
import torch

from lstm_course.nn import GRU, LSTM, RNN, LayerNormLSTM, PeepholeLSTM, VariationalLSTM
from lstm_course.nn.init import forget_gate_bias_, orthogonal_recurrent_, recurrent_weights

D, H = 3, 5


def blocks(layer, name):
    weight = getattr(layer, name).detach().double()
    return weight.split(layer.hidden_size, dim=0)


LAYERS = {
    "torch RNN": lambda: torch.nn.RNN(D, H),
    "torch GRU, 2 layers": lambda: torch.nn.GRU(D, H, num_layers=2),
    "torch LSTM, bidirectional": lambda: torch.nn.LSTM(D, H, bidirectional=True),
    "course RNN": lambda: RNN(D, H),
    "course GRU": lambda: GRU(D, H),
    "course LSTM, 2 layers, bidirectional": lambda: LSTM(D, H, num_layers=2, bidirectional=True),
    "PeepholeLSTM": lambda: PeepholeLSTM(D, H),
    "VariationalLSTM": lambda: VariationalLSTM(D, H),
}


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_every_gate_block_is_orthogonal(make, gain):
    """eq-train-orthogonal: W^T W = W W^T = gain^2 I for every (H, H) block of every W_hh."""
    torch.manual_seed(0)
    layer = orthogonal_recurrent_(make(), gain=gain)
    names = list(recurrent_weights(layer))
    assert names, "the layer should have recurrent weights"
    for name in names:
        for k, block in enumerate(blocks(layer, name)):
            eye = torch.eye(H, dtype=torch.float64)
            torch.testing.assert_close(block.T @ block, gain**2 * eye, rtol=0, atol=1e-5, msg=f"{name} block {k}")
            torch.testing.assert_close(block @ block.T, gain**2 * eye, rtol=0, atol=1e-5, msg=f"{name} block {k}")


def test_blocks_differ_and_other_parameters_are_untouched():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(D, H)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    orthogonal_recurrent_(lstm)
    for name, p in lstm.named_parameters():
        if name != "weight_hh_l0":
            assert torch.equal(p, before[name]), f"{name} should not change"
    i, f, g, o = blocks(lstm, "weight_hh_l0")
    assert not torch.allclose(i, f), "each gate block should get a matrix of its own"


def test_projection_blocks_have_orthonormal_columns():
    torch.manual_seed(0)
    lstm = orthogonal_recurrent_(torch.nn.LSTM(D, 6, proj_size=2))
    for block in blocks(lstm, "weight_hh_l0"):  # (H, P) = (6, 2)
        torch.testing.assert_close(block.T @ block, torch.eye(2, dtype=torch.float64), rtol=0, atol=1e-6)


def test_generator_makes_it_reproducible():
    a = orthogonal_recurrent_(torch.nn.GRU(D, H), generator=torch.Generator().manual_seed(3))
    b = orthogonal_recurrent_(torch.nn.GRU(D, H), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.weight_hh_l0, b.weight_hh_l0)


def test_orthogonal_matrices_are_not_biased_towards_the_identity():
    """The sign correction of the QR decomposition: without it the diagonal of Q is mostly positive."""
    generator = torch.Generator().manual_seed(0)
    diagonals = torch.stack([torch.diagonal(orthogonal_recurrent_(torch.nn.RNN(1, 4), generator=generator)
                                            .weight_hh_l0.detach()) for _ in range(400)])
    share_positive = (diagonals > 0).double().mean().item()
    assert 0.4 < share_positive < 0.6, f"about half of the diagonal entries should be positive, got {share_positive:.2f}"


@pytest.mark.parametrize("value", [1.0, 3.0, -2.0])
def test_forget_gate_bias_sum_is_exact(value):
    """eq-train-half-life: the forget gate sees b_if + b_hf = value in every layer and direction."""
    torch.manual_seed(0)
    for lstm in (torch.nn.LSTM(D, H, num_layers=2, bidirectional=True), LSTM(D, H, num_layers=2),
                 PeepholeLSTM(D, H)):
        before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
        forget_gate_bias_(lstm, value)
        for name, p in lstm.named_parameters():
            if not name.startswith("bias_ih"):
                if not name.startswith("bias_hh"):
                    assert torch.equal(p, before[name]), f"{name} should not change"
                continue
            b_hh = getattr(lstm, name.replace("bias_ih", "bias_hh"))
            total = (p + b_hh).detach()
            torch.testing.assert_close(total[H:2 * H], torch.full((H,), value), rtol=0, atol=0)
            for block in (slice(0, H), slice(2 * H, 4 * H)):
                assert torch.equal(p[block], before[name][block]), "blocks i, g, o of bias_ih should not change"


def test_forget_gate_bias_moves_the_gate():
    torch.manual_seed(0)
    lstm = forget_gate_bias_(torch.nn.LSTM(D, H), 3.0)
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
        gates = lstm.bias_ih_l0 + lstm.bias_hh_l0  # pre-activations for x = 0, h = 0
    forget = torch.sigmoid(gates[H:2 * H])
    torch.testing.assert_close(forget, torch.full((H,), torch.sigmoid(torch.tensor(3.0)).item()))


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="needs an LSTM"):
        forget_gate_bias_(torch.nn.GRU(D, H))
    with pytest.raises(ValueError, match="bias=True"):
        forget_gate_bias_(torch.nn.LSTM(D, H, bias=False))
    with pytest.raises(ValueError, match="no parameter named weight_hh"):
        orthogonal_recurrent_(torch.nn.Linear(D, H))
    with pytest.raises(ValueError, match="gain must be > 0"):
        orthogonal_recurrent_(torch.nn.RNN(D, H), gain=0.0)
    with pytest.raises(ValueError, match="bias_ih"):
        forget_gate_bias_(LayerNormLSTM(D, H))
