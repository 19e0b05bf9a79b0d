import pytest
import torch

from lstm_course.nn.regularization import VariationalLSTM, WeightDropLSTM, ZoneoutLSTM, dropout_mask

T, B, D, H = 6, 4, 3, 5
F64 = torch.float64


def torch_twin(module):
    """A ``torch.nn.LSTM`` holding the same parameters as ``module``."""
    twin = torch.nn.LSTM(module.input_size, module.hidden_size, bias=module.bias, batch_first=module.batch_first)
    twin = twin.to(module.weight_ih.device, module.weight_ih.dtype)
    with torch.no_grad():
        for name, p in twin.named_parameters():
            p.copy_(getattr(module, name.removesuffix("_l0")))
    return twin


def run_with_grads(module, x, hx):
    """Outputs of ``module`` and the gradients of their sum w.r.t. x, hx and the LSTM weights."""
    out, (h_n, c_n) = module(x, hx)
    loss = out.sum() + 2 * h_n.sum() + 3 * c_n.sum()
    return [out, h_n, c_n, *torch.autograd.grad(loss, [x, *hx, *module.parameters()])]


def assert_same_as_torch(module, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, B, D, generator=g, dtype=F64).to(device).requires_grad_(True)
    hx = tuple(torch.randn(1, B, H, generator=g, dtype=F64).to(device).requires_grad_(True) for _ in range(2))
    got = run_with_grads(module, x, hx)
    expected = run_with_grads(torch_twin(module), x, hx)
    names = ["output", "h_n", "c_n", "d input", "d h0", "d c0", "d weight_ih", "d weight_hh", "d bias_ih", "d bias_hh"]
    assert len(got) == len(expected) == len(names), "the same parameters, in the order of torch.nn.LSTM"
    for name, a, b in zip(names, got, expected):
        err = (a - b).abs().max().item()
        mode = "train" if module.training else "eval"
        assert err < 1e-10, f"{type(module).__name__} ({mode}): {name} differs from torch.nn.LSTM by {err:.1e}"


@pytest.mark.parametrize("make", [
    lambda **f: VariationalLSTM(D, H, dropout_input=0.5, dropout_hidden=0.5, **f),
    lambda **f: WeightDropLSTM(D, H, weight_dropout=0.5, **f),
    lambda **f: ZoneoutLSTM(D, H, zoneout_cell=0.0, zoneout_hidden=0.0, **f),
], ids=["variational", "weight_drop", "zoneout"])
def test_eval_mode_is_the_plain_lstm(make, device):
    torch.manual_seed(0)
    assert_same_as_torch(make(device=device, dtype=F64).eval(), device)


@pytest.mark.parametrize("make", [
    lambda: VariationalLSTM(D, H, dropout_input=0.0, dropout_hidden=0.0, dtype=F64),
    lambda: WeightDropLSTM(D, H, weight_dropout=0.0, dtype=F64),
    lambda: ZoneoutLSTM(D, H, zoneout_cell=0.0, zoneout_hidden=0.0, dtype=F64),
], ids=["variational", "weight_drop", "zoneout"])
def test_rates_zero_in_training_is_the_plain_lstm(make):
    torch.manual_seed(0)
    assert_same_as_torch(make().train(), "cpu")


def test_dropout_mask_values_and_rate():
    g = torch.Generator().manual_seed(0)
    mask = dropout_mask((200, 100), 0.25, torch.empty(0, dtype=F64), g)
    assert set(mask.unique().tolist()) == {0.0, 1 / 0.75}, f"entries should be 0 or 1/(1-p), got {mask.unique()}"
    dropped = (mask == 0).double().mean().item()
    assert abs(dropped - 0.25) < 0.02, f"fraction dropped {dropped:.3f}, expected about 0.25"
    assert torch.equal(dropout_mask((3, 4), 1.0, mask), torch.zeros(3, 4, dtype=F64)), "p = 1 drops everything"


def variational_reference(lstm, x, input_mask, hidden_mask):
    """The variational LSTM written with ``torch.nn.LSTMCell`` and the given masks at every step."""
    cell = torch.nn.LSTMCell(D, H).to(F64)
    with torch.no_grad():
        for name, p in cell.named_parameters():
            p.copy_(getattr(lstm, name))
    h = c = torch.zeros(B, H, dtype=F64)
    hs = []
    for x_t in x:
        h, c = cell(x_t * input_mask, (h * hidden_mask, c))
        hs.append(h)
    return torch.stack(hs)


