"""Training PyTorch models: device, seeding, the training loop, checkpoints, truncated BPTT.

``pick_device``, ``to_device``                   device.py
``seed_everything``, ``capture_rng_state``,
``restore_rng_state``                            seed.py
``TrainConfig``                                  config.py
``fit``                                          loop.py
``evaluate``                                     evaluate.py
``History``, ``EpochRecord``                     history.py
``save_checkpoint``, ``load_checkpoint``,
``Checkpoint``                                   checkpoint.py
``tbptt_batches``, ``detach_state``              tbptt.py
``plot_history``                                 plotting.py
``progress_enabled``                             progress.py

A page of the book trains a model like this::

    device = pick_device()
    seed_everything(0)
    model = torch.nn.LSTM(...).to(device)
    history = fit(model, train_loader, loss_fn=torch.nn.CrossEntropyLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                  config=TrainConfig(epochs=20, clip_grad_norm=1.0, patience=3),
                  val_batches=val_loader)
    plot_history(history)
"""

from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .device import pick_device, to_device
from .history import EpochRecord, History
from .evaluate import evaluate
from .loop import fit
from .plotting import plot_history
from .progress import progress_enabled
from .seed import capture_rng_state, restore_rng_state, seed_everything
from .tbptt import detach_state, tbptt_batches

__all__ = [
    "Checkpoint",
    "EpochRecord",
    "History",
    "TrainConfig",
    "capture_rng_state",
    "detach_state",
    "evaluate",
    "fit",
    "load_checkpoint",
    "pick_device",
    "plot_history",
    "progress_enabled",
    "restore_rng_state",
    "save_checkpoint",
    "seed_everything",
    "tbptt_batches",
    "to_device",
]
