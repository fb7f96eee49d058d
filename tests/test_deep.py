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


# --- second edition: spread across samples, layer norm, repr, argument errors -----------------


def test_activation_stds_over_samples_is_the_mean_per_unit_spread_and_ignores_offsets():
    torch.manual_seed(0)
    x = torch.randn(50, 1)
    model = make_mlp(4, width=8, activation="tanh", in_features=1)
    _, post = model.trace(x)
    expected = [a.std(dim=0).mean().item() for a in post]
    assert activation_stds(model, x, over="samples") == pytest.approx(expected)
    # A constant input gives zero spread across samples but a nonzero pooled spread (offsets).
    same = torch.full((20, 1), 0.7)
    assert activation_stds(model, same, over="samples") == [0.0, 0.0, 0.0]
    assert min(activation_stds(model, same)) > 0


def test_default_init_keeps_random_biases_that_inflate_the_pooled_spread():
    torch.manual_seed(0)
    x = torch.randn(256, 64)
    model = make_mlp(12, width=64, activation="relu", in_features=64)
    pooled = activation_stds(model, x)
    samples = activation_stds(model, x, over="samples")
    # the pooled value shrinks much more slowly than the spread across inputs (biases' offsets)
    assert pooled[-1] / pooled[0] > 100 * (samples[-1] / samples[0])


@pytest.mark.parametrize(
    ("over", "error"), [("units", ValueError), (0, TypeError), (None, TypeError)]
)
def test_activation_stds_rejects_a_bad_over(over, error):
    with pytest.raises(error, match="over"):
        activation_stds(make_mlp(3), torch.zeros(4, 1), over=over)


def test_activation_stds_needs_two_samples_and_the_right_width():
    with pytest.raises(ValueError, match="2 samples"):
        activation_stds(make_mlp(3), torch.zeros(1, 1))
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        activation_stds(make_mlp(3), torch.zeros(4, 2))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        dead_fractions(make_mlp(3), [[0.0]])


def test_layer_norm_normalises_each_sample_over_its_units():
    torch.manual_seed(0)
    model = make_mlp(4, width=6, activation="tanh", layer_norm=True, in_features=2)
    assert sum(isinstance(m, nn.LayerNorm) for m in model.modules()) == 3
    x = torch.randn(5, 2)
    pre, _ = model.trace(x)
    for z in pre:  # gamma = 1, beta = 0 at init: each row has mean 0 and variance 1
        assert torch.allclose(z.mean(dim=1), torch.zeros(5), atol=1e-5)
        assert torch.allclose(z.var(dim=1, unbiased=False), torch.ones(5), atol=1e-3)
    # one sample's output does not depend on the rest of the batch (batch norm's would)
    assert torch.allclose(model(x)[:1], model(x[:1]), atol=1e-6)


def test_batch_norm_and_layer_norm_together_are_refused():
    with pytest.raises(ValueError, match="batch_norm and layer_norm"):
        make_mlp(3, batch_norm=True, layer_norm=True)
    with pytest.raises(TypeError, match="layer_norm"):
        make_mlp(3, layer_norm=1)


def test_print_shows_the_layers_and_whether_there_are_skips():
    text = repr(make_mlp(3, activation="relu", skip=True))
    assert "skip=True" in text and "ReLU()" in text and "Linear(in_features=32" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"depth": 3, "negative_slope": "0.1"}, TypeError, "negative_slope"),
        ({"depth": 3, "negative_slope": -0.1}, ValueError, "negative_slope"),
        ({"depth": 3, "init": math.inf}, ValueError, "init"),
        ({"depth": 3, "init": True}, TypeError, "init"),
    ],
)
def test_more_bad_arguments_raise_naming_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        make_mlp(**kwargs)


# --- helpers.deep_diagnostics ---------------------------------------------------------------------


def test_grad_to_weight_ratios_divide_each_gradient_norm_by_its_weight_norm():
    from helpers.deep_diagnostics import grad_to_weight_ratios

    torch.manual_seed(0)
    model = make_mlp(4, width=5, activation="tanh", in_features=2)
    nn.functional.mse_loss(model(torch.randn(6, 2)), torch.randn(6, 1)).backward()
    expected = [
        layer.weight.grad.norm().item() / layer.weight.norm().item() for layer in model.linears
    ]
    assert grad_to_weight_ratios(model) == pytest.approx(expected, rel=1e-6)
    with torch.no_grad():  # doubling the weights of layer 2 halves its ratio, gradients unchanged
        model.linears[1].weight.mul_(2)
    assert grad_to_weight_ratios(model)[1] == pytest.approx(expected[1] / 2, rel=1e-6)
    model.zero_grad()  # the ratio scales with the loss (the docstring says so): loss x 100
    x, t = torch.randn(6, 2), torch.randn(6, 1)
    nn.functional.mse_loss(model(x), t).backward()
    once = grad_to_weight_ratios(model)
    model.zero_grad()
    (100 * nn.functional.mse_loss(model(x), t)).backward()
    assert grad_to_weight_ratios(model) == pytest.approx([100 * r for r in once], rel=1e-5)
    with pytest.raises(ValueError, match="backward"):
        grad_to_weight_ratios(make_mlp(3))
    with pytest.raises(TypeError, match="model"):
        grad_to_weight_ratios([1, 2])


