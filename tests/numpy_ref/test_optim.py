"""Tests of lstm_course.numpy_ref.optim against torch.optim and clip_grad_norm_."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.numpy_ref.optim import SGD, Adam, clip_grad_norm

TOL = 1e-12
STEPS = 5
SHAPES = {"w_ih": (4, 3), "w_hh": (4, 4), "b": (4,)}


def _random_arrays(rng: np.random.Generator, scale: float = 1.0) -> dict:
    return {name: scale * rng.normal(size=shape) for name, shape in SHAPES.items()}


def _assert_close(ours, theirs, what: str) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL, err_msg=f"{what}: expected agreement with torch to {TOL}")


def _run_both(ours_cls, torch_cls, hyper: dict, grads_per_step: list) -> None:
    """Apply the same gradients with our optimiser and torch's, and compare after every step."""
    params = _random_arrays(np.random.default_rng(0))
    tensors = {name: torch.tensor(p, requires_grad=True) for name, p in params.items()}
    ours = ours_cls(params, **hyper)
    theirs = torch_cls(list(tensors.values()), **hyper)
    for step, grads in enumerate(grads_per_step, start=1):
        for name, t in tensors.items():
            t.grad = None if grads[name] is None else torch.tensor(grads[name])
        ours.step(grads)
        theirs.step()
        for name, t in tensors.items():
            _assert_close(params[name], t.detach().numpy(), f"{name} after step {step} with {hyper}")


def _gradient_sequence(seed: int, skip: tuple = ()) -> list:
    """STEPS dicts of random gradients; ``(step, name)`` pairs in ``skip`` get None."""
    rng = np.random.default_rng(seed)
    sequence = [_random_arrays(rng) for _ in range(STEPS)]
    for step, name in skip:
        sequence[step][name] = None
    return sequence


# --- clip_grad_norm ---------------------------------------------------------


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
def test_clip_grad_norm_matches_torch(max_norm):
    grads = _random_arrays(np.random.default_rng(1))
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g)
    norm = clip_grad_norm(grads, max_norm)
    norm_t = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    _assert_close(norm, norm_t.item(), "returned norm")
    for (name, g), t in zip(grads.items(), tensors):
        _assert_close(g, t.grad.numpy(), f"clipped {name}")


def test_clip_grad_norm_at_exactly_max_norm_scales_like_torch():
    # torch multiplies by max_norm / (norm + eps) whenever that is below 1,
    # so a norm equal to max_norm is still scaled, by 5 / (5 + 1e-6).
    grads = {"w": np.array([3.0, 4.0])}
    tensor = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    tensor.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    clip_grad_norm(grads, 5.0)
    torch.nn.utils.clip_grad_norm_([tensor], 5.0)
    assert grads["w"][0] < 3.0, f"expected w scaled by 5 / (5 + 1e-6), got {grads['w']}"
    _assert_close(grads["w"], tensor.grad.numpy(), "w clipped at exactly max_norm")


def test_clip_grad_norm_bounds_the_norm_and_keeps_the_direction():
    grads = _random_arrays(np.random.default_rng(2), scale=10.0)
    before = {name: g.copy() for name, g in grads.items()}
    norm = clip_grad_norm(grads, 1.0)
    after = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    assert norm > 1.0, f"expected the test gradients to exceed max_norm, got norm {norm}"
    assert after <= 1.0, f"expected a global norm <= 1.0 after clipping, got {after}"
    assert after > 1.0 - 1e-5, f"expected the norm clipped to about 1.0, got {after}"
    for name, g in grads.items():
        np.testing.assert_allclose(g, before[name] / norm, rtol=1e-5, err_msg=f"expected {name} scaled by 1/norm")


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = _random_arrays(np.random.default_rng(3))
    before = {name: g.copy() for name, g in grads.items()}
    norm = clip_grad_norm(grads, 100.0)
    assert norm < 100.0, f"expected the test gradients below max_norm, got norm {norm}"
    for name, g in grads.items():
        np.testing.assert_array_equal(g, before[name], err_msg=f"expected {name} unchanged below max_norm")


def test_clip_grad_norm_skips_none():
    grads = {"w": np.array([3.0, 4.0]), "frozen": None}
    norm = clip_grad_norm(grads, 1.0)
    assert norm == 5.0, f"expected the norm of [3, 4] alone, 5.0, got {norm}"
    np.testing.assert_allclose(grads["w"], [0.6, 0.8], rtol=1e-6, err_msg="expected w scaled to unit norm")
    assert grads["frozen"] is None, "expected the None entry left as None"


