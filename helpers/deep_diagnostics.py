"""Per-layer diagnostics of a :class:`~helpers.deep.DeepMLP`, as practitioners read them.

``grad_to_weight_ratios`` gives ``‖∂L/∂W‖ / ‖W‖`` for every linear layer: how large a gradient is
relative to the weights it will change (times the learning rate, the relative size of a plain
SGD step). ``saturated_fractions`` counts, per hidden layer, the activations whose local slope is
almost zero (a saturated sigmoid or tanh, an inactive ReLU), and ``activations_and_grads`` returns
every hidden layer's activations with the gradient of the loss with respect to them, for
histograms.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers._checks import check_number
from helpers.deep import DeepMLP, _check_model_and_input, layer_grad_norms


def grad_to_weight_ratios(model: nn.Module) -> list[float]:
    """``‖∂L/∂W‖ / ‖W‖`` (Frobenius norms) for every ``nn.Linear`` layer, in module order.

    Call it after ``loss.backward()``. Dividing by ``‖W‖`` puts layers of different sizes on one
    scale, and ``lr * ratio`` is the relative change a plain SGD step makes to the layer: around
    ``1e-3`` is a healthy step, ``1e-7`` a frozen layer and anything near ``1`` or above a step
    that rewrites the weights. The ratio itself is proportional to the scale of the loss, as the
    raw gradient norm is (a loss times 100 gives ratios times 100); only ``lr * ratio``, the
    relative SGD step, is free of it, because a change of loss scale is absorbed by the learning
    rate.

    Raises:
        TypeError: if ``model`` is not an ``nn.Module``.
        ValueError: if ``model`` has no linear layer, or a layer has no gradient yet.
    """
    grad_norms = layer_grad_norms(model)  # checks the model and that every layer has a gradient
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return [
        grad / layer.weight.detach().double().norm().item()
        for grad, layer in zip(grad_norms, linears, strict=True)
    ]


def saturated_fractions(model: DeepMLP, x: torch.Tensor, level: float = 0.1) -> list[float]:
    """For every hidden layer, the fraction of activations whose slope is almost zero.

    An entry (one sample, one unit) counts when the derivative of the activation at its input is
    below ``level`` times the activation's largest derivative: ``|z| > 3.6`` for the sigmoid
    (slope below 0.025), ``|z| > 1.8`` for tanh (below 0.1), ``z <= 0`` for ReLU (slope 0), and
    for LeakyReLU ``z <= 0`` when its negative slope is below ``level``. Such an entry passes back
    less than ``level`` of the gradient it could.

    Raises:
        TypeError: if ``model`` is not a :class:`DeepMLP`, or ``x`` or ``level`` has a wrong type.
        ValueError: if ``x`` has a wrong shape, or ``level`` is not in ``(0, 1]``.
    """
    _check_model_and_input(model, x)
    check_number("level", level, minimum=0.0, strict=True)
    if level > 1:
        raise ValueError(f"level must be at most 1, got {level}")
    with torch.no_grad():
        pre, _ = model.trace(x)
    fractions = []
    for z in pre:
        z = z.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            model.activation(z).sum().backward()
        slope = z.grad.abs()
        largest = {"Sigmoid": 0.25, "Tanh": 1.0}.get(type(model.activation).__name__, 1.0)
        fractions.append((slope < level * largest).float().mean().item())
    return fractions


def activations_and_grads(
    model: DeepMLP, x: torch.Tensor, y: torch.Tensor
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Every hidden layer's activations on ``x``, and the gradient of the MSE loss w.r.t. them.

    Runs one forward and backward pass of ``mse_loss(model(x).squeeze(1), y)`` (the model's
    parameter gradients are left untouched). Returns ``(post, grads)``: for hidden layer ``i``,
    ``post[i]`` is its activation output, shape ``(N, width)``, and ``grads[i]`` is
    ``∂L/∂post[i]``, the signal that backpropagation sends into it from above.

    Raises:
        TypeError, ValueError: as :func:`helpers.deep.activation_stds`; and if ``y`` is not a
            tensor of shape ``(N,)``.
    """
    _check_model_and_input(model, x)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"y must be a torch.Tensor, got {type(y).__name__}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {tuple(y.shape)}")
    _, post = model.trace(x)
    loss = nn.functional.mse_loss(model.output(post[-1]).squeeze(1), y)
    grads = torch.autograd.grad(loss, post)
    return [a.detach() for a in post], [g.detach() for g in grads]
