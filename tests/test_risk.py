"""true_risk: the exact expected MSE on fresh data, checked against a large Monte Carlo sample."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from helpers import make_regression
from helpers.risk import true_risk


def test_the_truth_scores_the_noise_variance_and_a_constant_its_distance():
    assert true_risk(torch.sin, noise=0.5) == pytest.approx(0.25, abs=1e-7)
    # E[sin(x)^2] on U[-3, 3] = 1/2 - sin(6)/12, so predicting 0 scores that plus the noise.
    expected = 0.25 + 0.5 - math.sin(6) / 12
    assert true_risk(lambda x: torch.zeros_like(x), noise=0.5) == pytest.approx(expected, abs=1e-5)


def test_true_risk_matches_the_loss_on_a_large_fresh_sample():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    X, y = make_regression(200_000, noise=0.5, seed=1)
    with torch.no_grad():
        sampled = ((model(X).squeeze(1) - y) ** 2).mean().item()
    # the standard error of a mean of 200 000 squared errors is about 0.002 here
    assert true_risk(model, noise=0.5) == pytest.approx(sampled, abs=0.01)


def test_a_module_is_scored_in_eval_mode_and_its_mode_is_restored():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    model.train()
    first = true_risk(model)
    assert model.training and all(m.training for m in model.modules())
    assert true_risk(model) == first  # dropout off: the same number every call
    model.eval()
    true_risk(model)
    assert not model.training


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"model": "sin"}, TypeError, "model"),
        ({"noise": -1.0}, ValueError, "noise"),
        ({"low": 1.0, "high": 0.0}, ValueError, "low"),
        ({"points": 0}, ValueError, "points"),
        ({"points": 10.0}, TypeError, "points"),
        ({"model": lambda x: x.sum()}, ValueError, "model"),
        ({"model": lambda x: 1.0}, TypeError, "model"),
        ({"function": "sin"}, TypeError, "function"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, name):
    kwargs = {"model": torch.sin, **kwargs}
    with pytest.raises(error, match=name):
        true_risk(**kwargs)
