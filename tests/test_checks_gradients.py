"""helpers.checks.gradients: each exercise check accepts the reference answer and diagnoses the
typical wrong ones (and an unfilled answer) with the intended message."""

from __future__ import annotations

import math

import pytest
import torch

from helpers import make_regression
from helpers.checks import ExerciseError
from helpers.checks import gradients as g

# --- exercise 1: Kaiming for LeakyReLU ----------------------------------------------------------


def test_kaiming_leaky_reference_passes_and_equals_torchs_gain(capsys):
    g.check_kaiming_leaky_std(g.kaiming_leaky_std)
    assert capsys.readouterr().out.startswith("Correct:")
    gain = torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert g.kaiming_leaky_std(64, 0.2) == pytest.approx(gain / math.sqrt(64))


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (lambda n, a: math.sqrt(2 / n), "ReLU's formula"),
        (lambda n, a: math.sqrt(2 / ((1 + a) * n)), "a\\*\\*2 \\(the square of the slope\\)"),
        (lambda n, a: math.sqrt(2 / ((1 + a) ** 2 * n)), r"squared the sum, \(1 \+ alpha\)\*\*2"),
        (lambda n, a: 2 / ((1 + a**2) * n), "returned the variance"),
        (lambda n, a: math.sqrt(1 / ((1 + a**2) * n)), "factor 2 is missing"),
        (lambda n, a: 0.1, "Start from"),
        (lambda n, a: None, "not filled in yet"),
        (lambda n, a: ..., "not filled in yet"),
        (lambda n, a: "0.1", "should return a number"),
    ],
)
def test_kaiming_leaky_wrong_answers_get_their_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_kaiming_leaky_std(answer)


# --- exercise 2: batch norm by hand -------------------------------------------------------------


def reference_bn(x, bn):
    if bn.training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    else:
        mean, var = bn.running_mean, bn.running_var
    return bn.weight * (x - mean) / torch.sqrt(var + bn.eps) + bn.bias


def test_batch_norm_reference_passes_and_the_module_state_is_restored(capsys):
    g.check_batch_norm(reference_bn)
    assert "train mode and in eval mode" in capsys.readouterr().out


def always_batch_stats(x, bn):
    mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    return bn.weight * (x - mean) / torch.sqrt(var + bn.eps) + bn.bias


def always_running_stats(x, bn):
    return bn.weight * (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) + bn.bias


def unbiased(x, bn):
    if not bn.training:
        return reference_bn(x, bn)
    return bn.weight * (x - x.mean(dim=0)) / torch.sqrt(x.var(dim=0) + bn.eps) + bn.bias


def over_units(x, bn):
    if not bn.training:
        return reference_bn(x, bn)
    mean, var = x.mean(dim=1, keepdim=True), x.var(dim=1, unbiased=False, keepdim=True)
    return bn.weight * (x - mean) / torch.sqrt(var + bn.eps) + bn.bias


def no_eps(x, bn):
    return bn.weight * (x - x.mean(dim=0)) / x.var(dim=0, unbiased=False).sqrt() + bn.bias


def eps_outside_the_root(x, bn):
    std = x.var(dim=0, unbiased=False).sqrt()
    return bn.weight * (x - x.mean(dim=0)) / (std + bn.eps) + bn.bias  # eps outside the root


def no_affine(x, bn):
    return (x - x.mean(dim=0)) / torch.sqrt(x.var(dim=0, unbiased=False) + bn.eps)


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (always_batch_stats, "in eval mode: you used the batch statistics in eval mode"),
        (always_running_stats, "in train mode: you used the running statistics in train mode"),
        (unbiased, "unbiased variance"),
        (over_units, "that is layer norm"),
        (no_eps, "forgot eps"),
        (eps_outside_the_root, "added eps outside the square root"),
        (no_affine, "forgot the learned scale and shift"),
        (lambda x, bn: x, "differs from nn.BatchNorm1d"),
        (lambda x, bn: x[:, :2], "shape"),
        (lambda x, bn: None, "not filled in yet"),
    ],
)
def test_batch_norm_wrong_answers_get_their_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_batch_norm(answer)


# --- exercise 3: the largest stable learning rate -----------------------------------------------