def test_variational_masks_are_per_sequence_and_used_at_every_step():
    torch.manual_seed(0)
    lstm = VariationalLSTM(D, H, dropout_input=0.4, dropout_hidden=0.4, dtype=F64)
    x = torch.randn(T, B, D, dtype=F64)
    out, _ = lstm(x)
    assert lstm.input_mask.shape == (B, D) and lstm.hidden_mask.shape == (B, H), "one mask row per sequence"
    torch.testing.assert_close(out, variational_reference(lstm, x, lstm.input_mask, lstm.hidden_mask), rtol=0, atol=1e-12,
                               msg="the output should be that of the LSTM with these masks applied at every step")
    assert lstm.hidden_mask.unique(dim=0).shape[0] > 1, "the sequences of a batch should get different masks"
    first = lstm.hidden_mask
    lstm(x)
    assert not torch.equal(first, lstm.hidden_mask), "every forward pass should draw new masks"
    lstm.eval()
    lstm(x)
    assert lstm.input_mask is None and lstm.hidden_mask is None, "no masks in eval mode"


def test_variational_input_mask_is_constant_over_time():
    """Observable without reading the masks: with W_hh = 0, a closed forget gate and the
    same input at every step, h_t is the same at every step exactly when the input mask is."""
    lstm = VariationalLSTM(D, H, dropout_input=0.5, dropout_hidden=0.0, dtype=F64)
    with torch.no_grad():
        lstm.weight_hh.zero_()
        lstm.bias_ih.zero_()
        lstm.bias_hh.zero_()
        lstm.bias_hh[H:2 * H] = -100  # forget gate sigmoid(-100) ~ 4e-44: c_t = i_t g_t
    x = torch.randn(1, B, D, dtype=F64).expand(T, B, D)  # one vector per sequence, repeated over time
    torch.manual_seed(3)
    out, _ = lstm(x)
    torch.testing.assert_close(out, out[:1].expand_as(out), rtol=0, atol=1e-15,
                               msg="h_t changed over time although input and mask should be constant")
    assert (lstm.input_mask == 0).any() and (lstm.input_mask != 0).any(), \
        "this seed should drop some inputs and keep others, or the test proves nothing"


def test_variational_same_sequence_gets_different_masks():
    lstm = VariationalLSTM(D, H, dropout_input=0.5, dropout_hidden=0.5, dtype=F64)
    x = torch.randn(T, 1, D, dtype=F64).expand(T, 8, D)  # eight copies of one sequence
    torch.manual_seed(1)
    out, _ = lstm(x)
    assert out[-1].unique(dim=0).shape[0] > 1, "copies of one sequence should be perturbed differently"


def test_weight_drop_drops_whole_weights_for_the_whole_pass():
    torch.manual_seed(0)
    lstm = WeightDropLSTM(D, H, weight_dropout=0.5, dtype=F64)
    before = lstm.weight_hh.detach().clone()
    x = torch.randn(T, B, D, dtype=F64)
    out, _ = lstm(x)
    mask = lstm.weight_hh_mask
    assert mask.shape == (4 * H, H), f"one mask entry per weight, got shape {tuple(mask.shape)}"
    assert set(mask.unique().tolist()) == {0.0, 2.0}, f"mask entries should be 0 or 1/(1-p) = 2, got {mask.unique()}"
    twin = torch_twin(lstm)
    with torch.no_grad():
        twin.weight_hh_l0.mul_(mask)
    torch.testing.assert_close(out, twin(x)[0], rtol=0, atol=1e-12,
                               msg="the output should be that of torch.nn.LSTM with W_hh * mask at every step")
    assert torch.equal(lstm.weight_hh, before), "the parameter itself must not be modified"
    out.sum().backward()
    assert torch.all(lstm.weight_hh.grad[mask == 0] == 0), "dropped weights should receive no gradient"
    assert torch.all(lstm.weight_hh.grad[mask != 0] != 0), "kept weights should receive gradient"


@pytest.mark.parametrize("make", [
    lambda: VariationalLSTM(D, H, dropout_input=0.3, dropout_hidden=0.3, dtype=F64),
    lambda: WeightDropLSTM(D, H, weight_dropout=0.3, dtype=F64),
    lambda: ZoneoutLSTM(D, H, zoneout_cell=0.3, zoneout_hidden=0.3, dtype=F64),
], ids=["variational", "weight_drop", "zoneout"])
def test_seeded_generator_is_reproducible(make):
    torch.manual_seed(0)
    lstm = make()
    x = torch.randn(T, B, D, dtype=F64)
    first = lstm(x, generator=torch.Generator().manual_seed(7))[0]
    again = lstm(x, generator=torch.Generator().manual_seed(7))[0]
    other = lstm(x, generator=torch.Generator().manual_seed(8))[0]
    assert torch.equal(first, again), "the same seed should give the same output"
    assert not torch.equal(first, other), "another seed should give another output"


