"""Schedulers driven the way Network.fit drives them: through the pluggy lifecycle hooks."""

from __future__ import annotations

import pytest
from nnfs_optim import SGD, LinearWarmup, OneCycleLR, ReduceLROnPlateau, StepLR

from nnfs_core._hooks import make_plugin_manager


class FakeNetwork:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.stop_training = False


def fit(scheduler, optimizer, epochs, steps_per_epoch, val_losses=None):
    """Call the hooks as ``nnfs_core._loop.run_epochs`` does; return the rate used by every batch."""
    network = FakeNetwork(optimizer)
    hook = make_plugin_manager([scheduler]).hook
    used = []
    hook.on_fit_start(network=network, epochs=epochs, steps_per_epoch=steps_per_epoch)
    for epoch in range(epochs):
        hook.on_epoch_start(network=network, epoch=epoch)
        for batch in range(steps_per_epoch):
            hook.on_batch_start(network=network, epoch=epoch, batch=batch)
            used.append(optimizer.learning_rate)
            hook.on_batch_end(network=network, epoch=epoch, batch=batch, logs={"loss": 1.0, "size": 32})
        logs = {"loss": 1.0}
        if val_losses is not None:
            logs["val_loss"] = val_losses[epoch]
        hook.on_epoch_end(network=network, epoch=epoch, logs=logs)
    hook.on_fit_end(network=network, history=None)
    return used


def test_an_epoch_scheduler_changes_the_rate_between_epochs_only():
    used = fit(StepLR(1, gamma=0.5), SGD(0.8), epochs=3, steps_per_epoch=4)
    assert used == [0.8] * 4 + [0.4] * 4 + [0.2] * 4


def test_a_batch_scheduler_changes_the_rate_after_every_batch():
    used = fit(StepLR(2, gamma=0.5, interval="batch"), SGD(0.8), epochs=2, steps_per_epoch=3)
    assert used == [0.8, 0.8, 0.4, 0.4, 0.2, 0.2]


def test_one_cycle_learns_its_length_from_fit():
    optimizer = SGD(0.1, momentum=0.9)
    scheduler = OneCycleLR(1.0)
    used = fit(scheduler, optimizer, epochs=4, steps_per_epoch=25)
    assert scheduler.cycle_length() == 100 and scheduler.get_config()["total_steps"] is None
    assert used[0] == pytest.approx(1.0 / 25) and used[29] == pytest.approx(1.0)
    assert used[-1] == pytest.approx(1.0 / 25 / 1e4)


def test_reduce_lr_on_plateau_reads_the_epoch_logs():
    used = fit(ReduceLROnPlateau(patience=1), SGD(1.0), epochs=5, steps_per_epoch=2, val_losses=[1, 2, 2, 2, 2])
    assert used == pytest.approx([1, 1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1])


def test_reduce_lr_on_plateau_without_validation_data_uses_the_loss():
    with pytest.warns(UserWarning, match="using 'loss' instead"):
        used = fit(ReduceLROnPlateau(patience=0), SGD(1.0), epochs=3, steps_per_epoch=1)
    assert used == pytest.approx([1.0, 1.0, 0.1])


def test_a_second_fit_continues_the_schedule():
    optimizer, scheduler = SGD(1.0), LinearWarmup({"name": "step_lr", "step_size": 1, "gamma": 0.5}, warmup_steps=2)
    first = fit(scheduler, optimizer, epochs=2, steps_per_epoch=1)
    second = fit(scheduler, optimizer, epochs=2, steps_per_epoch=1)
    assert first + second == pytest.approx([1 / 3, 2 / 3, 1.0, 0.5])
