"""StackedMLP runs S networks at once and trains them exactly as S separate runs would."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.stacked import StackedMLP


def make_net(seed: int, hidden: int = 8) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
    )


def test_each_slice_computes_its_own_network():
    nets = [make_net(seed) for seed in range(3)]
    x = torch.linspace(-2, 2, 7).unsqueeze(1)
    stacked = StackedMLP(nets)(x)
    assert stacked.shape == (3, 7)
    for s, net in enumerate(nets):
        assert torch.allclose(stacked[s], net(x).squeeze(1), atol=1e-6)


def test_hidden_activations_are_each_networks_relu_outputs():
    nets = [make_net(seed) for seed in range(3)]
    x = torch.linspace(-2, 2, 7).unsqueeze(1)
    hidden = StackedMLP(nets).hidden_activations(x)
    assert [h.shape for h in hidden] == [(3, 7, 8), (3, 7, 8)]
    for s, net in enumerate(nets):
        first = net[1](net[0](x))
        assert torch.allclose(hidden[0][s], first, atol=1e-6)
        assert torch.allclose(hidden[1][s], net[3](net[2](first)), atol=1e-6)


def test_adam_on_the_summed_loss_equals_separate_runs():
    X = torch.linspace(-3, 3, 20).unsqueeze(1)
    y = torch.sin(X).squeeze(1)
    nets = [make_net(seed) for seed in range(3)]
    stacked = StackedMLP(nets)
    optimizer = torch.optim.Adam(stacked.parameters(), lr=0.01, weight_decay=1e-3)
    for _ in range(30):
        optimizer.zero_grad()
        ((stacked(X) - y) ** 2).mean(dim=1).sum().backward()
        optimizer.step()
    for s, net in enumerate(nets):
        single = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
        for _ in range(30):
            single.zero_grad()
            ((net(X).squeeze(1) - y) ** 2).mean().backward()
            single.step()
        assert torch.allclose(stacked(X)[s], net(X).squeeze(1), atol=1e-5)


def make_dropout_net(p: float, activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(1, 64), activation(), nn.Dropout(p), nn.Linear(64, 1))


def test_the_dropout_rate_is_read_from_the_networks():
    assert StackedMLP([make_dropout_net(0.3), make_dropout_net(0.3)]).dropout.p == 0.3
    assert StackedMLP([make_net(0)]).dropout.p == 0.0
    assert StackedMLP([make_dropout_net(0.3)], dropout=0.3).dropout.p == 0.3


def test_dropout_acts_in_training_mode_only():
    stacked = StackedMLP([make_dropout_net(0.5)])
    x = torch.ones(5, 1)
    stacked.eval()
    assert torch.equal(stacked(x), stacked(x))
    stacked.train()
    torch.manual_seed(0)
    assert not torch.equal(stacked(x), stacked(x))


@pytest.mark.parametrize(
    ("networks", "kwargs", "error", "match"),
    [
        (make_net(0), {}, TypeError, "networks"),
        ([], {}, TypeError, "networks"),
        (["net"], {}, TypeError, "networks"),
        ([make_net(0), make_net(1, hidden=4)], {}, ValueError, "networks"),
        ([nn.ReLU()], {}, ValueError, "networks"),
        ([make_net(0)], {"dropout": 1.0}, ValueError, "dropout"),
        ([make_net(0)], {"dropout": 0.5}, ValueError, "differs from the networks' own"),
        ([make_dropout_net(0.2), make_dropout_net(0.5)], {}, ValueError, "same dropout rate"),
        ([make_dropout_net(0.2, nn.Tanh)], {}, ValueError, "contains Tanh"),
        ([nn.Sequential(nn.Linear(1, 4), nn.Linear(4, 1))], {}, ValueError, "Linear, ReLU"),
        ([nn.Sequential(nn.Linear(1, 4), nn.ReLU())], {}, ValueError, "Linear, ReLU"),
        ([make_net(0)], {"dropout": "0.5"}, TypeError, "dropout"),
    ],
)
def test_bad_arguments_name_the_argument(networks, kwargs, error, match):
    with pytest.raises(error, match=match):
        StackedMLP(networks, **kwargs)
