"""Tests of lstm_course.train.loop: fit and evaluate."""

from __future__ import annotations

import copy
import functools
import math
import re

import pytest
import torch
from torch import nn

from lstm_course.train import TrainConfig, evaluate, fit, seed_everything

from .toys import CLASSES, FEATURES, TinyLSTMClassifier, classification_data, dropout_mlp


def _loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 8):
    # No generator: the order comes from torch's global generator.
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def test_small_lstm_overfits_a_fixed_batch(device):
    seed_everything(0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 5, 3, generator=g), torch.randint(0, 3, (8,), generator=g)  # (B, T, D), (B,)
    model = TinyLSTMClassifier(3, 16, 3).to(device)
    history = fit(
        model,
        [(x, y)],
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        config=TrainConfig(epochs=60),
    )
    first, last = history[0].train_loss, history[-1].train_loss
    assert last < 0.05 * first, f"on {device}: expected the loss to fall below 5% of {first:.4f} in 60 epochs; got {last:.4f}"


def _seeded_run(seed: int) -> list[float]:
    seed_everything(seed)
    model = dropout_mlp()
    x, y = classification_data()
    history = fit(
        model,
        _loader(x, y),
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        config=TrainConfig(epochs=3),
    )
    return history.column("train_loss")


def test_two_seeded_runs_give_identical_losses():
    first, second, other = _seeded_run(11), _seeded_run(11), _seeded_run(12)
    assert first == second, f"expected identical losses from the same seed; got {first} and {second}"
    assert first != other, "a different seed must change the run (initial weights, dropout, shuffling)"


def _linear_problem(scale: float = 10.0):
    g = torch.Generator().manual_seed(3)
    x = scale * torch.randn(16, FEATURES, generator=g)
    y = torch.randn(16, 1, generator=g)
    return x, y


@pytest.mark.parametrize("max_norm", [0.5, None])
def test_clipping_bounds_the_norm_the_optimizer_sees(max_norm):
    torch.manual_seed(0)
    model = nn.Linear(FEATURES, 1)
    replica = copy.deepcopy(model)
    x, y = _linear_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    seen = []
    optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: seen.append(float(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])))
    )
    history = fit(
        model,
        [(x, y)],
        loss_fn=nn.MSELoss(),
        optimizer=optimizer,
        config=TrainConfig(epochs=4, clip_grad_norm=max_norm),
    )
    nn.MSELoss()(replica(x), y).backward()
    torch_norm = float(torch.nn.utils.get_total_norm([p.grad for p in replica.parameters()]))
    assert history[0].grad_norm == pytest.approx(torch_norm, rel=1e-6), "expected the pre-clip norm torch computes"
    assert history[0].grad_norm_max == history[0].grad_norm, "one step per epoch: mean and max agree"
    assert all(norm > 0.5 for norm in history.column("grad_norm")), "the test needs gradients larger than max_norm"
    if max_norm is None:
        assert seen == pytest.approx(history.column("grad_norm"), rel=1e-6), "unclipped: the optimizer sees the raw norm"
    else:
        assert max(seen) <= max_norm + 1e-6, f"expected every norm seen by the optimizer <= {max_norm}; got {seen}"


def test_epoch_schedule_sets_the_recorded_lr():
    model = nn.Linear(FEATURES, 1)
    history = fit(
        model,
        [_linear_problem(1.0)],
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        config=TrainConfig(epochs=5, scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5)),
    )
    assert history.column("lr") == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-12)


