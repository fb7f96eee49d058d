"""The checks of notebook 04's exercises pass the reference and diagnose each typical mistake."""

from __future__ import annotations

import math

import pytest
import torch

from helpers.checks import ExerciseError
from helpers.checks.training import (
    check_evaluate,
    check_mse_gradient,
    check_stopping_epoch,
    reference_stopping_epoch,
)

# --- exercise 1: the early-stopping rule ------------------------------------------------------


def stop_late(valid_loss, patience, min_delta=0.0):
    best, waited = math.inf, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if waited >= patience:  # checked before this epoch's update: one epoch late
            return epoch
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
    return None


def stop_zero_based(valid_loss, patience, min_delta=0.0):
    epoch = reference_stopping_epoch(valid_loss, patience, min_delta)
    return None if epoch is None else epoch - 1


def stop_previous_epoch(valid_loss, patience, min_delta=0.0):
    rises = 0
    for i in range(1, len(valid_loss)):
        rises = rises + 1 if valid_loss[i] > valid_loss[i - 1] else 0
        if rises == patience:
            return i + 1
    return None


def stop_ties_improve(valid_loss, patience, min_delta=0.0):
    best, waited = math.inf, 0
    for epoch, loss in enumerate(valid_loss, start=1):
        if loss <= best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
        if waited == patience:
            return epoch
    return None


def stop_without_min_delta(valid_loss, patience, min_delta=0.0):
    return reference_stopping_epoch(valid_loss, patience)


def stop_never_on_the_zigzag(valid_loss, patience, min_delta=0.0):
    epoch = reference_stopping_epoch(valid_loss, patience, min_delta)
    return None if valid_loss[:3] == [1.0, 0.9, 0.95] else epoch


def test_the_reference_rule_passes(capsys):
    check_stopping_epoch(reference_stopping_epoch)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (stop_late, "one epoch late"),
        (stop_zero_based, "one epoch early"),
        (stop_previous_epoch, "lecture's rule"),
        (stop_ties_improve, "equal to the best"),
        (stop_without_min_delta, "min_delta is ignored"),
        (lambda valid_loss, patience, min_delta=0.0: None, "not filled in"),
        (lambda valid_loss, patience, min_delta=0.0: 1_000, "expected"),
        (stop_never_on_the_zigzag, "never stops"),
        (..., "not filled in"),
        (lambda valid_loss, patience, min_delta=0.0: ..., "not filled in"),
    ],
)
def test_wrong_stopping_rules_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_stopping_epoch(answer)


# --- exercise 2: the validation pass ----------------------------------------------------------


def evaluate(model, loader, criterion):
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            total += criterion(model(X), y).item() * len(y)
            count += len(y)
    model.train(was_training)
    return total / count


def evaluate_in_training_mode(model, loader, criterion):
    with torch.no_grad():
        return sum(criterion(model(X), y).item() * len(y) for X, y in loader) / 10


def evaluate_with_graph(model, loader, criterion):
    model.eval()
    value = sum(criterion(model(X), y).item() * len(y) for X, y in loader) / 10
    model.train()
    return value


def evaluate_plain_mean(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        losses = [criterion(model(X), y).item() for X, y in loader]
    model.train()
    return sum(losses) / len(losses)


def evaluate_left_in_eval(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        return sum(criterion(model(X), y).item() * len(y) for X, y in loader) / 10


def evaluate_always_train(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        value = sum(criterion(model(X), y).item() * len(y) for X, y in loader) / 10
    model.train()
    return value


def evaluate_tensor(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        value = sum(criterion(model(X), y) * len(y) for X, y in loader) / 10
    model.train()
    return value


def test_the_reference_evaluate_passes(capsys):
    check_evaluate(evaluate)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (evaluate_in_training_mode, "model left in training mode"),
        (evaluate_with_graph, "no_grad"),
        (evaluate_plain_mean, "plain mean of the batch losses"),
        (evaluate_left_in_eval, "left in eval mode"),
        (evaluate_always_train, "restore the mode it had"),
        (evaluate_tensor, "Python float"),
        (..., "not filled in"),
        (lambda model, loader, criterion: None, "not filled in"),
    ],
)
def test_wrong_validation_passes_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_evaluate(answer)


# --- exercise 3: the gradient of the MSE ------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (lambda y_hat, y: 2 * (y_hat - y), "sum where a mean was meant"),
        (lambda y_hat, y: (y_hat - y) / len(y), "factor 2 is missing"),
        (lambda y_hat, y: 2 * (y - y_hat) / len(y), "wrong sign"),
        (lambda y_hat, y: y_hat - y, "factor 2 is missing and it sums"),
        (lambda y_hat, y: (2 * (y_hat - y) / len(y)).unsqueeze(1), "shape"),
        (lambda y_hat, y: 3 * (y_hat - y), "differs from"),
        (lambda y_hat, y: ..., "not filled in"),
    ],
)
def test_wrong_mse_gradients_are_diagnosed(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_mse_gradient(answer)


def test_the_reference_mse_gradient_passes(capsys):
    check_mse_gradient(lambda y_hat, y: 2 * (y_hat - y) / len(y))
    assert capsys.readouterr().out.startswith("Correct:")
