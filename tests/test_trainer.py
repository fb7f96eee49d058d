"""Behaviour of helpers.trainer: each rule it promises, checked on small scripted problems."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import match_shape, trainer


def loaders(n_train: int = 12, n_valid: int = 6, batch_size: int = 4, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X, y = (
        torch.randn(n_train + n_valid, 1, generator=g),
        torch.randn(n_train + n_valid, 1, generator=g),  # (N, 1), as the model's output
    )
    train = DataLoader(TensorDataset(X[:n_train], y[:n_train]), batch_size=batch_size)
    valid = DataLoader(TensorDataset(X[n_train:], y[n_train:]), batch_size=batch_size)
    return train, valid


class ScriptedValidation:
    """A criterion: the real MSE while training, a scripted value per epoch while validating.

    It also records the model's weights at each validation, i.e. the weights of each epoch.
    """

    def __init__(self, model: nn.Module, curve: list[float]):
        self.model, self.curve, self.snapshots = model, curve, []

    def __call__(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return nn.functional.mse_loss(prediction, target)
        self.snapshots.append({k: v.clone() for k, v in self.model.state_dict().items()})
        return torch.tensor(self.curve[len(self.snapshots) - 1])


def scripted_run(curve: list[float], **kwargs):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    criterion = ScriptedValidation(model, curve)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train, valid = loaders(n_valid=4, batch_size=4)  # one validation batch: one value per epoch
    kwargs.setdefault("epochs", len(curve))
    history = trainer(model, criterion, optimizer, train, valid, **kwargs)
    return model, criterion, history


def same_weights(model: nn.Module, snapshot: dict) -> bool:
    return all(torch.equal(v, snapshot[k]) for k, v in model.state_dict().items())


def test_lecture_call_returns_two_float_lists_one_entry_per_epoch():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    train, valid = loaders()
    train_loss, valid_loss = trainer(
        model, nn.MSELoss(), optimizer, train, valid, epochs=201, patience=3
    )
    assert 1 <= len(train_loss) == len(valid_loss) <= 201
    assert all(isinstance(v, float) and math.isfinite(v) for v in train_loss + valid_loss)


def test_best_rule_stops_after_patience_epochs_without_improvement_and_restores_best():
    curve = [5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 3.05, 2.0]
    model, criterion, (train_loss, valid_loss) = scripted_run(curve, patience=3)
    assert valid_loss == pytest.approx(curve[:6])  # best at epoch 3, then 4, 5, 6 do not improve
    assert len(train_loss) == 6
    assert same_weights(model, criterion.snapshots[2])
    assert not same_weights(model, criterion.snapshots[5])


def test_best_rule_prints_one_line_naming_stop_and_best_epoch(capsys):
    scripted_run([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 3.05, 2.0], patience=3)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "epoch 6" in lines[0] and "best epoch 3" in lines[0] and "restored" in lines[0]


def test_min_delta_requires_a_large_enough_improvement(capsys):
    curve = [1.0, 0.95, 0.92, 0.91, 0.5]
    model, criterion, (_, valid_loss) = scripted_run(curve, patience=3, min_delta=0.1)
    assert len(valid_loss) == 4
    assert same_weights(model, criterion.snapshots[0])
    # the message names the restored epoch as what it is, not as the lowest loss (epoch 4)
    assert capsys.readouterr().out == (
        "Early stopping at epoch 4: no improvement by more than min_delta=0.1 for 3 epochs; "
        "the last such improvement was epoch 1 (validation loss 1.0000), weights restored.\n"
    )
    _, _, (_, valid_loss) = scripted_run(curve, patience=3, min_delta=0.0)
    assert len(valid_loss) == 5


def test_lecture_rule_needs_consecutive_increases(capsys):
    rising = [3.0, 2.0, 1.0, 1.1, 1.2, 1.3, 0.5]
    model, criterion, (_, valid_loss) = scripted_run(rising, patience=3, stopping="consecutive")
    assert len(valid_loss) == 6
    assert same_weights(model, criterion.snapshots[2])
    assert "rose in 3 consecutive epochs; best epoch 3 (validation loss 1.0000)" in (
        capsys.readouterr().out
    )


def test_lecture_rule_never_stops_on_a_zigzag_that_the_best_rule_stops_early():
    zigzag = [1.0, 2.0, 1.5, 2.5, 2.0, 3.0, 2.5, 3.5, 3.0, 4.0]
    _, _, (_, lecture) = scripted_run(zigzag, patience=3, stopping="consecutive")
    _, _, (_, best) = scripted_run(zigzag, patience=3)
    assert len(lecture) == len(zigzag)
    assert len(best) == 4


def test_restore_best_false_keeps_the_last_weights():
    curve = [5.0, 4.0, 3.0, 3.5, 3.2, 3.1]
    model, criterion, _ = scripted_run(curve, patience=3, restore_best=False)
    assert same_weights(model, criterion.snapshots[-1])


def test_without_early_stopping_runs_every_epoch_and_keeps_the_last_weights():
    curve = [3.0, 1.0, 2.0, 2.5, 2.7, 2.8]
    model, criterion, (_, valid_loss) = scripted_run(curve, patience=None)
    assert len(valid_loss) == 6
    assert same_weights(model, criterion.snapshots[-1])  # as the hand-written loop leaves it
    model, criterion, _ = scripted_run(curve, patience=None, restore_best=True)
    assert same_weights(model, criterion.snapshots[1])  # asked for explicitly


class ModeRecorder(nn.Module):
    """A model that records, at each call, whether it was in training mode and recording grads."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.dropout = nn.Dropout(0.5)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.dropout(self.linear(x))