def test_batch_schedule_steps_once_per_optimizer_step():
    model = nn.Linear(FEATURES, 1)
    x, y = _linear_problem(1.0)
    batches = [(x[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)]  # 3 steps per epoch
    history = fit(
        model,
        batches,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        config=TrainConfig(
            epochs=3,
            scheduler=functools.partial(torch.optim.lr_scheduler.ExponentialLR, gamma=0.5),
            scheduler_step="batch",
        ),
    )
    assert history.column("lr") == pytest.approx([0.1, 0.1 * 0.5**3, 0.1 * 0.5**6], rel=1e-12)


def _scripted_metric(values):
    """A validation metric that returns values[0], values[1], ... on successive epochs (one val batch)."""
    calls = iter(values)
    return lambda outputs, targets: next(calls)


def test_reduce_on_plateau_follows_the_monitored_value():
    model = nn.Linear(FEATURES, 1)
    data = [_linear_problem(1.0)]
    history = fit(
        model,
        data,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        val_batches=data,
        metrics={"score": _scripted_metric([1.0, 1.0, 1.0, 1.0])},
        config=TrainConfig(
            epochs=4,
            monitor="val_score",
            scheduler=functools.partial(torch.optim.lr_scheduler.ReduceLROnPlateau, factor=0.5, patience=0),
        ),
    )
    assert history.column("lr") == pytest.approx([0.1, 0.1, 0.05, 0.025]), "a flat score halves the lr after epoch 2"


@pytest.mark.parametrize(
    ("values", "mode", "min_delta", "patience", "stopped_after", "best"),
    [
        ([1.0, 0.8, 0.6, 0.65, 0.61, 0.5, 0.4], "min", 0.0, 2, 5, 3),
        ([1.0, 0.97, 0.96, 0.9, 0.5, 0.4, 0.3], "min", 0.05, 2, 3, 1),
        ([0.1, 0.3, 0.2, 0.25, 0.29, 0.28, 0.9], "max", 0.0, 3, 5, 2),
    ],
)
def test_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights(
    values, mode, min_delta, patience, stopped_after, best
):
    torch.manual_seed(0)
    model = nn.Linear(FEATURES, 1)
    data = [_linear_problem(1.0)]
    weights = {}
    history = fit(
        model,
        data,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
        val_batches=data,
        metrics={"score": _scripted_metric(values)},
        callbacks=[lambda record: weights.update({record.epoch: copy.deepcopy(model.state_dict())})],
        config=TrainConfig(epochs=len(values), monitor="val_score", mode=mode, min_delta=min_delta, patience=patience),
    )
    assert len(history) == stopped_after and history.stopped_early, f"expected a stop after epoch {stopped_after}"
    assert history.best_epoch == best, f"expected best epoch {best}; got {history.best_epoch}"
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, weights[best][name]), f"{name}: expected the weights of epoch {best}"
        assert not torch.equal(tensor, weights[stopped_after][name]), f"{name}: the last epoch's weights differ"


def test_without_early_stopping_all_epochs_run_and_the_last_weights_stay():
    model = nn.Linear(FEATURES, 1)
    data = [_linear_problem(1.0)]
    history = fit(
        model,
        data,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
        val_batches=data,
        config=TrainConfig(epochs=3),
    )
    assert len(history) == 3 and not history.stopped_early
    assert evaluate(model, data, loss_fn=nn.MSELoss())["loss"] == pytest.approx(history[-1].val_loss, rel=1e-6)


def test_losses_and_metrics_are_means_over_the_whole_data_set():
    torch.manual_seed(0)
    model = nn.Linear(FEATURES, CLASSES)
    x, y = classification_data(n=10)
    batches = [(x[:7], y[:7]), (x[7:], y[7:])]  # unequal sizes: a mean of batch means would be wrong
    history = fit(
        model,
        batches,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.0),  # lr 0: the weights stay put
        val_batches=batches,
        metrics={"accuracy": lambda logits, targets: (logits.argmax(-1) == targets).float().mean()},
        config=TrainConfig(epochs=1),
    )
    with torch.no_grad():
        logits = model(x)
    expected_loss = float(nn.CrossEntropyLoss()(logits, y))
    expected_accuracy = float((logits.argmax(-1) == y).float().mean())
    assert history[0].train_loss == pytest.approx(expected_loss, rel=1e-6)
    assert history[0].val_loss == pytest.approx(expected_loss, rel=1e-6)
    assert history[0].val_metrics["accuracy"] == pytest.approx(expected_accuracy, rel=1e-6)


def test_forward_fn_receives_batches_on_the_model_device(device):
    model = nn.Linear(FEATURES, 1).to(device)
    x, y = _linear_problem(1.0)
    devices = []

    def forward_fn(model, batch):
        devices.append({batch["x"].device.type, batch["y"].device.type})
        return nn.functional.mse_loss(model(batch["x"]), batch["y"])

    history = fit(
        model,
        [{"x": x, "y": y}],
        forward_fn=forward_fn,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        config=TrainConfig(epochs=2),
    )
    assert devices == [{device}, {device}], f"expected every batch on {device}; got {devices}"
    assert math.isfinite(history[-1].train_loss)


def test_train_batches_may_be_a_function_of_the_epoch():
    model = nn.Linear(FEATURES, 1)
    x, y = _linear_problem(1.0)
    epochs = []

    def batches(epoch):
        epochs.append(epoch)
        return [(x, y)]

    fit(model, batches, loss_fn=nn.MSELoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.01), config=TrainConfig(epochs=3))
    assert epochs == [1, 2, 3]


def test_amp_is_a_no_op_off_cuda():
    runs = []
    for amp in (False, True):
        torch.manual_seed(0)
        model = nn.Linear(FEATURES, 1)
        fit(
            model,
            [_linear_problem(1.0)],
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            config=TrainConfig(epochs=2, amp=amp),
        )
        runs.append(model.weight.detach().clone())
    assert torch.equal(*runs), "amp=True on the CPU must train exactly like amp=False"


