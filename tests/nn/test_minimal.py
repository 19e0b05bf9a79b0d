import pytest
import torch

from lstm_course.nn import minimal
from lstm_course.nn.minimal import (
    MinGRU,
    MinLSTM,
    linear_scan_chunked,
    linear_scan_log,
    linear_scan_sequential,
)

F64 = torch.float64
MODELS = [MinGRU, MinLSTM]


@pytest.fixture(params=MODELS, ids=lambda cls: cls.__name__)
def cls(request):
    return request.param


def rel_error(got, expected):
    return ((got - expected).abs().max() / expected.abs().max()).item()


def by_hand(model, x, h):
    """The paper's equations with plain division, step by step; x (T, B, D), h (B, H)."""
    hs = []
    for x_t in x:
        if isinstance(model, MinGRU):
            z = torch.sigmoid(model.linear_z(x_t))
            h = (1 - z) * h + z * model.linear_h(x_t)
        else:
            f, i = torch.sigmoid(model.linear_f(x_t)), torch.sigmoid(model.linear_i(x_t))
            h = f / (f + i) * h + i / (f + i) * model.linear_h(x_t)
        hs.append(h)
    return torch.stack(hs)


@pytest.mark.parametrize("mode", ["sequential", "parallel"])
def test_model_equals_the_paper_equations(cls, mode, device):
    torch.manual_seed(0)
    model = cls(3, 4, device=device, dtype=F64)
    x = torch.randn(9, 2, 3, dtype=F64, device=device)
    h0 = torch.randn(1, 2, 4, dtype=F64, device=device)
    out, h_n = model(x, h0, mode=mode)
    expected = by_hand(model, x, h0[0])
    assert out.shape == (9, 2, 4) and h_n.shape == (1, 2, 4), f"got {tuple(out.shape)} and {tuple(h_n.shape)}"
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12, msg=f"{cls.__name__} ({mode}) differs from its equations")
    torch.testing.assert_close(h_n[0], out[-1], rtol=0, atol=0, msg="h_n should be the last output")


def test_parallel_equals_sequential_float32_long(cls, device):
    torch.manual_seed(0)
    model = cls(4, 8, device=device)
    x = torch.randn(4096, 2, 4, device=device)
    with torch.no_grad():
        seq, _ = model(x, mode="sequential")
        par, _ = model(x, mode="parallel")
    err = rel_error(par, seq)
    assert err < 1e-4, f"float32, T=4096: parallel vs sequential relative error {err:.1e}, expected < 1e-4"


def test_parallel_equals_sequential_float64(cls, device):
    torch.manual_seed(0)
    model = cls(4, 8, device=device, dtype=F64)
    x = torch.randn(512, 3, 4, dtype=F64, device=device)
    h0 = torch.randn(1, 3, 8, dtype=F64, device=device)
    err = rel_error(model(x, h0, mode="parallel")[0], model(x, h0, mode="sequential")[0])
    assert err < 1e-10, f"float64, T=512: parallel vs sequential relative error {err:.1e}, expected < 1e-10"


def test_gradients_agree_between_modes(cls, device):
    torch.manual_seed(0)
    model = cls(3, 4, device=device, dtype=F64)
    x = torch.randn(70, 2, 3, dtype=F64, device=device, requires_grad=True)  # more than one chunk
    h0 = torch.randn(1, 2, 4, dtype=F64, device=device, requires_grad=True)
    weights = torch.randn(70, 2, 4, dtype=F64, device=device)
    grads = {}
    for mode in ("sequential", "parallel"):
        out, h_n = model(x, h0, mode=mode)
        loss = (out * weights).sum() + h_n.sum()
        grads[mode] = torch.autograd.grad(loss, [x, h0, *model.parameters()])
    names = ["input", "h0"] + [name for name, _ in model.named_parameters()]
    for name, g_seq, g_par in zip(names, grads["sequential"], grads["parallel"]):
        assert torch.isfinite(g_par).all(), f"gradient of {name} is not finite in parallel mode"
        err = rel_error(g_par, g_seq)
        assert err < 1e-10, f"gradient of {name}: parallel vs sequential relative error {err:.1e}"


def test_default_h0_is_zeros(cls):
    torch.manual_seed(0)
    model = cls(3, 4)
    x = torch.randn(5, 2, 3)
    for mode in ("sequential", "parallel"):
        out, _ = model(x, mode=mode)
        torch.testing.assert_close(out, model(x, torch.zeros(1, 2, 4), mode=mode)[0], rtol=0, atol=0,
                                   msg=f"h0=None should mean zeros ({mode})")
        assert not torch.allclose(out, model(x, torch.ones(1, 2, 4), mode=mode)[0]), "a given h0 should change the output"


def test_batch_first(cls):
    torch.manual_seed(0)
    model = cls(3, 4)
    x = torch.randn(6, 2, 3)
    out, h_n = model(x)
    model.batch_first = True
    out_bf, h_bf = model(x.transpose(0, 1), mode="parallel")
    torch.testing.assert_close(out_bf, out.transpose(0, 1), msg="batch_first output should be (B, T, H)")
    torch.testing.assert_close(h_bf, h_n, msg="h_n stays (1, B, H) with batch_first")


def test_unknown_mode(cls):
    with pytest.raises(ValueError, match=r"mode must be one of \('auto', 'parallel', 'sequential'\), got 'log'"):
        cls(3, 4)(torch.randn(5, 2, 3), mode="log")


