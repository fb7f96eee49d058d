"""Property-based tests (hypothesis) of the trainer's bookkeeping.

* For any data size and batch size, each reported epoch loss is the loss over the whole data set
  (the learning rate is 0, so the model does not move within an epoch).
* For any validation curve, early stopping stops exactly where its rule says and leaves the
  weights of the best epoch (or of the last one, with ``patience=None`` or ``restore_best=False``).
* A NaN or infinite loss mid-training stops cleanly, keeps the history of the completed epochs
  and restores the best weights.

The validation curve is scripted: the model is one number ``w`` that a training step raises by
exactly 1, so after epoch ``e`` it equals ``e``, and the criterion reports ``curve[e - 1]`` in
validation. Curves are multiples of 1/4 (exact in float32), so ties really happen.
"""

from __future__ import annotations

import contextlib
import io
import math

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import trainer

FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def quietly(function, *args, **kwargs):
    """Call ``function`` and return its result and what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = function(*args, **kwargs)
    return result, buffer.getvalue()


# --- epoch losses are whole-data-set losses ---------------------------------------------------


@FAST
@given(
    n_train=st.integers(1, 40),
    n_valid=st.integers(1, 40),
    batch_size=st.integers(1, 50),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_epoch_loss_is_the_loss_over_the_whole_data_set(
    n_train, n_valid, batch_size, shuffle, seed
):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_train + n_valid, 2, generator=generator)
    y = torch.randn(n_train + n_valid, 1, generator=generator)
    train = TensorDataset(X[:n_train], y[:n_train])
    valid = TensorDataset(X[n_train:], y[n_train:])
    trainloader = DataLoader(train, batch_size=batch_size, shuffle=shuffle, generator=generator)
    validloader = DataLoader(valid, batch_size=batch_size)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # the model stays put
    criterion = nn.MSELoss()

    train_loss, valid_loss = trainer(
        model,
        criterion,
        optimizer,
        trainloader,
        validloader,
        epochs=2,
        patience=None,
        verbose=False,
    )

    with torch.no_grad():
        whole_train = criterion(model(X[:n_train]), y[:n_train]).item()
        whole_valid = criterion(model(X[n_train:]), y[n_train:]).item()
    assert len(train_loss) == len(valid_loss) == 2
    for value in train_loss:
        assert math.isclose(value, whole_train, rel_tol=1e-5, abs_tol=1e-6)
    for value in valid_loss:
        assert math.isclose(value, whole_valid, rel_tol=1e-5, abs_tol=1e-6)


# --- early stopping on scripted validation curves ---------------------------------------------


class Counter(nn.Module):
    """Predicts ``w`` for every input; a training step (SGD, lr=1) raises ``w`` by exactly 1."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w.expand(len(x), 1)


def scripted(curve: list[float], bad_train_epoch: int | None = None):
    """A criterion: in training its gradient is -1; in validation after epoch e it is curve[e-1].

    With ``bad_train_epoch`` the training loss of that epoch is NaN.
    """

    def criterion(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():  # training
            loss = -prediction.mean()
            epoch = round(prediction.detach()[0].item()) + 1
            return loss * math.nan if epoch == bad_train_epoch else loss
        value = prediction[0].item()
        if not math.isfinite(value):
            return torch.tensor(math.nan)
        return torch.tensor(curve[round(value) - 1])

    return criterion


def expected_run(curve, patience, stopping, min_delta):
    """(epochs run, best epoch, whether the rule fired) by the rules as the docstring states."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, value in enumerate(curve, start=1):
        if value < best - (min_delta if stopping == "best" else 0.0):
            best, best_epoch = value, epoch
        if stopping == "best":
            waited = 0 if best_epoch == epoch else waited + 1
        else:
            waited = waited + 1 if epoch > 1 and value > curve[epoch - 2] else 0
        if patience is not None and waited >= patience:
            return epoch, best_epoch, True
    return len(curve), best_epoch, False


def run(curve, patience, stopping="best", min_delta=0.0, restore_best=None, bad_train_epoch=None):
    model = Counter()
    one_batch = DataLoader(TensorDataset(torch.zeros(3, 1), torch.zeros(3, 1)), batch_size=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    (train_loss, valid_loss), printed = quietly(
        trainer,
        model,
        scripted(curve, bad_train_epoch),
        optimizer,
        one_batch,
        one_batch,
        epochs=len(curve),
        patience=patience,
        stopping=stopping,
        min_delta=min_delta,
        restore_best=restore_best,
    )
    return model.w.item(), train_loss, valid_loss, printed


curves = st.lists(st.integers(0, 8).map(lambda k: k / 4), min_size=1, max_size=14)
patiences = st.one_of(st.none(), st.integers(1, 5))


@FAST
@given(curve=curves, patience=patiences, min_delta=st.sampled_from([0.0, 0.25, 0.5]))
def test_best_rule_stops_where_it_should_and_restores_the_best_weights(curve, patience, min_delta):
    stop, best, early = expected_run(curve, patience, "best", min_delta)
    w, train_loss, valid_loss, printed = run(curve, patience, "best", min_delta)
    assert valid_loss == curve[:stop]
    assert len(train_loss) == stop
    if patience is None:  # no early stopping: the last weights stay, as in a hand-written loop
        assert w == stop
    else:
        assert w == best, "the weights of the best epoch are restored"
    assert ("Early stopping at epoch" in printed) == early
    if early:
        assert f"Early stopping at epoch {stop}:" in printed
        assert f" {best} (validation loss" in printed


@FAST
@given(curve=curves, patience=patiences)
def test_consecutive_rule_stops_where_it_should(curve, patience):
    stop, best, early = expected_run(curve, patience, "consecutive", 0.0)
    w, _, valid_loss, printed = run(curve, patience, "consecutive")
    assert valid_loss == curve[:stop]
    assert ("Early stopping at epoch" in printed) == early
    if patience is not None:
        assert w == best


@FAST
@given(curve=curves, patience=patiences)
def test_without_restore_best_the_last_weights_stay(curve, patience):
    stop, _, _ = expected_run(curve, patience, "best", 0.0)
    w, _, valid_loss, _ = run(curve, patience, "best", restore_best=False)
    assert len(valid_loss) == stop
    assert w == stop


@FAST
@given(
    curve=curves.filter(lambda c: len(c) >= 2),
    data=st.data(),
    value=st.sampled_from([math.nan, math.inf]),
    where=st.sampled_from(["training", "validation"]),
)
def test_non_finite_loss_stops_cleanly_and_keeps_the_history(curve, data, value, where):
    bad = data.draw(st.integers(1, len(curve)), label="bad epoch")
    curve = list(curve)
    bad_train_epoch = None
    if where == "validation":
        curve[bad - 1] = value
    else:
        bad_train_epoch = bad
    w, train_loss, valid_loss, printed = run(
        curve, None, restore_best=True, bad_train_epoch=bad_train_epoch
    )
    assert valid_loss == curve[: bad - 1], "the completed epochs are kept"
    assert len(train_loss) == bad - 1
    assert f"Stopped at epoch {bad}: the {where} loss is" in printed
    if bad > 1:
        _, best, _ = expected_run(curve[: bad - 1], None, "best", 0.0)
        assert w == best, "the best weights are restored"
        assert f"restored the weights of epoch {best}" in printed