def test_validation_runs_in_eval_mode_without_grad_and_training_resumes_in_train_mode():
    torch.manual_seed(0)
    model = ModeRecorder()
    train, valid = loaders(n_train=8, n_valid=4, batch_size=4)  # 2 training + 1 validation batch
    trainer(
        model,
        nn.MSELoss(),
        torch.optim.SGD(model.parameters(), lr=0.01),
        train,
        valid,
        epochs=2,
        patience=None,
    )
    assert model.calls == [(True, True), (True, True), (False, False)] * 2
    assert model.training


def test_dropout_is_off_during_validation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 32), nn.Dropout(0.5), nn.Linear(32, 1))
    train, valid = loaders()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # weights never change
    _, valid_loss = trainer(model, nn.MSELoss(), optimizer, train, valid, epochs=3, patience=None)
    model.eval()
    with torch.no_grad():
        X, y = valid.dataset.tensors
        expected = nn.functional.mse_loss(model(X), y).item()
    assert valid_loss == pytest.approx([expected] * 3, rel=1e-6)


def test_epoch_loss_is_weighted_by_batch_size_with_a_short_last_batch():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    train, valid = loaders(n_train=10, n_valid=7, batch_size=4)  # batches of 4, 4, 2 and 4, 3
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    train_loss, valid_loss = trainer(model, nn.MSELoss(), optimizer, train, valid, epochs=1)
    with torch.no_grad():
        for loader, reported in ((train, train_loss[0]), (valid, valid_loss[0])):
            X, y = loader.dataset.tensors
            whole = nn.functional.mse_loss(model(X), y).item()
            batch_means = [nn.functional.mse_loss(model(xb), yb).item() for xb, yb in loader]
            assert reported == pytest.approx(whole, rel=1e-6)
            assert sum(batch_means) / len(batch_means) != pytest.approx(whole, rel=1e-3)


def test_a_sum_criterion_gives_the_mean_per_sample_times_the_batch_size():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    train, valid = loaders(n_train=8, n_valid=4, batch_size=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    _, mean = trainer(model, nn.MSELoss(), optimizer, train, valid, epochs=1)
    _, summed = trainer(model, nn.MSELoss(reduction="sum"), optimizer, train, valid, epochs=1)
    assert summed[0] == pytest.approx(4 * mean[0], rel=1e-6)


def test_match_shape_refuses_the_broadcasting_bug_and_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"\(5, 5\).*y\.view\(-1, 1\).*squeeze\(-1\)"):
        match_shape(torch.zeros(5, 1), torch.zeros(5))
    for prediction, target in [((5, 3), (5,)), ((5, 1), (5, 1)), ((5,), (5,))]:
        p = torch.zeros(prediction)
        assert match_shape(p, torch.zeros(target)) is p


