"""Several small networks trained at once, for comparisons over seeds.

A claim such as "weight decay beats dropout here" needs several seeds, and training five tiny
networks one after the other costs five times Python's per-call overhead, which dominates for
networks this small. :class:`StackedMLP` holds the weights of ``S`` independent multilayer
perceptrons in tensors with a leading seed dimension and runs all ``S`` with batched matrix
products. The seeds never interact: the loss to minimise is the *sum* of the per-network losses,
whose gradient with respect to network ``s``'s weights is the gradient of network ``s``'s own loss,
and SGD, Adam and AdamW update every weight element from its own gradient alone. So one optimizer
over a ``StackedMLP`` trains ``S`` separate networks (dropout draws different masks than ``S``
separate runs would, from the same distribution).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from helpers._checks import check_number


class StackedMLP(nn.Module):
    """``S`` independent MLPs (Linear, ReLU, Dropout, ..., Linear) evaluated in one pass.

    Args:
        networks: ``S`` models with the same architecture: ``nn.Linear`` layers with a ``nn.ReLU``
            after every one but the last, optionally followed by one ``nn.Dropout`` (containers
            such as ``nn.Sequential`` are fine). Each network's ``nn.Linear`` layers, in the order
            ``modules()`` yields them, are copied (so network ``s`` starts from exactly the
            weights it was initialised with). Between two linear layers the stacked model applies
            ReLU, then dropout with the networks' own rate.
        dropout: the probability of zeroing a hidden activation in training mode (PyTorch's
            convention: the *drop* probability), in ``[0, 1)``. ``None``, the default, reads it
            from the networks' ``nn.Dropout`` layers (0 if they have none); a number must equal
            that rate, so that the stack trains the networks it was given.

    Raises:
        TypeError: ``networks`` is not a non-empty list of modules, or ``dropout`` not a number.
        ValueError: the networks differ in their layer shapes or dropout rates, contain a module
            other than ``nn.Linear``, ``nn.ReLU`` and ``nn.Dropout`` (another activation would be
            silently replaced by ReLU), do not follow the pattern above, or ``dropout`` differs
            from their rate.

    Shapes:
        input ``(N, in_features)``, the same for every network; output ``(S, N)`` when the last
        layer has one output (``(S, N, out_features)`` otherwise).

    Example:
        >>> import torch
        >>> from torch import nn
        >>> nets = [nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1)) for _ in range(3)]
        >>> StackedMLP(nets)(torch.zeros(10, 1)).shape
        torch.Size([3, 10])
    """

    def __init__(self, networks: Sequence[nn.Module], dropout: float | None = None) -> None:
        super().__init__()
        if isinstance(networks, nn.Module) or not isinstance(networks, Sequence) or not networks:
            raise TypeError("networks must be a non-empty list of nn.Module")
        for net in networks:
            if not isinstance(net, nn.Module):
                raise TypeError(f"networks must hold nn.Module objects, got {type(net).__name__}")
        if dropout is not None:
            check_number("dropout", dropout, minimum=0.0, strict=False)
            if dropout >= 1:
                raise ValueError(f"dropout must be below 1, got {dropout}")
        rates = {_dropout_rate(net, s) for s, net in enumerate(networks)}
        if len(rates) > 1:
            raise ValueError(f"networks must all have the same dropout rate, got {sorted(rates)}")
        rate = rates.pop()
        if dropout is not None and dropout != rate:
            raise ValueError(
                f"dropout={dropout} differs from the networks' own dropout rate {rate}: the stack "
                "would train other networks than the ones given"
            )
        layers = [[m for m in net.modules() if isinstance(m, nn.Linear)] for net in networks]
        shapes = [tuple(layer.weight.shape for layer in net) for net in layers]
        if not shapes[0] or any(s != shapes[0] for s in shapes):
            raise ValueError("networks must all have the same, non-empty stack of nn.Linear layers")
        # weight[l] has shape (S, fan_in, fan_out) so that x @ weight works; bias (S, 1, fan_out)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([net[i].weight.detach().T for net in layers]).clone())
            for i in range(len(shapes[0]))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([net[i].bias.detach().unsqueeze(0) for net in layers]).clone())
            for i in range(len(shapes[0]))
        )
        self.dropout = nn.Dropout(rate)

    @property
    def seeds(self) -> int:
        """The number of networks ``S``."""
        return self.weights[0].shape[0]

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The ReLU outputs of every hidden layer, for every network, without dropout.

        Layer ``l`` of network ``s`` computes ``h = relu(b + h_prev @ W)``; this returns those
        ``h``, one tensor of shape ``(S, N, width)`` per hidden layer (for example, to count the
        units that are active on some input). Dropout is not applied, whatever the mode.

        Args:
            x: inputs of shape ``(N, in_features)``, the same for every network.
        """
        h = x.expand(self.seeds, *x.shape)
        hidden = []
        for weight, bias in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = torch.relu(torch.baddbmm(bias, h, weight))
            hidden.append(h)
        return hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run every network on the same inputs ``x`` of shape ``(N, in_features)``."""
        h = x.expand(self.seeds, *x.shape)
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias, h, weight)  # bias + h @ weight, for every network at once
            if i < last:
                h = self.dropout(torch.relu(h))
        return h.squeeze(-1) if h.shape[-1] == 1 else h


def _dropout_rate(net: nn.Module, index: int) -> float:
    """The dropout rate of ``net`` (0 without dropout), after checking that its layers are
    Linear, ReLU and at most one Dropout after each ReLU, ending with a Linear."""
    leaves = [m for m in net.modules() if next(m.children(), None) is None]
    where = f"networks[{index}]"
    for module in leaves:
        if not isinstance(module, (nn.Linear, nn.ReLU, nn.Dropout)):
            raise ValueError(
                f"{where} contains {type(module).__name__}: StackedMLP rebuilds only nn.Linear, "
                "nn.ReLU and nn.Dropout layers, and would silently replace it"
            )
    kinds = "".join(
        "L" if isinstance(m, nn.Linear) else "R" if isinstance(m, nn.ReLU) else "D" for m in leaves
    )
    pattern = kinds.replace("LRD", "|").replace("LR", "|")
    if not kinds or pattern.strip("|") != "L" or pattern.count("|") != kinds.count("L") - 1:
        raise ValueError(
            f"{where} must be Linear, ReLU, optional Dropout, ..., Linear; got the layers "
            f"{[type(m).__name__ for m in leaves]}"
        )
    rates = {m.p for m in leaves if isinstance(m, nn.Dropout)}
    if len(rates) > 1:
        raise ValueError(f"{where} uses several dropout rates {sorted(rates)}; StackedMLP uses one")
    return rates.pop() if rates else 0.0