def test_amp_trains_and_records_finite_norms(device):
    """Under autocast and a GradScaler on CUDA (a no-op elsewhere, see above)."""
    torch.manual_seed(0)
    model = nn.Linear(FEATURES, 1).to(device)
    history = fit(
        model,
        [_linear_problem(1.0)],
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        config=TrainConfig(epochs=30, amp=True, clip_grad_norm=1.0),
    )
    assert history[-1].train_loss < history[0].train_loss, "expected the loss to fall under mixed precision"
    assert all(norm is None or math.isfinite(norm) for norm in history.column("grad_norm"))


def test_model_mode_is_restored_and_callbacks_see_every_epoch():
    model = nn.Linear(FEATURES, 1).eval()
    seen = []
    fit(
        model,
        [_linear_problem(1.0)],
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        callbacks=[lambda record: seen.append(record.epoch)],
        config=TrainConfig(epochs=3),
    )
    assert seen == [1, 2, 3]
    assert not model.training, "a model passed in eval mode must come back in eval mode"


def test_log_every_prints_losses_but_never_durations(capsys):
    model = nn.Linear(FEATURES, 1)
    data = [_linear_problem(1.0)]
    fit(
        model,
        data,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        val_batches=data,
        config=TrainConfig(epochs=5, log_every=2),
    )
    lines = capsys.readouterr().out.splitlines()
    pattern = r"epoch (\d), train_loss \d+\.\d{4}, val_loss \d+\.\d{4}, lr 0\.01"
    assert [re.fullmatch(pattern, line).group(1) for line in lines] == ["2", "4", "5"], lines


def test_log_every_reports_an_early_stop(capsys):
    model = nn.Linear(FEATURES, 1)
    data = [_linear_problem(1.0)]
    fit(
        model,
        data,
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        val_batches=data,
        metrics={"score": _scripted_metric([1.0, 2.0, 3.0])},
        config=TrainConfig(epochs=3, log_every=10, monitor="val_score", patience=1),
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "stopped early after epoch 2: val_score did not improve for 1 epochs; best epoch 1", lines


def _fit_linear(**overrides):
    model = nn.Linear(FEATURES, 1)
    arguments = {
        "train_batches": [_linear_problem(1.0)],
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.01),
        "config": TrainConfig(epochs=1),
    }
    arguments.update(overrides)
    return fit(model, arguments.pop("train_batches"), **arguments)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"train_batches": []}, ValueError, r"train_batches yielded no batch in epoch 1; expected at least one"),
        ({"train_batches": iter([_linear_problem(1.0)])}, ValueError, r"train_batches is an iterator"),
        ({"train_batches": 3}, ValueError, r"train_batches must be a list, a DataLoader or a function epoch -> batches; got int"),
        ({"val_batches": iter([_linear_problem(1.0)])}, ValueError, r"val_batches is an iterator, .*expected a list, a DataLoader$"),
        ({"loss_fn": None}, ValueError, r"pass exactly one of loss_fn .* and forward_fn"),
        ({"forward_fn": lambda model, batch: model(batch[0]).sum()}, ValueError, r"pass exactly one of loss_fn"),
        ({"loss_fn": nn.MSELoss(reduction="none")}, ValueError, r"loss_fn must return a scalar tensor .*got shape \(16, 1\)"),
        ({"train_batches": [(torch.zeros(2, FEATURES),)]}, ValueError, r"expected each batch to be an \(inputs, targets\) pair"),
        ({"val_batches": []}, ValueError, r"the validation batches yielded no batch; expected at least one"),
        ({"metrics": {"acc": lambda o, t: 0.0}}, ValueError, r"metrics are computed on val_batches; expected val_batches"),
        ({"config": TrainConfig(epochs=1, monitor="val_loss")}, ValueError, r"monitor='val_loss' is not recorded.*need val_batches"),
        ({"optimizer": "sgd"}, TypeError, r"optimizer must be a torch.optim.Optimizer; got str"),
        ({"config": {"epochs": 1}}, TypeError, r"config must be a TrainConfig; got dict"),
    ],
)
def test_bad_input_is_an_error_naming_what_was_expected(overrides, error, message):
    with pytest.raises(error, match=message):
        _fit_linear(**overrides)


def test_model_without_parameters_is_an_error():
    with pytest.raises(ValueError, match=r"ReLU has no trainable parameters; expected a module with at least one"):
        fit(nn.ReLU(), [(torch.zeros(1), torch.zeros(1))], loss_fn=nn.MSELoss(), optimizer=None, config=TrainConfig(epochs=1))


def test_loss_that_reaches_no_parameter_is_an_error():
    model = nn.Linear(FEATURES, 1)
    frozen = nn.Linear(FEATURES, 1)
    with pytest.raises(ValueError, match=r"no parameter received a gradient"):
        fit(
            model,
            [_linear_problem(1.0)],
            forward_fn=lambda m, batch: nn.functional.mse_loss(frozen(batch[0]), batch[1]),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            config=TrainConfig(epochs=1),
        )