X, Y = make_regression(200, noise=0.1, seed=0)
LRS = [0.01, 0.1, 0.3, 1.0, 3.0, 10.0]  # the notebook's grid


@pytest.fixture(scope="module")
def reference_lr_max():
    out = {}
    for setting in g.SETTINGS:
        stable = [lr for lr in LRS if g.is_stable_reference(lr, setting, X, Y)]
        out[setting] = max(stable) if stable else None
    return out


def test_the_reference_experiment_separates_the_settings(reference_lr_max):
    # clipping and batch norm both allow a larger learning rate than the plain network, and every
    # setting has an unstable rate on the grid, so each answer is a real limit, not the grid's top
    assert reference_lr_max["plain"] < reference_lr_max["batch norm"] <= reference_lr_max["clipped"]
    assert all(reference_lr_max[s] < LRS[-1] for s in g.SETTINGS)


def test_largest_stable_lr_reference_passes(reference_lr_max, capsys):
    g.check_largest_stable_lr(dict(reference_lr_max), X, Y, LRS)
    assert capsys.readouterr().out.startswith("Correct: largest stable learning rates")


def test_largest_stable_lr_one_step_too_far_is_diagnosed(reference_lr_max):
    answer = dict(reference_lr_max)
    answer["plain"] = LRS[LRS.index(reference_lr_max["plain"]) + 1]
    with pytest.raises(ExerciseError, match="first learning rate that is NOT stable"):
        g.check_largest_stable_lr(answer, X, Y, LRS)


def test_stable_means_ending_below_var_y_and_a_finite_failure_is_named():
    var_y = Y.var(unbiased=False).item()
    end = g.end_loss_reference(3.0, "clipped", X, Y)  # finite, but far above var(y)
    assert math.isfinite(end) and end > var_y and not g.is_stable_reference(3.0, "clipped", X, Y)
    assert g.end_loss_reference(0.3, "clipped", X, Y) < var_y
    answer = {"plain": 0.01, "clipped": 3.0, "batch norm": 0.3}
    with pytest.raises(ExerciseError, match="finite, but worse than predicting the mean"):
        g.check_largest_stable_lr(answer, X, Y, LRS)


def test_an_is_stable_that_never_says_false_is_named():
    # the starter's `return ...` is truthy: every rate of the grid looks stable
    answer = dict.fromkeys(("plain", "clipped", "batch norm"), max(LRS))
    with pytest.raises(ExerciseError, match="is_stable is not filled in yet, or it never returns"):
        g.check_largest_stable_lr(answer, X, Y, LRS)


def test_largest_stable_lr_too_small_is_diagnosed(reference_lr_max):
    answer = dict(reference_lr_max)
    answer["batch norm"] = LRS[0]
    with pytest.raises(ExerciseError, match="is stable too: test every learning rate"):
        g.check_largest_stable_lr(answer, X, Y, LRS)


