"""The true risk of a model on the course's synthetic regression task.

Because ``make_regression`` draws ``x`` uniformly from ``[low, high)`` and adds Gaussian noise of
standard deviation ``noise`` to ``function(x)``, the expected squared error of a model ``f_hat`` on
*fresh* data from the same distribution is known exactly:

    E[(f_hat(x) - y)^2] = noise^2 + E_x[(f_hat(x) - function(x))^2],

the irreducible noise plus the model's mean squared distance from the truth. ``true_risk``
computes the second term by the midpoint rule on a fine grid, so no test set is needed: it is the
number every validation or test loss is an estimate of.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from helpers._checks import check_int, check_number


def true_risk(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    *,
    noise: float = 0.5,
    low: float = -3.0,
    high: float = 3.0,
    function: Callable[[torch.Tensor], torch.Tensor] = torch.sin,
    points: int = 1000,
) -> float:
    """The expected mean squared error of ``model`` on fresh data from ``make_regression``.

    Args:
        model: maps inputs of shape ``(N, 1)`` to predictions of shape ``(N, 1)`` or ``(N,)``.
            An ``nn.Module`` is evaluated in ``eval()`` mode (dropout off) under
            ``torch.no_grad()``, and its previous mode is restored afterwards.
        noise: the standard deviation of the noise, as passed to ``make_regression``.
        low, high: the interval ``x`` is drawn from, as passed to ``make_regression``.
        function: the noise-free target, as passed to ``make_regression``.
        points: the number of midpoints of the quadrature grid on ``[low, high)``. For a
            piecewise-linear (ReLU) network and a smooth target the error is of order
            ``((high - low) / points)^2``.

    Returns:
        ``noise**2 + mean((model(x) - function(x))**2)`` over the grid, as a Python float.

    Example:
        >>> import torch
        >>> true_risk(torch.sin, noise=0.5)  # the truth itself: only the noise is left
        0.25
    """
    if not callable(model):
        raise TypeError(f"model must be an nn.Module or a callable, got {type(model).__name__}")
    check_number("noise", noise, minimum=0.0, strict=False)
    check_number("low", low, minimum=-float("inf"), strict=False)
    check_number("high", high, minimum=-float("inf"), strict=False)
    if not low < high:
        raise ValueError(f"low must be less than high, got low={low!r}, high={high!r}")
    if not callable(function):
        raise TypeError(f"function must be a callable such as torch.sin, got {function!r}")
    check_int("points", points, minimum=1)
    step = (high - low) / points
    x = low + step * (torch.arange(points, dtype=torch.float32) + 0.5).unsqueeze(1)
    was_training = model.training if isinstance(model, nn.Module) else None
    if isinstance(model, nn.Module):
        model.eval()
    try:
        with torch.no_grad():
            prediction = model(x)
    finally:
        if was_training is not None:
            model.train(was_training)
    if not isinstance(prediction, torch.Tensor):
        raise TypeError(f"model must return a tensor, got {type(prediction).__name__}")
    if tuple(prediction.shape) not in ((points, 1), (points,)):
        raise ValueError(
            f"model must map x of shape ({points}, 1) to ({points}, 1) or ({points},), "
            f"got {tuple(prediction.shape)}"
        )
    truth = function(x).reshape(points)
    excess = ((prediction.reshape(points) - truth) ** 2).mean().item()
    return noise**2 + excess
