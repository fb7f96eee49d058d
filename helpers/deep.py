"""Deep MLPs for studying vanishing and exploding gradients, and the measurements to go with them.

``make_mlp`` builds a plain multilayer perceptron of a given depth (the number of ``nn.Linear``
layers) with a chosen activation and initialisation, optionally with batch or layer
normalisation and skip connections. ``layer_grad_norms`` reads the Frobenius norm of every
layer's weight gradient after a backward pass, ``activation_stds`` the spread of every hidden
representation in a forward pass (pooled, or across the samples of the batch unit by unit), and
``dead_fractions`` the share of units in each layer that never switch on for a batch.

"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from helpers._checks import check_flags, check_int, check_number

Activation = Literal["sigmoid", "tanh", "relu", "leaky_relu"]
Init = Literal["default", "naive", "xavier", "kaiming"]

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu")
INITS: tuple[str, ...] = ("default", "naive", "xavier", "kaiming")
SPREADS: tuple[str, ...] = ("all", "samples")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """``value`` must be a str (TypeError) and one of ``choices`` (ValueError)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


class DeepMLP(nn.Module):
    """A multilayer perceptron of ``depth`` linear layers, made by :func:`make_mlp`.

    Without skip connections it computes ``Linear, [BatchNorm1d or LayerNorm,] activation,
    Linear, ..., activation, Linear``: an ordinary MLP. With skip connections every linear layer
    between the first and the last becomes a residual branch,
    ``h = h + linear(activation(norm(h)))`` (the "pre-activation" residual block of He et al.,
    2016), so the input of each such layer also reaches its output unchanged.

    Attributes:
        hidden: the ``depth - 1`` linear layers before the output layer, input side first.
        norms: one ``nn.BatchNorm1d``, ``nn.LayerNorm`` or ``nn.Identity`` per hidden layer,
            applied to its output before the activation.
        activation: the activation module, shared by all hidden layers (it has no parameters).
        output: the final ``nn.Linear`` layer.
        skip: whether the middle linear layers are residual branches.
    """

    def __init__(
        self,
        hidden: list[nn.Linear],
        norms: list[nn.Module],
        activation: nn.Module,
        output: nn.Linear,
        skip: bool,
    ) -> None:
        super().__init__()
        self.hidden = nn.ModuleList(hidden)
        self.norms = nn.ModuleList(norms)
        self.activation = activation
        self.output = output
        self.skip = skip

    def extra_repr(self) -> str:
        """Shown by ``print(model)``: whether the middle layers are residual branches."""
        return f"skip={self.skip}"

    @property
    def linears(self) -> list[nn.Linear]:
        """All ``depth`` linear layers in order, the output layer last."""
        return [*self.hidden, self.output]

    def trace(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Run the hidden layers on ``x`` and return what each activation saw and produced.

        Returns:
            ``(pre, post)``: for every hidden layer ``i``, the input of its activation
            ``norm_i(h_i)`` (where ``h_i`` is the output of linear layer ``i``, plus ``h_{i-1}``
            with skip connections) and the activation's output, which feeds the next layer.
        """
        pre: list[torch.Tensor] = []
        post: list[torch.Tensor] = []
        h = self.hidden[0](x)
        for i, norm in enumerate(self.norms):
            z = norm(h)
            a = self.activation(z)
            pre.append(z)
            post.append(a)
            if i + 1 < len(self.hidden):
                branch = self.hidden[i + 1](a)
                h = h + branch if self.skip else branch
        return pre, post

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output for a batch ``x`` of shape ``(N, in_features)``."""
        _, post = self.trace(x)
        return self.output(post[-1])


def make_mlp(
    depth: int,
    width: int = 32,
    *,
    activation: Activation = "sigmoid",
    init: Init | float = "default",
    batch_norm: bool = False,
    skip: bool = False,
    layer_norm: bool = False,
    in_features: int = 1,
    out_features: int = 1,
    negative_slope: float = 0.01,
) -> DeepMLP:
    """Build an MLP with ``depth`` linear layers (``depth - 1`` hidden layers and the output).

    Args:
        depth: the number of ``nn.Linear`` layers, at least 2.
        width: the number of units in every hidden layer.
        activation: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"leaky_relu"``.
        init: how to draw the weights of every linear layer. ``"default"`` keeps PyTorch's
            (uniform with standard deviation ``1 / sqrt(3 * fan_in)``, biases likewise);
            ``"naive"`` draws from ``N(0, 1)``; ``"xavier"`` (Glorot, meant for tanh) from
            ``N(0, 2 / (fan_in + fan_out))``; ``"kaiming"`` (He, meant for ReLU) from
            ``N(0, 2 / ((1 + slope**2) * fan_in))`` with ``slope`` 0 for ReLU; a float ``s`` from
            ``N(0, s**2)``. Every choice but ``"default"`` sets the biases to zero; ``"default"``
            keeps PyTorch's random biases, uniform in ``±1 / sqrt(fan_in)``.
        batch_norm: put an ``nn.BatchNorm1d`` between each hidden linear layer and its activation:
            it standardises every unit's pre-activation over the mini-batch (in training mode) or
            with running averages of those statistics (in eval mode).
        skip: make every linear layer but the first and the last a residual branch,
            ``h = h + linear(activation(norm(h)))``, so gradients also flow around it.
        layer_norm: put an ``nn.LayerNorm`` there instead: it standardises each sample over the
            units of the layer, so it does not depend on the other samples of the batch. At most
            one of ``batch_norm`` and ``layer_norm`` may be set.
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        negative_slope: the slope of ``"leaky_relu"`` for negative inputs.

    Returns:
        A :class:`DeepMLP`; ``model.linears`` lists its linear layers in order.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument has a wrong value; the message names the argument.

    Example:
        >>> model = make_mlp(20, activation="relu", init="kaiming", skip=True)
        >>> len(model.linears)
        20
    """
    check_int("depth", depth, minimum=2)
    check_int("width", width, minimum=1)
    check_int("in_features", in_features, minimum=1)
    check_int("out_features", out_features, minimum=1)
    check_flags(batch_norm=batch_norm, skip=skip, layer_norm=layer_norm)
    if batch_norm and layer_norm:
        raise ValueError("batch_norm and layer_norm cannot both be True: choose one")
    _check_choice("activation", activation, ACTIVATIONS)
    if isinstance(init, str):
        _check_choice("init", init, INITS)
    else:
        try:
            check_number("init", init, minimum=0.0, strict=True)
        except TypeError:
            raise TypeError(f"init must be a str or a float, got {type(init).__name__}") from None
        except ValueError:
            raise ValueError(
                f"init as a standard deviation must be finite and > 0, got {init!r}"
            ) from None
    check_number("negative_slope", negative_slope, minimum=0.0, strict=False)
    if negative_slope >= 1:
        raise ValueError(f"negative_slope must lie in [0, 1), got {negative_slope!r}")

    sizes = [in_features] + [width] * (depth - 1)
    hidden = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    output = nn.Linear(width, out_features)
    norms: list[nn.Module] = [_norm(width, batch_norm, layer_norm) for _ in hidden]
    module = {
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(negative_slope),
    }[activation]
    slope = negative_slope if activation == "leaky_relu" else 0.0
    for layer in [*hidden, output]:
        _initialise(layer, init, slope)
    return DeepMLP(hidden, norms, module, output, skip)


def _norm(width: int, batch_norm: bool, layer_norm: bool) -> nn.Module:
    if batch_norm:
        return nn.BatchNorm1d(width)
    if layer_norm:
        return nn.LayerNorm(width)
    return nn.Identity()


def _initialise(layer: nn.Linear, init: str | float, slope: float) -> None:
    if init == "default":
        return
    fan_out, fan_in = layer.weight.shape
    if init == "naive":
        std = 1.0
    elif init == "xavier":
        std = math.sqrt(2.0 / (fan_in + fan_out))
    elif init == "kaiming":
        std = math.sqrt(2.0 / ((1.0 + slope**2) * fan_in))
    else:
        std = float(init)
    with torch.no_grad():
        layer.weight.normal_(0.0, std)
        layer.bias.zero_()


def layer_grad_norms(model: nn.Module) -> list[float]:
    """The Frobenius norm of the weight gradient of every ``nn.Linear`` layer, in module order.

    The Frobenius norm of a matrix is the 2-norm of all its entries taken as one vector,
    ``sqrt(sum_ij g_ij**2)``.

    Call it after ``loss.backward()``. For a :class:`DeepMLP` the order is input side first,
    output layer last. Biases and batch-norm parameters are not included. The norm is computed
    in float64: in float32, squaring entries below about ``1e-23`` underflows, and
    ``torch.linalg.vector_norm`` returns ``0.0`` for a gradient that is not zero. A norm of
    ``0.0`` here therefore means that every entry of the gradient is exactly zero.

    Raises:
        TypeError: if ``model`` is not an ``nn.Module``.
        ValueError: if ``model`` has no linear layer, or a linear layer has no gradient yet.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("model has no nn.Linear layer")
    norms = []
    for i, layer in enumerate(linears):
        if layer.weight.grad is None:
            raise ValueError(f"linear layer {i} has no gradient: call loss.backward() first")
        norms.append(layer.weight.grad.detach().double().norm().item())
    return norms


def activation_stds(model: DeepMLP, x: torch.Tensor, *, over: str = "all") -> list[float]:
    """The spread of every hidden layer's activations on the batch ``x``.

    Args:
        model: a network from :func:`make_mlp`.
        x: a batch of inputs, shape ``(N, in_features)`` with ``N >= 2``.
        over: ``"all"`` (the default) pools all samples and units of a layer into one standard
            deviation. ``"samples"`` takes, for every unit, the standard deviation across the
            ``N`` samples, then the mean over the units: how much the layer's output still
            depends on *which* input came in. The two differ when units sit at different
            offsets (for example because of random biases): the pooled value then measures those
            offsets, which are the same for every input and carry no information about it.

    Returns:
        One float per hidden layer, input side first. Computed without gradients, in the model's
        current train/eval mode. ``0.0`` with ``over="samples"`` means that every input gives the
        same activations in that layer.

    Raises:
        TypeError: if ``model`` is not a :class:`DeepMLP`, ``x`` not a tensor or ``over`` not a str.
        ValueError: if ``x`` has the wrong shape or ``over`` is not ``"all"`` or ``"samples"``.
    """
    _check_model_and_input(model, x)
    _check_choice("over", over, SPREADS)
    if x.shape[0] < 2:
        raise ValueError(f"x must hold at least 2 samples to measure a spread, got {x.shape[0]}")
    with torch.no_grad():
        _, post = model.trace(x)
    if over == "samples":
        return [h.std(dim=0).mean().item() for h in post]
    return [h.std().item() for h in post]


def dead_fractions(model: DeepMLP, x: torch.Tensor) -> list[float]:
    """For every hidden layer, the fraction of units whose activation input is never positive.

    A unit counts when its activation input is ``<= 0`` for every sample of the batch ``x``. With
    ReLU such a unit outputs 0 and passes back a zero gradient for every sample: it is "dead" on
    this data. With LeakyReLU the same units still pass back a small gradient.
    """
    _check_model_and_input(model, x)
    with torch.no_grad():
        pre, _ = model.trace(x)
    return [(z <= 0).all(dim=0).float().mean().item() for z in pre]


def _check_model_and_input(model: object, x: object) -> None:
    if not isinstance(model, DeepMLP):
        raise TypeError(f"model must be a DeepMLP from make_mlp, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    in_features = model.hidden[0].in_features
    if x.ndim != 2 or x.shape[1] != in_features:
        raise ValueError(
            f"x must be a 2-D tensor of shape (N, {in_features}), got shape {tuple(x.shape)}"
        )