@pytest.mark.parametrize(
    ("activation", "z", "expected"),
    [
        ("tanh", [0.0, 1.0, 1.9, -3.0], 0.5),  # slope < 0.1 beyond |z| = 1.82
        ("sigmoid", [0.0, 3.0, 3.7, -5.0], 0.5),  # slope < 0.025 beyond |z| = 3.65
        ("relu", [0.5, -0.5, 0.0, 2.0], 0.5),  # slope 0 for z <= 0
        ("leaky_relu", [0.5, -0.5, -1.0, 2.0], 0.5),  # slope 0.01 < 0.1
    ],
)
def test_saturated_fractions_count_entries_with_an_almost_flat_slope(activation, z, expected):
    from helpers.deep_diagnostics import saturated_fractions

    model = make_mlp(2, width=1, activation=activation, in_features=1)
    with torch.no_grad():  # the hidden pre-activation equals the input
        model.linears[0].weight.fill_(1.0)
        model.linears[0].bias.zero_()
    x = torch.tensor(z).unsqueeze(1)
    assert saturated_fractions(model, x) == [pytest.approx(expected)]
    with pytest.raises(ValueError, match="level"):
        saturated_fractions(model, x, level=0.0)


def test_activations_and_grads_match_autograd_and_leave_parameter_grads_alone():
    from helpers.deep_diagnostics import activations_and_grads

    torch.manual_seed(0)
    model = make_mlp(4, width=5, activation="sigmoid", in_features=1)
    x, y = torch.randn(7, 1), torch.randn(7)
    post, grads = activations_and_grads(model, x, y)
    assert all(p.grad is None for p in model.parameters())
    # the last hidden layer feeds the output layer: dL/da = 2/N (out - y) w_out
    out = model(x).squeeze(1).detach()
    expected = (2 / 7) * (out - y).unsqueeze(1) * model.output.weight.detach()
    assert torch.allclose(grads[-1], expected, atol=1e-6)
    assert [p.shape for p in post] == [(7, 5)] * 3
    with pytest.raises(ValueError, match="y must have shape"):
        activations_and_grads(model, x, torch.randn(7, 1))


# --- helpers.deep_plots -------------------------------------------------------------------------


def test_plot_per_layer_leaves_out_and_counts_what_a_log_axis_cannot_show():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.deep_plots import plot_per_layer

    fig, ax = plt.subplots()
    plot_per_layer(ax, {"a": [1.0, 0.0, 0.5, math.inf], "b": [1.0, 2.0, 3.0, 4.0]}, ylabel="y")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (1 exactly 0, not drawn, 1 inf/nan)", "b"]
    first, second = ax.get_lines()
    assert first.get_marker() != second.get_marker()
    assert math.isnan(first.get_ydata()[1]) and ax.get_yscale() == "log"
    assert all(float(t).is_integer() for t in ax.get_xticks())
    plt.close(fig)
    with pytest.raises(ValueError, match="series"):
        plot_per_layer(ax, {}, ylabel="y")


def test_plot_loss_runs_draws_the_median_and_says_how_many_seeds_diverged():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.deep_plots import plot_loss_runs

    fig, ax = plt.subplots()
    plot_loss_runs(
        ax, {"ok": [[3.0, 2.0], [1.0, 4.0], [2.0, 3.0]], "bad": [[1.0, math.inf]]}, reference=0.5
    )
    ok_line, bad_line, reference = ax.get_lines()
    assert list(ok_line.get_ydata()) == [2.0, 3.0]  # the per-epoch median of three seeds
    assert list(bad_line.get_ydata()) == [1.0]  # stops at the last finite epoch
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1] == "bad (1 of 1 seeds diverged)" and list(reference.get_ydata()) == [0.5, 0.5]
    plt.close(fig)


def test_plot_layer_histograms_rejects_a_layer_that_does_not_exist():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.deep_plots import plot_layer_histograms

    fig, ax = plt.subplots()
    plot_layer_histograms(ax, [torch.randn(10), torch.randn(10)], [1, 2], xlabel="v")
    assert len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="layers"):
        plot_layer_histograms(ax, [torch.randn(10)], [2], xlabel="v")
    plt.close(fig)


def test_plot_per_layer_places_the_legend_and_drops_minor_log_ticks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from helpers.deep_plots import plot_per_layer

    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_per_layer(ax1, {"a": [1e-12, 1e-6, 1.0]}, ylabel="y", legend_loc="lower right")
    assert ax1.get_legend()._loc == 4  # matplotlib's code for "lower right"
    assert isinstance(ax1.yaxis.get_minor_locator(), NullLocator)
    plot_per_layer(ax2, {"a": [1.0, 2.0, 3.0]}, ylabel="y")  # within a decade: keep them
    assert not isinstance(ax2.yaxis.get_minor_locator(), NullLocator)
    assert ax2.get_legend()._loc == 0  # "best" by default
    plt.close(fig)


def test_plot_layer_histograms_summarises_by_mean_abs_or_mean():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.deep_plots import plot_layer_histograms

    values = [torch.tensor([-19.0, -21.0]), torch.tensor([-1.0, 3.0])]
    fig, ax = plt.subplots()
    plot_layer_histograms(ax, values, [1, 2], xlabel="log10 |g|", summary="mean")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "layer 1 (mean -20)",
        "layer 2 (mean 1)",
    ]
    ax.clear()
    plot_layer_histograms(ax, values, [2], xlabel="v")
    assert ax.get_legend().get_texts()[0].get_text() == "layer 2 (mean |·| 2)"
    with pytest.raises(ValueError, match="summary"):
        plot_layer_histograms(ax, values, [1], xlabel="v", summary="median")
    plt.close(fig)