def test_input_and_state_checks(cls):
    model = cls(3, 4)
    with pytest.raises(ValueError, match="input_size=3, got 5"):
        model(torch.randn(5, 2, 5))
    with pytest.raises(ValueError, match=r"h0 of shape \(1, 2, 4\), got \(2, 4\)"):
        model(torch.randn(5, 2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="h0 is on meta but the input is on cpu"):
        model(torch.randn(5, 2, 3), torch.zeros(1, 2, 4, device="meta"))


def test_auto_mode_choice(cls, device, monkeypatch):
    """Sequential on the CPU, the chunked scan on an accelerator (measurements in the module docstring)."""
    expected = "sequential" if device == "cpu" else "parallel"
    unexpected = {"sequential": "linear_scan_chunked", "parallel": "linear_scan_sequential"}[expected]

    def fail(*args, **kwargs):
        raise AssertionError(f"mode='auto' on {device} should run {expected}, not {unexpected}")

    monkeypatch.setattr(minimal, unexpected, fail)
    cls(3, 4, device=device)(torch.randn(5, 2, 3, device=device))


def test_saturated_gates_stay_finite(cls, device):
    """Gates pushed to 0 and to 1 (a_t = 0 in float32, and a_t = 1) in the parallel mode."""
    torch.manual_seed(0)
    model = cls(3, 4, device=device)
    with torch.no_grad():
        for name, layer in model.named_children():
            if name != "linear_h":
                layer.bias.copy_(torch.tensor([200.0, -200.0, 30.0, -30.0]))
    x = torch.randn(300, 2, 3, device=device, requires_grad=True)
    out, _ = model(x, mode="parallel")
    out.sum().backward()
    assert torch.isfinite(out).all(), "parallel output is not finite with saturated gates"
    assert torch.isfinite(x.grad).all(), "gradient is not finite with saturated gates"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters()), "parameter gradient is not finite"
    torch.testing.assert_close(out, model(x, mode="sequential")[0], msg="saturated gates: parallel vs sequential")


# ------------------------------------------------------------------ the scans themselves

def scan_inputs(T, dtype=F64, positive=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.sigmoid(2 * torch.randn(T, 3, 5, generator=g, dtype=dtype) + 1)
    b = torch.randn(T, 3, 5, generator=g, dtype=dtype)
    h0 = torch.randn(3, 5, generator=g, dtype=dtype)
    if positive:
        b, h0 = b.abs() + 0.1, h0.abs() + 0.1
    return a, b, h0


@pytest.mark.parametrize("T", [1, 2, 7, 64, 100, 1000])
@pytest.mark.parametrize("chunk", [2, 3, 64])
def test_chunked_scan_equals_the_loop(T, chunk):
    a, b, h0 = scan_inputs(T)
    err = rel_error(linear_scan_chunked(a, b, h0, chunk=chunk), linear_scan_sequential(a, b, h0))
    assert err < 1e-13, f"T={T}, chunk={chunk}: relative error {err:.1e}"


def test_log_scan_equals_the_loop_in_float64():
    a, b, h0 = scan_inputs(500, positive=True)
    expected = linear_scan_sequential(a, b, h0)
    for given in (h0, None):
        got = linear_scan_log(a, b, given)
        err = rel_error(got, linear_scan_sequential(a, b, given))
        assert err < 1e-10, f"log-space scan (h0 {'given' if given is not None else 'None'}): relative error {err:.1e}"
    assert rel_error(linear_scan_chunked(a, b, h0), expected) < 1e-12, "chunked scan on the same positive inputs"


def test_log_scan_needs_positive_values():
    a, b, h0 = scan_inputs(5)
    with pytest.raises(ValueError, match="every entry of b must be > 0"):
        linear_scan_log(a, b, None)


def test_chunked_scan_gradcheck():
    a, b, h0 = (t.requires_grad_(True) for t in scan_inputs(11))
    assert torch.autograd.gradcheck(lambda a, b, h0: linear_scan_chunked(a, b, h0, chunk=3), (a, b, h0)), \
        "the chunked scan's backward (a reversed scan) disagrees with finite differences"


@pytest.mark.parametrize("a_value", [0.0, 1e-30, 1e-3, 1 - 1e-7, 1.0])
def test_chunked_scan_extreme_a(a_value, device):
    g = torch.Generator().manual_seed(0)
    b = torch.randn(1000, 2, 3, generator=g).to(device)
    a = torch.full_like(b, a_value)
    h0 = torch.randn(2, 3, generator=g).to(device)
    got = linear_scan_chunked(a, b, h0)
    assert torch.isfinite(got).all(), f"a = {a_value}: the chunked scan produced NaN or inf"
    expected = linear_scan_sequential(a.double(), b.double(), h0.double())
    err = rel_error(got.double(), expected)
    assert err < 1e-4, f"a = {a_value}: relative error {err:.1e} against a float64 loop"


def test_scan_argument_checks():
    a, b, h0 = scan_inputs(4)
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        linear_scan_chunked(a, b[:3])
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 5\)"):
        linear_scan_sequential(a, b, h0[0])
    with pytest.raises(ValueError, match="chunk must be an integer >= 2, got 1"):
        linear_scan_chunked(a, b, h0, chunk=1)