def test_trainer_refuses_regression_output_against_flat_targets_before_any_step():
    model = nn.Linear(1, 1)
    before = [p.detach().clone() for p in model.parameters()]
    X, y = torch.zeros(4, 1), torch.zeros(4)  # the model outputs (4, 1)
    data = DataLoader(TensorDataset(X, y), batch_size=4)
    with pytest.raises(ValueError, match=r"y\.view\(-1, 1\)"):
        trainer(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=1.0), data, data)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_classification_logits_and_labels_work_unchanged():
    torch.manual_seed(0)
    X = torch.randn(20, 2)
    y = (X[:, 0] > 0).long()
    data = DataLoader(TensorDataset(X, y), batch_size=5)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    train_loss, _ = trainer(
        model, nn.CrossEntropyLoss(), optimizer, data, data, epochs=20, patience=None
    )
    assert train_loss[-1] < train_loss[0]


class ExplodingLoss:
    """MSE that turns ``value`` (NaN or inf) from the given training batch on."""

    def __init__(self, bad_from_batch: int, value: float = math.nan):
        self.batches, self.bad_from_batch, self.value = 0, bad_from_batch, value

    def __call__(self, prediction, target):
        loss = nn.functional.mse_loss(prediction, target)
        if torch.is_grad_enabled():
            self.batches += 1
            if self.batches >= self.bad_from_batch:
                return loss * self.value
        return loss


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_loss_stops_cleanly_keeping_history_and_best_weights(value, capsys):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    train, valid = loaders(n_train=12, batch_size=4)  # 3 training batches per epoch
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = ExplodingLoss(bad_from_batch=8, value=value)  # the first bad batch is in epoch 3
    train_loss, valid_loss = trainer(
        model, criterion, optimizer, train, valid, epochs=10, patience=None, restore_best=True
    )
    assert len(train_loss) == len(valid_loss) == 2
    assert all(math.isfinite(v) for v in train_loss + valid_loss)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    message = capsys.readouterr().out
    assert f"Stopped at epoch 3: the training loss is {value}" in message
    assert "2 completed epochs and restored the weights of epoch" in message


