"""Checks for the exercises of notebook 04 (training neural networks).

Each check runs the student's function on cases it builds on the spot, compares with a reference,
and either prints one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError`
with a diagnosis: stops one epoch late, compares with the previous epoch instead of the best,
model left in training mode, a plain mean of batch losses, a sum where a mean was meant.

=========================  ===============================================================
check                      exercise
=========================  ===============================================================
``check_stopping_epoch``   the standard early-stopping rule, as a function of the curve
``check_evaluate``         a validation pass: eval mode, no graph, weighted by batch size
``check_mse_gradient``     the gradient of the mean squared error with respect to ``y_hat``
=========================  ===============================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_evaluate",
    "check_mse_gradient",
    "check_stopping_epoch",
    "reference_stopping_epoch",
]


def reference_stopping_epoch(
    valid_loss: Sequence[float], patience: int, min_delta: float = 0.0
) -> int | None:
    """The epoch (counting from 1) at which the standard rule stops, or ``None`` if it never does.

    The standard rule (Keras, Lightning, ``helpers.trainer``): an epoch improves if its loss is
    lower than the best so far by more than ``min_delta``; stop at the epoch that makes
    ``patience`` epochs in a row without improvement.
    """
    best, waited = math.inf, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
        if waited == patience:
            return epoch
    return None


def _previous_epoch_rule(valid_loss: Sequence[float], patience: int) -> int | None:
    """The lecture's rule: ``patience`` consecutive rises against the previous epoch."""
    rises = 0
    for epoch in range(1, len(valid_loss)):
        rises = rises + 1 if valid_loss[epoch] > valid_loss[epoch - 1] else 0
        if rises == patience:
            return epoch + 1
    return None


def _ties_improve(valid_loss: Sequence[float], patience: int, min_delta: float) -> int | None:
    best, waited = math.inf, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if loss <= best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
        if waited == patience:
            return epoch
    return None


# (valid_loss, patience, min_delta): a zig-zag after the minimum, a tie with the best, a curve
# that improves by less than min_delta, and one that never stops.
_STOPPING_CASES: tuple[tuple[list[float], int, float], ...] = (
    ([1.0, 0.9, 0.95, 0.85, 0.9, 0.8, 0.88, 0.82, 0.9, 0.84, 0.92, 0.86, 0.94], 3, 0.0),
    ([1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95], 2, 0.0),
    ([1.0, 0.6, 0.6, 0.6, 0.7, 0.5, 0.7, 0.8, 0.9], 3, 0.0),
    ([1.0, 0.7, 0.69, 0.68, 0.67, 0.66, 0.65, 0.64], 3, 0.05),
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2, 0.0),
)


def check_stopping_epoch(stopping_epoch: Callable[..., int | None]) -> None:
    """Check ``stopping_epoch(valid_loss, patience, min_delta=0.0)`` against the standard rule."""
    require_filled("stopping_epoch", stopping_epoch)
    if not callable(stopping_epoch):
        raise ExerciseError(
            "stopping_epoch should be a function of (valid_loss, patience, min_delta)."
        )
    answers = []
    for valid_loss, patience, min_delta in _STOPPING_CASES:
        got = stopping_epoch(list(valid_loss), patience, min_delta)
        if got is Ellipsis:
            require_filled("stopping_epoch(...)", got)
        answers.append(got)
    if all(answer is None for answer in answers):  # the starter's body `...` returns None
        require_filled("stopping_epoch(...)", None)
    expected = [reference_stopping_epoch(*case) for case in _STOPPING_CASES]
    if answers == expected:
        correct(f"stopping_epoch follows the standard rule on all {len(_STOPPING_CASES)} curves.")
        return
    # Known wrong rules, recognised by their answers on all the curves at once.
    known = [
        (
            [_previous_epoch_rule(loss, patience) for loss, patience, _ in _STOPPING_CASES],
            "this is the lecture's rule: it compares each epoch with the previous one; the "
            "standard rule compares with the best loss so far.",
        ),
        (
            [_ties_improve(*case) for case in _STOPPING_CASES],
            "a loss equal to the best counts as an improvement in your rule; it must be lower "
            "(loss < best - min_delta).",
        ),
        (
            [reference_stopping_epoch(loss, patience) for loss, patience, _ in _STOPPING_CASES],
            "min_delta is ignored: an epoch improves only if its loss is below best - min_delta.",
        ),
    ]
    for wrong, why in known:
        if answers == wrong:
            raise ExerciseError(f"stopping_epoch: {why}")
    for case, got, want in zip(_STOPPING_CASES, answers, expected, strict=True):
        if got == want and (got is None) == (want is None):
            continue
        valid_loss, patience, min_delta = case
        where = f"on valid_loss={valid_loss}, patience={patience}, min_delta={min_delta}"
        if want is not None and got == want + 1:
            why = (
                "stops one epoch late: stop at the epoch whose count of epochs without "
                "improvement reaches `patience` (check the count right after updating it)."
            )
        elif want is not None and got == want - 1:
            why = (
                "stops one epoch early: epochs count from 1 (enumerate(valid_loss, start=1)), "
                "and the epoch that improves resets the count to 0."
            )
        elif got is None:
            why = f"never stops, but the rule stops at epoch {want}."
        else:
            why = f"expected {want}, got {got!r}."
        raise ExerciseError(f"stopping_epoch {where}: {why}")


