"""Toy data made in code, so that no notebook ever downloads anything."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, TensorDataset

from helpers._checks import check_int, check_number


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's (when installed) and PyTorch's random generators."""
    check_int("seed", seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy ships with the course's requirements
        return
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds the legacy global generator on purpose


def make_regression(
    n: int = 100,
    *,
    noise: float = 0.1,
    low: float = -3.0,
    high: float = 3.0,
    function: Callable[[torch.Tensor], torch.Tensor] = torch.sin,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded noisy 1-D regression problem: ``y = function(x) + noise * N(0, 1)``.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 1)`` with ``x`` drawn uniformly from ``[low, high)`` and
        ``y`` of shape ``(n,)``, both float32. The same arguments give the same tensors.
    """
    check_int("n", n, minimum=1)
    check_number("noise", noise, minimum=0.0, strict=False)
    check_number("low", low, minimum=-math.inf, strict=False)  # any finite number
    check_number("high", high, minimum=-math.inf, strict=False)
    if not low < high:
        raise ValueError(f"low must be less than high, got low={low!r}, high={high!r}")
    if isinstance(function, type) or not callable(function):
        raise TypeError(f"function must be a callable such as torch.sin, got {function!r}")
    check_int("seed", seed)
    generator = torch.Generator().manual_seed(seed)
    x = low + (high - low) * torch.rand(n, 1, generator=generator)
    fx = function(x)
    if not isinstance(fx, torch.Tensor):
        raise TypeError(f"function must return a tensor, got {type(fx).__name__}")
    if tuple(fx.shape) not in ((n, 1), (n,)):
        raise ValueError(
            f"function must map x of shape ({n}, 1) elementwise, but returned {tuple(fx.shape)}"
        )
    if not torch.isfinite(fx).all():
        raise ValueError(f"function gives NaN or infinite values on [low, high) = [{low}, {high})")
    y = fx.reshape(n) + noise * torch.randn(n, generator=generator)
    return x, y


def make_loaders(
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    valid_fraction: float = 0.3,
    batch_size: int = 16,
    seed: int = 0,
) -> tuple[DataLoader, DataLoader]:
    """Split ``(X, y)`` at random into training and validation ``DataLoader``s.

    The training loader reshuffles every epoch from its own seeded generator, so the batches do
    not depend on how much of the global random stream the model's initialisation used; neither
    loader draws from the global stream, so iterating them never shifts later dropout masks.
    """
    for name, tensor in (("X", X), ("y", y)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(tensor).__name__}")
        if tensor.ndim == 0:
            raise ValueError(f"{name} needs a first (sample) dimension, got a 0-d tensor")
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError(f"{name} holds NaN or infinite values")
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length: {len(X)} != {len(y)}")
    check_number("valid_fraction", valid_fraction, minimum=0.0, strict=True)
    if valid_fraction >= 1:
        raise ValueError(f"valid_fraction must lie strictly between 0 and 1, got {valid_fraction}")
    check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed)
    n_valid = round(len(X) * valid_fraction)
    if n_valid == 0 or n_valid == len(X):
        raise ValueError(
            f"valid_fraction={valid_fraction} leaves an empty split of {len(X)} samples"
        )
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    valid_idx, train_idx = order[:n_valid], order[n_valid:]
    shuffle_generator = torch.Generator().manual_seed(seed + 1)
    trainloader = DataLoader(
        TensorDataset(X[train_idx], y[train_idx]),
        batch_size=batch_size,
        shuffle=True,
        generator=shuffle_generator,
    )
    # Even an unshuffled DataLoader draws a seed from its generator at every pass: give the
    # validation loader its own too, so validating never shifts the global random stream.
    validloader = DataLoader(
        TensorDataset(X[valid_idx], y[valid_idx]),
        batch_size=batch_size,
        generator=torch.Generator().manual_seed(seed + 2),
    )
    return trainloader, validloader