def test_gradient_clipping_bounds_the_update():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    before = torch.cat([p.detach().clone().flatten() for p in model.parameters()])
    X, y = torch.full((4, 1), 100.0), torch.full((4, 1), -100.0)  # a huge gradient
    data = DataLoader(TensorDataset(X, y), batch_size=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    trainer(
        model, nn.MSELoss(), optimizer, data, data, epochs=1, clip_grad_norm=0.5, restore_best=False
    )
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert torch.linalg.vector_norm(after - before).item() == pytest.approx(0.5, rel=1e-5)


def test_each_step_uses_only_the_gradient_of_its_own_batch():
    # If the trainer did not call optimizer.zero_grad(), later batches would step with
    # accumulated gradients and the weights would differ.
    trainloader, validloader = loaders(n_train=12, batch_size=4)  # 3 steps per epoch
    torch.manual_seed(0)
    by_trainer = nn.Linear(1, 1)
    by_hand = nn.Linear(1, 1)
    by_hand.load_state_dict(by_trainer.state_dict())
    optimizer = torch.optim.SGD(by_trainer.parameters(), lr=0.1)
    trainer(by_trainer, nn.MSELoss(), optimizer, trainloader, validloader, epochs=2,
            patience=None, restore_best=False)  # fmt: skip
    optimizer = torch.optim.SGD(by_hand.parameters(), lr=0.1)
    for _ in range(2):
        for X, y in trainloader:
            optimizer.zero_grad()
            nn.functional.mse_loss(by_hand(X), y).backward()
            optimizer.step()
    for got, want in zip(by_trainer.parameters(), by_hand.parameters(), strict=True):
        assert torch.equal(got, want)


def test_optimizer_zero_grad_is_called_once_per_training_batch():
    class CountingSGD(torch.optim.SGD):
        calls = 0

        def zero_grad(self, set_to_none: bool = True) -> None:
            CountingSGD.calls += 1
            super().zero_grad(set_to_none)

    trainloader, validloader = loaders(n_train=12, batch_size=4)
    model = nn.Linear(1, 1)
    trainer(model, nn.MSELoss(), CountingSGD(model.parameters(), lr=0.1), trainloader,
            validloader, epochs=2, patience=None)  # fmt: skip
    assert CountingSGD.calls == 2 * 3  # once per training batch


def test_a_model_that_overrides_train_and_eval_has_them_called():
    # e.g. a module that keeps a frozen layer in eval mode: the trainer must go through its train()
    class FrozenDropout(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 1)
            self.dropout = nn.Dropout(0.5)
            self.modes: list[bool] = []
            self.evals = 0

        def train(self, mode: bool = True):
            self.modes.append(mode)
            super().train(mode)
            self.dropout.eval()  # always off
            return self

        def eval(self):
            self.evals += 1
            return super().eval()

        def forward(self, x):
            assert not self.dropout.training
            return self.dropout(self.linear(x))

    trainloader, validloader = loaders(n_train=12, batch_size=4)
    model = FrozenDropout()
    trainer(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), trainloader,
            validloader, epochs=2, patience=None)  # fmt: skip
    assert model.modes == [True, False] * 2 + [
        True
    ]  # train(), eval() each epoch; train() at the end
    assert model.evals == 2


def test_every_submodule_is_in_eval_mode_during_validation_and_in_train_mode_after():
    seen: list[tuple[bool, ...]] = []
    inner = nn.Sequential(nn.Dropout(0.1), nn.ReLU())
    model = nn.Sequential(nn.Linear(1, 4), inner, nn.Linear(4, 1))
    model.register_forward_pre_hook(
        lambda module, args: seen.append(tuple(m.training for m in module.modules()))
    )
    model.eval()  # the trainer must put it in training mode itself
    trainloader, validloader = loaders(n_train=8, n_valid=4, batch_size=4)
    trainer(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.01), trainloader,
            validloader, epochs=2, patience=None)  # fmt: skip
    on, off = (True,) * 6, (False,) * 6
    assert seen == [on, on, off] * 2
    assert all(m.training for m in model.modules())


def test_batches_are_moved_to_the_models_device():
    # A second device without a GPU: PyTorch's "meta" device holds shapes but no data. The CPU
    # batches must be moved there for the forward pass to run (a CPU batch against meta weights
    # raises "not on the expected device"); reading the meta loss's value then fails, as it must.
    devices = []

    class DeviceRecorder(nn.Linear):
        def forward(self, x):
            devices.append(x.device.type)
            return super().forward(x)

    model = DeviceRecorder(1, 1).to("meta")
    train, valid = loaders()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
        trainer(model, nn.MSELoss(), optimizer, train, valid, epochs=1)
    assert devices == ["meta"]


def test_model_without_parameters_raises_value_error():
    model = nn.ReLU()
    train, valid = loaders()
    optimizer = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="model"):
        trainer(model, nn.MSELoss(), optimizer, train, valid)


def test_a_nan_loss_is_caught_before_it_updates_the_weights():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    train, valid = loaders(n_train=12, batch_size=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    steps = []
    optimizer.register_step_post_hook(
        lambda opt, args, kwargs: steps.append([p.detach().clone() for p in model.parameters()])
    )
    trainer(
        model,
        ExplodingLoss(bad_from_batch=8),
        optimizer,
        train,
        valid,
        epochs=10,
        patience=None,
        restore_best=False,
        verbose=False,
    )
    assert len(steps) == 7  # batches 1..7 stepped; the NaN of batch 8 never did
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), steps[-1], strict=True))