class _Probe(nn.Module):
    """A tiny model with dropout that records, at every forward, its mode and grad mode."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.hidden = nn.Linear(1, 8)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(8, 1)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator))
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.out(self.drop(torch.relu(self.hidden(x)))).squeeze(-1)


def _probe_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    X = torch.linspace(-2, 2, 10).unsqueeze(1)
    y = torch.sin(X).squeeze(1) + 0.3 * torch.randn(10, generator=generator)
    return [(X[:4], y[:4]), (X[4:8], y[4:8]), (X[8:], y[8:])]  # batch sizes 4, 4, 2


def check_evaluate(evaluate: Callable[..., float]) -> None:
    """Check ``evaluate(model, loader, criterion)``: the mean loss over the loader's whole set."""
    require_filled("evaluate", evaluate)
    if not callable(evaluate):
        raise ExerciseError("evaluate should be a function of (model, loader, criterion).")
    loader, criterion = _probe_data(), nn.MSELoss()
    model = _Probe()
    model.train()
    got = evaluate(model, loader, criterion)
    require_filled("evaluate(...)", got)
    if any(training for training, _ in model.calls):
        raise ExerciseError(
            "model left in training mode: dropout was on while evaluating, so the loss is that "
            "of a random thinned network. Call model.eval() before the loop."
        )
    if any(grad for _, grad in model.calls):
        raise ExerciseError(
            "the forward passes built a graph: wrap the loop in `with torch.no_grad():`."
        )
    if not model.training:
        raise ExerciseError(
            "the model was in training mode before evaluate and is left in eval mode after it: "
            "remember `was_training = model.training` and call model.train(was_training) at "
            "the end."
        )
    if isinstance(got, torch.Tensor):
        raise ExerciseError("evaluate should return a Python float: use loss.item().")
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise ExerciseError(f"evaluate should return a float, got {type(got).__name__}.")
    model.eval()
    with torch.no_grad():
        losses = [(criterion(model(xb), yb).item(), len(yb)) for xb, yb in loader]
        whole = criterion(
            model(torch.cat([x for x, _ in loader])), torch.cat([y for _, y in loader])
        )
    reference = whole.item()
    plain = sum(loss for loss, _ in losses) / len(losses)
    summed = sum(loss for loss, _ in losses)
    if math.isclose(got, reference, rel_tol=1e-5):
        model.calls.clear()
        evaluate(model, loader, criterion)
        if model.training:
            raise ExerciseError(
                "a model that was in eval mode comes back in training mode: restore the mode it "
                "had (model.train(was_training)), not always model.train()."
            )
        correct(f"evaluate gives the loss over the whole set ({reference:.4f}), in eval mode.")
        return
    if math.isclose(got, plain, rel_tol=1e-5):
        why = (
            "this is the plain mean of the batch losses; with batches of 4, 4 and 2 points, "
            "weight each batch's loss by its size and divide by the number of points."
        )
    elif math.isclose(got, summed, rel_tol=1e-5):
        why = (
            "this is the sum of the batch losses: weight each by its batch size, then divide "
            "by the number of points."
        )
    else:
        why = f"expected {reference:.6f}, got {got:.6f}."
    raise ExerciseError(f"evaluate: {why}")


def check_mse_gradient(mse_gradient: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``mse_gradient(y_hat, y)``, the gradient of ``mean((y_hat - y)**2)`` in ``y_hat``."""
    require_filled("mse_gradient", mse_gradient)
    if not callable(mse_gradient):
        raise ExerciseError("mse_gradient should be a function of (y_hat, y).")
    generator = torch.Generator().manual_seed(2)
    y_hat = torch.randn(6, generator=generator, dtype=torch.float64)
    y = torch.randn(6, generator=generator, dtype=torch.float64)
    got = mse_gradient(y_hat.clone(), y.clone())
    require_filled("mse_gradient(...)", got)
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(f"mse_gradient should return a tensor, got {type(got).__name__}.")
    leaf = y_hat.clone().requires_grad_()
    ((leaf - y) ** 2).mean().backward()
    reference = leaf.grad
    got = got.detach().to(torch.float64)
    if got.shape != reference.shape:
        raise ExerciseError(
            f"mse_gradient has shape {tuple(got.shape)}; a gradient has the shape of y_hat, "
            f"{tuple(reference.shape)}."
        )
    n = len(y)

    def close(a: torch.Tensor) -> bool:
        return torch.allclose(got, a, rtol=1e-6, atol=1e-12)

    if close(reference):
        correct("the gradient of the mean squared error is 2 (y_hat - y) / N.")
        return
    diagnoses = [
        (
            reference * n,
            "sum where a mean was meant: the loss averages over N points, so divide by N.",
        ),
        (reference / 2, "a factor 2 is missing: d/dy_hat (y_hat - y)^2 = 2 (y_hat - y)."),
        (
            -reference,
            "wrong sign: the loss grows as y_hat moves away from y, so the gradient is "
            "along y_hat - y, not y - y_hat.",
        ),
        (
            reference * n / 2,
            "a factor 2 is missing and it sums where a mean was meant: 2 (y_hat - y) / N.",
        ),
        (-reference * n, "wrong sign, and a sum where a mean was meant."),
    ]
    for wrong, why in diagnoses:
        if close(wrong):
            raise ExerciseError(f"mse_gradient: {why}")
    raise ExerciseError(
        "mse_gradient differs from 2 (y_hat - y) / N; compare on a single point first."
    )
