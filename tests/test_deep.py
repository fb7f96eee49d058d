"""helpers.deep: the deep MLP builder and the per-layer measurements of notebook 03."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from helpers.deep import activation_stds, dead_fractions, layer_grad_norms, make_mlp


@pytest.mark.parametrize("depth", [2, 3, 7])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_depth_counts_linear_layers_and_shapes_are_right(depth, batch_norm):
    model = make_mlp(depth, width=5, batch_norm=batch_norm, in_features=3, out_features=2)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == depth == len(model.linears)
    assert all(a is b for a, b in zip(linears, model.linears, strict=True))
    assert model.linears[0].in_features == 3 and model.linears[-1].out_features == 2
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == (
        depth - 1 if batch_norm else 0
    )
    assert model(torch.randn(4, 3)).shape == (4, 2)


@pytest.mark.parametrize(
    ("activation", "module"),
    [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh), ("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU)],
)
def test_plain_model_equals_the_same_sequential(activation, module):
    torch.manual_seed(0)
    model = make_mlp(4, width=6, activation=activation, in_features=2)
    a, b, c, d = model.linears
    reference = nn.Sequential(a, module(), b, module(), c, module(), d)
    x = torch.randn(8, 2)
    assert torch.allclose(model(x), reference(x))


def test_skip_adds_the_input_of_each_middle_layer():
    torch.manual_seed(0)
    model = make_mlp(5, width=4, activation="tanh", skip=True, in_features=2)
    first, *middle, last = model.linears
    x = torch.randn(6, 2)
    # Silence every residual branch: what is left is the identity path around it.
    with torch.no_grad():
        for layer in middle:
            layer.weight.zero_()
            layer.bias.zero_()
    assert torch.allclose(model(x), last(torch.tanh(first(x))))
    # With the branches on, each step is h + branch(h), checked by hand.
    torch.manual_seed(1)
    model = make_mlp(4, width=4, activation="relu", skip=True, in_features=2)
    l0, l1, l2, l3 = model.linears
    h = l0(x)
    h = h + l1(torch.relu(h))
    h = h + l2(torch.relu(h))
    assert torch.allclose(model(x), l3(torch.relu(h)))
    plain = make_mlp(4, width=4, activation="relu", skip=False, in_features=2)
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain(x), model(x))


@pytest.mark.parametrize(
    ("init", "activation", "expected"),
    [
        ("naive", "sigmoid", 1.0),
        ("xavier", "tanh", math.sqrt(2 / (200 + 200))),
        ("kaiming", "relu", math.sqrt(2 / 200)),
        ("kaiming", "leaky_relu", math.sqrt(2 / ((1 + 0.01**2) * 200))),
        (0.3, "sigmoid", 0.3),
    ],
)
def test_init_draws_weights_with_the_documented_std_and_zero_bias(init, activation, expected):
    torch.manual_seed(0)
    model = make_mlp(4, width=200, init=init, activation=activation)
    middle = model.linears[1].weight  # 200 x 200 = 40 000 draws
    assert middle.mean().abs().item() < 0.02 * expected
    assert middle.std().item() == pytest.approx(expected, rel=0.02)
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in model.linears)


def test_default_init_is_pytorchs():
    torch.manual_seed(0)
    model = make_mlp(3, width=300)
    bound = 1 / math.sqrt(300)
    weight = model.linears[1].weight
    assert weight.abs().max().item() <= bound
    assert weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert torch.count_nonzero(model.linears[1].bias) > 0


def test_layer_grad_norms_equal_a_manual_computation():
    torch.manual_seed(0)
    model = make_mlp(5, width=6, activation="tanh", batch_norm=True, in_features=2)
    x, y = torch.randn(10, 2), torch.randn(10, 1)
    nn.functional.mse_loss(model(x), y).backward()
    expected = [layer.weight.grad.pow(2).sum().sqrt().item() for layer in model.linears]
    assert layer_grad_norms(model) == pytest.approx(expected, rel=1e-6)
    assert len(layer_grad_norms(model)) == 5


def test_layer_grad_norms_works_on_any_module_and_sees_an_exact_zero():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every ReLU off: no gradient reaches the first layer
    model(torch.randn(4, 2)).sum().backward()
    norms = layer_grad_norms(model)
    assert norms[0] == 0.0 and norms[1] == 0.0  # the second layer's input is all zeros too


def test_layer_grad_norms_do_not_underflow_for_tiny_float32_gradients():
    model = nn.Sequential(nn.Linear(4, 1))
    model[0].weight.grad = torch.full((1, 4), 1e-30)  # squares (1e-60) underflow in float32
    assert torch.linalg.vector_norm(model[0].weight.grad).item() == 0.0
    assert layer_grad_norms(model) == pytest.approx([2e-30], rel=1e-6)


def test_layer_grad_norms_needs_a_backward_pass_and_a_linear_layer():
    with pytest.raises(ValueError, match="backward"):
        layer_grad_norms(make_mlp(3))
    with pytest.raises(ValueError, match="Linear"):
        layer_grad_norms(nn.ReLU())
    with pytest.raises(TypeError, match="model"):
        layer_grad_norms("not a model")


def test_activation_stds_match_the_trace_and_shrink_under_a_small_init():
    torch.manual_seed(0)
    x = torch.randn(64, 1)
    model = make_mlp(6, width=16, activation="tanh", init=0.05)
    _, post = model.trace(x)
    stds = activation_stds(model, x)
    assert stds == pytest.approx([a.std().item() for a in post])
    assert len(stds) == 5 and all(b < a for a, b in zip(stds, stds[1:], strict=False))


def test_dead_fractions_count_units_that_never_switch_on():
    torch.manual_seed(0)
    model = make_mlp(3, width=4, activation="relu", in_features=1)
    x = torch.linspace(-1, 1, 9).unsqueeze(1)
    with torch.no_grad():
        first = model.linears[0]
        first.weight.copy_(torch.tensor([[1.0], [1.0], [0.0], [0.0]]))
        first.bias.copy_(torch.tensor([0.0, -5.0, 1.0, -1.0]))
    # unit 0 is on for x > 0, unit 1 never (x - 5 < 0), unit 2 always, unit 3 never.
    assert dead_fractions(model, x)[0] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"depth": 1}, ValueError, "depth"),
        ({"depth": 3.0}, TypeError, "depth"),
        ({"depth": True}, TypeError, "depth"),
        ({"depth": 3, "width": 0}, ValueError, "width"),
        ({"depth": 3, "activation": "gelu"}, ValueError, "activation"),
        ({"depth": 3, "activation": nn.ReLU}, TypeError, "activation"),
        ({"depth": 3, "init": "he"}, ValueError, "init"),
        ({"depth": 3, "init": -1.0}, ValueError, "init"),
        ({"depth": 3, "init": math.nan}, ValueError, "init"),
        ({"depth": 3, "init": None}, TypeError, "init"),
        ({"depth": 3, "batch_norm": 1}, TypeError, "batch_norm"),
        ({"depth": 3, "skip": "yes"}, TypeError, "skip"),
        ({"depth": 3, "in_features": 0}, ValueError, "in_features"),
        ({"depth": 3, "out_features": 0}, ValueError, "out_features"),
        ({"depth": 3, "negative_slope": 1.5}, ValueError, "negative_slope"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        make_mlp(**kwargs)


def test_measurements_reject_other_models_and_bad_inputs():
    with pytest.raises(TypeError, match="DeepMLP"):
        activation_stds(nn.Linear(1, 1), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="2-D"):
        dead_fractions(make_mlp(3), torch.zeros(4))