@pytest.mark.parametrize(
    ("patch", "diagnosis"),
    [
        ({"clipped": 0.5}, "is not one of the tried lrs"),
        ({"clipped": ...}, r"lr_max\['clipped'\] is not filled in yet"),
    ],
)
def test_largest_stable_lr_off_grid_or_unfilled_entries(reference_lr_max, patch, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_largest_stable_lr(dict(reference_lr_max) | patch, X, Y, LRS)


def test_largest_stable_lr_missing_setting_or_unfilled_dict(reference_lr_max):
    answer = dict(reference_lr_max)
    del answer["batch norm"]
    with pytest.raises(ExerciseError, match="no entry for 'batch norm'"):
        g.check_largest_stable_lr(answer, X, Y, LRS)
    with pytest.raises(ExerciseError, match="not filled in yet"):
        g.check_largest_stable_lr(..., X, Y, LRS)


# --- exercise 4: clipping by norm and by value --------------------------------------------------


def reference_cosines(grad, max_norm, clip_value):
    by_norm = grad * min(1.0, max_norm / grad.norm().item())
    by_value = grad.clamp(-clip_value, clip_value)
    cos = torch.nn.functional.cosine_similarity
    cosines = cos(grad, by_norm, dim=0).item(), cos(grad, by_value, dim=0).item()
    return *cosines, by_norm.norm().item()


def always_rescaled(grad, max_norm, clip_value):
    by_norm = grad / grad.norm() * max_norm  # the mistake: rescales even a small gradient
    cos_norm, cos_value, _ = reference_cosines(grad, max_norm, clip_value)
    return cos_norm, cos_value, by_norm.norm().item()


def test_clipped_cosines_reference_passes(capsys):
    g.check_clipped_cosines(reference_cosines)
    out = capsys.readouterr().out
    assert out.startswith("Correct: cosine by norm 1.0000") and "still downhill" in out


def swapped(grad, max_norm, clip_value):
    cos_norm, cos_value, norm = reference_cosines(grad, max_norm, clip_value)
    return cos_value, cos_norm, norm


def lost_sign(grad, max_norm, clip_value):
    cos = torch.nn.functional.cosine_similarity
    return 1.0, cos(grad, grad.abs().clamp(max=clip_value), dim=0).item(), 1.0


def dot_product(grad, max_norm, clip_value):
    return 1.0, torch.dot(grad, grad.clamp(-clip_value, clip_value)).item(), 1.0


def per_entry(grad, max_norm, clip_value):
    return grad / grad, grad.clamp(-clip_value, clip_value), 1.0


def clamped_in_place(grad, max_norm, clip_value):
    cos = torch.nn.functional.cosine_similarity
    by_norm = grad * min(1.0, max_norm / grad.norm().item())
    by_value = grad.clamp_(-clip_value, clip_value)  # the mistake: grad itself is clipped
    return cos(grad, by_norm, dim=0).item(), cos(grad, by_value, dim=0).item(), 1.0


def norm_clipped_in_place(grad, max_norm, clip_value):
    cos = torch.nn.functional.cosine_similarity
    by_norm = grad.mul_(min(1.0, max_norm / grad.norm().item()))  # the mistake: in place
    return (
        cos(grad, by_norm, dim=0).item(),
        cos(grad, grad.clamp(-clip_value, clip_value), dim=0).item(),
        by_norm.norm().item(),
    )


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (clamped_in_place, "changed the gradient it was given"),
        (norm_clipped_in_place, "changed the gradient it was given"),
        (swapped, r"\(by value, by norm\)"),
        (lost_sign, "loses the sign"),
        (dot_product, "that is the dot product"),
        (per_entry, "should be one number"),
        (always_rescaled, "always rescales to max_norm"),
        (lambda grad, m, c: (1.0, 0.5, 1.0), "expected cosines"),
        (lambda grad, m, c: None, "not filled in yet"),
        (lambda grad, m, c: 1.0, "should return three numbers"),
        (lambda grad, m, c: (1.0, 0.5), "should return three numbers"),
    ],
)
def test_clipped_cosines_wrong_answers_get_their_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_clipped_cosines(answer)


# --- exercise 5: float16 and loss scaling -------------------------------------------------------


def test_fp16_reference_passes_and_scaling_rescues_entries(capsys):
    g.check_fp16_zero_fraction(g.fp16_zero_fraction_reference)
    assert capsys.readouterr().out.startswith("Correct: float16 rounds")
    grad = torch.tensor([1e-9, 1e-5, 0.0])
    assert g.fp16_zero_fraction_reference(grad) == 0.5
    assert g.fp16_zero_fraction_reference(grad, 2.0**12) == 0.0


def scaled_too_late(grad, scale):
    nonzero = grad != 0
    return (((grad.half() * scale) == 0) & nonzero).sum().item() / nonzero.sum().item()


def unscaled_in_float16(grad, scale):
    nonzero = grad != 0
    return ((((grad * scale).half() / scale) == 0) & nonzero).sum().item() / nonzero.sum().item()


def counts_zeros_too(grad, scale):
    return ((grad * scale).half() == 0).float().mean().item()


def bfloat16(grad, scale):
    nonzero = grad != 0
    return (((grad * scale).bfloat16() == 0) & nonzero).sum().item() / nonzero.sum().item()


def below_smallest_subnormal(grad, scale):
    nonzero = grad != 0
    return (((grad * scale).abs() < 2.0**-24) & nonzero).sum().item() / nonzero.sum().item()


def below_smallest_normal(grad, scale):
    nonzero = grad != 0
    return (((grad * scale).abs() < 2.0**-14) & nonzero).sum().item() / nonzero.sum().item()