@pytest.mark.parametrize("training", [True, False])
def test_zoneout_rate_one_keeps_the_initial_state(training, device):
    torch.manual_seed(0)
    lstm = ZoneoutLSTM(D, H, zoneout_cell=1.0, zoneout_hidden=1.0, device=device, dtype=F64).train(training)
    h0, c0 = torch.randn(1, B, H, dtype=F64, device=device), torch.randn(1, B, H, dtype=F64, device=device)
    out, (h_n, c_n) = lstm(torch.randn(T, B, D, dtype=F64, device=device), (h0, c0))
    assert torch.equal(out, h0.expand(T, B, H)), "with zoneout 1 every h_t should be h_0"
    assert torch.equal(h_n, h0) and torch.equal(c_n, c0), "with zoneout 1 the final state should be the initial one"


def candidate_step(lstm, x_t, h, c):
    """The plain LSTM step (h~_t, c~_t) from (h, c), by torch.nn.LSTMCell."""
    cell = torch.nn.LSTMCell(D, H).to(F64)
    with torch.no_grad():
        for name, p in cell.named_parameters():
            p.copy_(getattr(lstm, name))
    return cell(x_t, (h, c))


def test_zoneout_eval_uses_the_expectation():
    torch.manual_seed(0)
    p_c, p_h = 0.3, 0.6
    lstm = ZoneoutLSTM(D, H, zoneout_cell=p_c, zoneout_hidden=p_h, dtype=F64).eval()
    x = torch.randn(T, B, D, dtype=F64)
    h, c = torch.randn(B, H, dtype=F64), torch.randn(B, H, dtype=F64)
    out, (h_n, c_n) = lstm(x, (h[None], c[None]))
    for t in range(T):
        h_new, c_new = candidate_step(lstm, x[t], h, c)
        h, c = p_h * h + (1 - p_h) * h_new, p_c * c + (1 - p_c) * c_new
        torch.testing.assert_close(out[t], h, rtol=0, atol=1e-12, msg=f"step {t}: h_t = p h_(t-1) + (1-p) h~_t")
    torch.testing.assert_close(c_n[0], c, rtol=0, atol=1e-12, msg="c_T = p c_(T-1) + (1-p) c~_T")


def test_zoneout_training_keeps_or_updates_each_unit():
    """In training each unit of h_1 is either h_0 or the candidate h~_1 (same for c), and both happen."""
    torch.manual_seed(0)
    lstm = ZoneoutLSTM(D, H, zoneout_cell=0.5, zoneout_hidden=0.5, dtype=F64)
    x = torch.randn(1, B, D, dtype=F64)
    h0, c0 = torch.randn(B, H, dtype=F64), torch.randn(B, H, dtype=F64)
    _, (h_n, c_n) = lstm(x, (h0[None], c0[None]))
    h_new, c_new = candidate_step(lstm, x[0], h0, c0)
    for name, got, old, new in (("h", h_n[0], h0, h_new), ("c", c_n[0], c0, c_new)):
        kept, updated = got == old, (got - new).abs() < 1e-12
        assert torch.all(kept | updated), f"every unit of {name}_1 should be {name}_0 or the candidate"
        assert kept.any() and updated.any(), f"with rate 0.5 some units of {name} should be kept and some updated"


def test_zoneout_hidden_candidate_reads_the_candidate_cell():
    """Krueger et al.: h~_t = o_t * tanh(c~_t), even when c_t itself is zoned out."""
    torch.manual_seed(0)
    lstm = ZoneoutLSTM(D, H, zoneout_cell=1.0, zoneout_hidden=0.0, dtype=F64)
    x = torch.randn(1, B, D, dtype=F64)
    h0, c0 = torch.randn(B, H, dtype=F64), torch.randn(B, H, dtype=F64)
    _, (h_n, c_n) = lstm(x, (h0[None], c0[None]))
    h_new, _ = candidate_step(lstm, x[0], h0, c0)
    assert torch.equal(c_n[0], c0), "zoneout_cell = 1 keeps c"
    torch.testing.assert_close(h_n[0], h_new, rtol=0, atol=1e-12, msg="h_1 should be o_1 * tanh(c~_1)")


@pytest.mark.parametrize("make, name", [
    (lambda: VariationalLSTM(D, H, dropout_input=1.5), "dropout_input"),
    (lambda: VariationalLSTM(D, H, dropout_hidden=-0.1), "dropout_hidden"),
    (lambda: WeightDropLSTM(D, H, weight_dropout=2), "weight_dropout"),
    (lambda: ZoneoutLSTM(D, H, zoneout_cell=True), "zoneout_cell"),
    (lambda: ZoneoutLSTM(D, H, zoneout_hidden="0.1"), "zoneout_hidden"),
])
def test_rates_must_be_probabilities(make, name):
    with pytest.raises(ValueError, match=rf"{name} must be a number in \[0, 1\], got"):
        make()
