"""The tiny network of notebook 01: its data and weights, defined once.

Notebook 01 (``notebooks/01_backpropagation.ipynb``) runs its forward and backward pass by hand
on this network, and ``tools/draw_graphs.py`` draws the same numbers on the computational graph;
both import :func:`tiny_network`, so the figures cannot drift from the notebook
(``tests/test_draw_graphs.py`` checks that the notebook imports it).

The network has one input, three ``tanh`` hidden units and one output, and is fitted with the mean
squared error on four points. The weights are round numbers (no random initialisation) so that a
student can follow every value, and notebook 02 can rebuild exactly the same network.
"""

from __future__ import annotations

import torch

__all__ = ["tiny_network"]


def tiny_network(dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """Fresh copies of the data and weights of notebook 01's tiny network.

    Args:
        dtype: floating-point type of every tensor (float64 by default, so that the gradient
            checks are sharp).

    Returns:
        A dict with the inputs ``x`` (shape ``(4,)``), the targets ``y`` (``(4,)``), and the
        weights in ``torch.nn.Linear``'s layout: ``W1`` (``(3, 1)``, like ``Linear(1, 3).weight``),
        ``b1`` (``(3,)``), ``W2`` (``(1, 3)``, like ``Linear(3, 1).weight``) and ``b2`` (``(1,)``).
        Every call returns new tensors: changing one does not change the next call's.

    Raises:
        TypeError: if ``dtype`` is not a floating-point ``torch.dtype``.

    Example:
        >>> net = tiny_network()
        >>> net["W1"].shape, net["W2"].shape
        (torch.Size([3, 1]), torch.Size([1, 3]))
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    return {
        "x": torch.tensor([-1.5, -0.5, 0.5, 1.5], dtype=dtype),
        "y": torch.tensor([1.0, -0.2, 0.1, 0.9], dtype=dtype),
        "W1": torch.tensor([[0.8], [-1.2], [0.5]], dtype=dtype),
        "b1": torch.tensor([0.1, 0.3, -0.2], dtype=dtype),
        "W2": torch.tensor([[0.6, -0.9, 0.4]], dtype=dtype),
        "b2": torch.tensor([0.2], dtype=dtype),
    }
