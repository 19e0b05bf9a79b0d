"""Tests of lstm_course.train.checkpoint, and of fit(resume_from=...) continuing a run exactly."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

from lstm_course.train import History, TrainConfig, fit, load_checkpoint, save_checkpoint, seed_everything

from .toys import FEATURES, classification_data, dropout_mlp

EPOCHS, STOP = 6, 2  # the uninterrupted run's length, and where the interrupted one stops


def _global_order_batches():
    # Shuffled by torch's global generator, which the checkpoint restores.
    x, y = classification_data()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8, shuffle=True)


def _per_epoch_batches():
    # Shuffled by a generator of its own, seeded from the epoch number.
    x, y = classification_data()
    dataset = torch.utils.data.TensorDataset(x, y)
    return lambda epoch: torch.utils.data.DataLoader(
        dataset, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(epoch)
    )


def _fit(model, batches, epochs, **kwargs) -> History:
    x, y = classification_data(n=12, seed=1)
    config = TrainConfig(
        epochs=epochs,
        clip_grad_norm=1.0,
        scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5),
        **kwargs.pop("config", {}),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    return fit(
        model, batches, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, config=config, val_batches=[(x, y)], **kwargs
    )


@pytest.mark.parametrize("make_batches", [_global_order_batches, _per_epoch_batches])
def test_resumed_run_equals_the_uninterrupted_run(tmp_path, make_batches):
    path = tmp_path / "run.pt"
    seed_everything(0)
    uninterrupted = dropout_mlp()
    expected = _fit(uninterrupted, make_batches(), EPOCHS)

    seed_everything(0)
    _fit(dropout_mlp(), make_batches(), STOP, config={"checkpoint_path": path})
    # A later session: other seeds, other initial weights, a fresh optimiser.
    seed_everything(999)
    resumed = dropout_mlp()
    history = _fit(resumed, make_batches(), EPOCHS, resume_from=path)

    assert history.column("epoch") == list(range(1, EPOCHS + 1)), "the history must continue the saved one"
    assert history.column("train_loss") == expected.column("train_loss"), "expected the same losses every epoch"
    assert history.column("lr") == expected.column("lr"), "expected the scheduler to continue where it was"
    for (name, want), got in zip(uninterrupted.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-7, msg=lambda m: f"{name}: expected the uninterrupted weights; {m}")


def test_resume_without_restoring_the_rng_would_differ(tmp_path):
    """The run above depends on the generators: a resume that skipped them would not match."""
    path = tmp_path / "run.pt"
    seed_everything(0)
    expected = _fit(dropout_mlp(), _global_order_batches(), STOP + 1)
    seed_everything(0)
    model = dropout_mlp()
    _fit(model, _global_order_batches(), STOP, config={"checkpoint_path": path})
    seed_everything(999)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    load_checkpoint(path, model=model, optimizer=optimizer, strict=False, restore_rng=False)
    history = fit(
        model,
        _global_order_batches(),
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optimizer,
        config=TrainConfig(epochs=1, clip_grad_norm=1.0),
    )
    assert history[0].train_loss != expected[STOP].train_loss


def test_checkpoint_every_n_epochs_and_after_the_last(tmp_path):
    path = tmp_path / "sub" / "run.pt"
    saved = []

    def saved_epoch(record):
        saved.append(torch.load(path, weights_only=True)["epoch"] if path.exists() else None)

    model = nn.Linear(FEATURES, 1)
    fit(
        model,
        [(torch.randn(4, FEATURES), torch.randn(4, 1))],
        loss_fn=nn.MSELoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        callbacks=[saved_epoch],
        config=TrainConfig(epochs=5, checkpoint_path=path, checkpoint_every=2),
    )
    assert saved == [None, 2, 2, 4, 5], f"expected checkpoints after epochs 2, 4 and 5; saw {saved}"
    assert not path.with_name("run.pt.partial").exists(), "the temporary file must be renamed into place"


def test_resuming_a_run_that_stopped_early_trains_no_more(tmp_path):
    path = tmp_path / "run.pt"
    x, y = classification_data(n=8)
    model = nn.Linear(FEATURES, 3)
    scores = iter([1.0, 2.0, 3.0])
    config = TrainConfig(epochs=10, monitor="val_score", patience=2, checkpoint_path=path)
    arguments = {
        "loss_fn": nn.CrossEntropyLoss(),
        "val_batches": [(x, y)],
        "metrics": {"score": lambda outputs, targets: next(scores)},
        "config": config,
    }
    fit(model, [(x, y)], optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **arguments)
    best = {name: tensor.clone() for name, tensor in model.state_dict().items()}

    fresh = nn.Linear(FEATURES, 3)
    history = fit(fresh, [(x, y)], optimizer=torch.optim.SGD(fresh.parameters(), lr=0.1), resume_from=path, **arguments)
    assert len(history) == 3 and history.stopped_early, "a finished run must not train again"
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(tensor, best[name]), f"{name}: expected the best weights, kept in the checkpoint"


def test_save_and_load_restore_model_optimizer_and_generators(tmp_path):
    path = tmp_path / "ckpt.pt"
    model = nn.Linear(FEATURES, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(3, FEATURES)).sum().backward()
    optimizer.step()
    history = History()
    save_checkpoint(path, model=model, optimizer=optimizer, epoch=4, history=history, extra={"note": "x"})
    expected_draw = torch.rand(3)

    other = nn.Linear(FEATURES, 2)
    other_optimizer = torch.optim.Adam(other.parameters(), lr=0.5)
    checkpoint = load_checkpoint(path, model=other, optimizer=other_optimizer)
    assert torch.equal(torch.rand(3), expected_draw), "expected torch's generator back where it was at saving"
    assert checkpoint.epoch == 4 and checkpoint.extra == {"note": "x"} and len(checkpoint.history) == 0
    for name, tensor in model.state_dict().items():
        assert torch.equal(other.state_dict()[name], tensor), f"{name}: expected the saved weights"
    assert other_optimizer.param_groups[0]["lr"] == 0.01, "expected the saved learning rate"
    assert torch.equal(other_optimizer.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])


def test_missing_checkpoint_is_an_error(tmp_path):
    model = nn.Linear(FEATURES, 1)
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at '.*nowhere.pt'; expected a file written by save_checkpoint"):
        fit(
            model,
            [(torch.zeros(1, FEATURES), torch.zeros(1, 1))],
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            config=TrainConfig(epochs=2),
            resume_from=tmp_path / "nowhere.pt",
        )


def test_file_that_is_not_a_checkpoint_is_an_error(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match=r"is not a checkpoint of format 1 written by save_checkpoint; found format None"):
        load_checkpoint(path, model=nn.Linear(1, 1))


def test_strict_load_requires_the_same_scheduler(tmp_path):
    path = tmp_path / "ckpt.pt"
    model = nn.Linear(FEATURES, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=1, history=History())
    with pytest.raises(ValueError, match=r"holds a scheduler state but a scheduler was not given"):
        load_checkpoint(path, model=model, optimizer=optimizer)
    load_checkpoint(path, model=model, strict=False)  # the weights alone, for evaluation


def test_resume_with_fewer_epochs_than_saved_is_an_error(tmp_path):
    path = tmp_path / "run.pt"
    model = nn.Linear(FEATURES, 1)
    data = [(torch.randn(4, FEATURES), torch.randn(4, 1))]
    arguments = {"loss_fn": nn.MSELoss(), "optimizer": torch.optim.SGD(model.parameters(), lr=0.1)}
    fit(model, data, config=TrainConfig(epochs=3, checkpoint_path=path), **arguments)
    with pytest.raises(ValueError, match=r"written after epoch 3 but config.epochs=2; expected epochs >= 3"):
        fit(model, data, config=TrainConfig(epochs=2), resume_from=path, **arguments)