def test_clip_grad_norm_rejects_bad_input():
    with pytest.raises(ValueError, match="max_norm must be > 0, got 0"):
        clip_grad_norm({"w": np.ones(2)}, 0)
    with pytest.raises(ValueError, match="max_norm must be > 0, got -1"):
        clip_grad_norm({"w": np.ones(2)}, -1.0)
    with pytest.raises(ValueError, match=r"grads\['bad'\] has norm nan"):
        clip_grad_norm({"ok": np.ones(2), "bad": np.array([1.0, np.nan])}, 1.0)
    with pytest.raises(ValueError, match=r"grads\['bad'\] has norm inf"):
        clip_grad_norm({"ok": np.ones(2), "bad": np.array([np.inf, 1.0])}, 1.0)
    with pytest.raises(TypeError, match=r"grads\['w'\] must be a floating NumPy array"):
        clip_grad_norm({"w": [1.0, 2.0]}, 1.0)


# --- SGD and Adam against torch.optim ---------------------------------------


@pytest.mark.parametrize(
    "hyper",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True},
    ],
)
def test_sgd_matches_torch(hyper):
    _run_both(SGD, torch.optim.SGD, hyper, _gradient_sequence(seed=4))


@pytest.mark.parametrize(
    "hyper",
    [
        {"lr": 1e-3},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6, "weight_decay": 0.1},
    ],
)
def test_adam_matches_torch(hyper):
    _run_both(Adam, torch.optim.Adam, hyper, _gradient_sequence(seed=5))


@pytest.mark.parametrize(
    ("cls", "torch_cls", "hyper"),
    [(SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}), (Adam, torch.optim.Adam, {"lr": 0.1})],
)
def test_none_gradient_skips_the_parameter_like_torch(cls, torch_cls, hyper):
    # w_hh misses steps 0 and 2: its momentum buffer / step count must start late and pause.
    _run_both(cls, torch_cls, hyper, _gradient_sequence(seed=6, skip=((0, "w_hh"), (2, "w_hh"))))


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_step_updates_the_given_arrays_in_place(cls):
    params = _random_arrays(np.random.default_rng(7))
    originals = {name: p for name, p in params.items()}
    before = {name: p.copy() for name, p in params.items()}
    cls(params, lr=0.1).step(_random_arrays(np.random.default_rng(8)))
    for name, p in originals.items():
        assert params[name] is p, f"expected params[{name!r}] to stay the same array object"
        assert not np.array_equal(p, before[name]), f"expected params[{name!r}] to change in place"


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_step_rejects_mismatched_grads_without_updating(cls):
    params = _random_arrays(np.random.default_rng(9))
    before = {name: p.copy() for name, p in params.items()}
    optimizer = cls(params, lr=0.1)
    grads = _random_arrays(np.random.default_rng(10))
    missing = {name: g for name, g in grads.items() if name != "b"}
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \[\]"):
        optimizer.step(missing)
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['extra'\]"):
        optimizer.step({**grads, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"grads\['w_hh'\] must have shape \(4, 4\), got \(4, 3\)"):
        optimizer.step({**grads, "w_hh": np.zeros((4, 3))})
    for name, p in params.items():
        np.testing.assert_array_equal(p, before[name], err_msg=f"expected {name} untouched after a rejected step")


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"lr": 0.0}, "lr must be > 0, got 0"),
        (SGD, {"lr": float("nan")}, "lr must be > 0, got nan"),
        (SGD, {"lr": 0.1, "momentum": -0.5}, "momentum must be >= 0, got -0.5"),
        (SGD, {"lr": 0.1, "weight_decay": -1.0}, "weight_decay must be >= 0, got -1"),
        (SGD, {"lr": 0.1, "nesterov": True}, "nesterov=True needs momentum > 0"),
        (Adam, {"lr": -1e-3}, "lr must be > 0, got -0.001"),
        (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\] must lie in \[0, 1\), got 1"),
        (Adam, {"betas": (0.9, -0.1)}, r"betas\[1\] must lie in \[0, 1\), got -0.1"),
        (Adam, {"betas": (0.9,)}, "betas must be a pair"),
        (Adam, {"eps": -1e-8}, "eps must be >= 0, got -1e-08"),
        (Adam, {"weight_decay": -0.1}, "weight_decay must be >= 0, got -0.1"),
    ],
)
def test_optimizers_reject_bad_hyper_parameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls({"w": np.zeros(3)}, **kwargs)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_optimizers_reject_bad_params(cls):
    with pytest.raises(ValueError, match="params must hold at least one parameter"):
        cls({}, lr=0.1)
    with pytest.raises(TypeError, match=r"params\['w'\] must be a floating NumPy array.*int64"):
        cls({"w": np.zeros(3, dtype=np.int64)}, lr=0.1)
    with pytest.raises(TypeError, match=r"params\['w'\] must be a floating NumPy array.*list"):
        cls({"w": [0.0, 1.0]}, lr=0.1)