def a_count(grad, scale):
    return float((((grad * scale).half() == 0) & (grad != 0)).sum().item())


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (scaled_too_late, "after converting to float16"),
        (unscaled_in_float16, "divided by the scale again while in float16"),
        (counts_zeros_too, "exactly zero before the conversion"),
        (bfloat16, "bfloat16"),
        (a_count, "that is a count"),
        (below_smallest_subnormal, r"smallest subnormal 2\*\*-24"),
        (below_smallest_normal, r"smallest normal 2\*\*-14"),
        (lambda grad, scale: 0.5, "expected"),
        (lambda grad, scale: ..., "not filled in yet"),
    ],
)
def test_fp16_wrong_answers_get_their_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_fp16_zero_fraction(answer)


def test_fp16_check_reports_the_answer_on_a_given_gradient(capsys):
    grad = torch.tensor([1e-9, 1e-5, 1e-6, 0.0])
    g.check_fp16_zero_fraction(g.fp16_zero_fraction_reference, grad)
    assert capsys.readouterr().out.rstrip().endswith("on your gradient 33.3% and 0.0%.")


# --- exercise 6: the residual forward pass ------------------------------------------------------


def reference_residual(model, x):
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms):
        a = model.activation(norm(h))
        if i + 1 < len(model.hidden):
            h = h + model.hidden[i + 1](a)
    return model.output(a)


def test_residual_reference_passes_and_matches_the_module(capsys):
    g.check_residual_forward(reference_residual)
    assert capsys.readouterr().out.startswith("Correct: your residual forward matches")
    g.check_residual_forward(lambda model, x: model(x))  # the module itself is the reference


def plain_forward(model, x):
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms):
        a = model.activation(norm(h))
        if i + 1 < len(model.hidden):
            h = model.hidden[i + 1](a)
    return model.output(a)


def linear_branch(model, x):
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms):
        a = model.activation(norm(h))
        if i + 1 < len(model.hidden):
            h = h + model.hidden[i + 1](h)
    return model.output(a)


def skip_after_activation(model, x):
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms):
        a = model.activation(norm(h))
        if i + 1 < len(model.hidden):
            h = a + model.hidden[i + 1](a)
    return model.output(a)


def output_on_stream(model, x):
    h = model.hidden[0](x)
    for i in range(1, len(model.hidden)):
        h = h + model.hidden[i](model.activation(model.norms[i - 1](h)))
    return model.output(h)


def forgot_the_norm(model, x):
    h = model.hidden[0](x)
    for i in range(len(model.norms)):
        a = model.activation(h)
        if i + 1 < len(model.hidden):
            h = h + model.hidden[i + 1](a)
    return model.output(a)


def post_norm(model, x):
    h = model.norms[0](model.hidden[0](x))
    for norm, layer in zip(model.norms[1:], model.hidden[1:], strict=True):
        h = norm(h + layer(model.activation(h)))  # the mistake: the norm on the sum
    return model.output(model.activation(h))


def post_norm_enumerate(model, x):
    h = model.hidden[0](x)  # the first h is not normalised
    for i, norm in enumerate(model.norms[:-1]):
        h = norm(h + model.hidden[i + 1](model.activation(h)))  # block i's norm on its sum
    return model.output(model.activation(h))


def post_norm_enumerate_last_norm(model, x):
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms[:-1]):
        h = norm(h + model.hidden[i + 1](model.activation(h)))
    return model.output(model.activation(model.norms[-1](h)))


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (plain_forward, "that is the plain network"),
        (post_norm, "that is post-norm"),
        (post_norm_enumerate, "that is post-norm"),
        (post_norm_enumerate_last_norm, "that is post-norm"),
        (linear_branch, "leaving out the norm and the activation inside the branch"),
        (skip_after_activation, "added the branch to the activation a instead of to the stream"),
        (output_on_stream, "output layer reads activation"),
        (forgot_the_norm, r"layer_norm=True\): you left out the norm"),
        (lambda model, x: model(x)[:, 0], "the output has shape"),
        (lambda model, x: None, "not filled in yet"),
        (lambda model, x: 1.0, "should return a tensor"),
    ],
)
def test_residual_wrong_answers_get_their_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        g.check_residual_forward(answer)
