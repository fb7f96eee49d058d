"""Each check of notebook 01's exercises, both ways: the reference solution passes, and seeded
wrong answers fail with the diagnosis a student needs (asserted on the message)."""

import pytest
import torch

from helpers.backprop_example import tiny_network
from helpers.checks import ExerciseError
from helpers.checks.backprop import (
    check_bce_logit_grad,
    check_fixed_backward,
    check_second_layer,
    check_weight_decay_grad,
)


def fails_with(check, answer, *words, args=()):
    with pytest.raises(ExerciseError) as info:
        check(answer, *args)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


# --- the second hidden layer -------------------------------------------------------------------


def second_layer(dL_dh2, z2, h1):
    dL_dz2 = dL_dh2 * (z2 > 0)
    return dL_dz2.T @ h1, dL_dz2.sum(0)


def test_second_layer_reference_passes(capsys):
    check_second_layer(second_layer)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda g, z, h: (g.T @ h, g.sum(0)), ["ReLU's local derivative is missing", "z2 > 0"]),
        (lambda g, z, h: (h.T @ (g * (z > 0)), (g * (z > 0)).sum(0)), ["transposed", "(3, 4)"]),
        (lambda g, z, h: (-((g * (z > 0)).T @ h), -(g * (z > 0)).sum(0)), ["wrong sign"]),
        (lambda g, z, h: ((g * (z > 0)).T @ h, (g * (z > 0)).mean(0)), ["sum over the rows"]),
        (lambda g, z, h: ((g * (z <= 0)).T @ h, (g * (z <= 0)).sum(0)), ["mask is inverted"]),
    ],
)
def test_second_layer_wrong_answers_are_diagnosed(wrong, words):
    fails_with(check_second_layer, wrong, *words)


def test_second_layer_unfilled_says_fill_in():
    fails_with(check_second_layer, lambda g, z, h: None, "not filled in")
    fails_with(check_second_layer, ..., "not filled in")


# --- sigmoid + binary cross-entropy ------------------------------------------------------------


def test_bce_reference_passes(capsys):
    check_bce_logit_grad(lambda z, y: (torch.sigmoid(z) - y) / len(z))
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda z, y: (y - torch.sigmoid(z)) / len(z), ["wrong sign"]),
        (lambda z, y: torch.sigmoid(z) - y, ["6 times too large", "mean"]),
        (lambda z, y: torch.sigmoid(z) / len(z), ["target is missing"]),
        (
            lambda z, y: (torch.sigmoid(z) - y) * torch.sigmoid(z) * (1 - torch.sigmoid(z)) / 6,
            ["once too often"],
        ),
        (lambda z, y: ((torch.sigmoid(z) - y) / 6)[:, None], ["shape"]),
    ],
)
def test_bce_wrong_answers_are_diagnosed(wrong, words):
    fails_with(check_bce_logit_grad, wrong, *words)


def test_bce_unfilled_and_wrong_type():
    fails_with(check_bce_logit_grad, lambda z, y: None, "not filled in")
    fails_with(check_bce_logit_grad, lambda z, y: [0.0] * 6, "torch.Tensor")


# --- find the bug in a backward ----------------------------------------------------------------


def backward_with(act_grad, bias_reduce="sum", transpose_w1=False):
    def backward(cache):
        x, h, r, W2 = cache
        dL_dyhat = 2 * r / len(r)
        dL_dz = (dL_dyhat[:, None] @ W2) * act_grad(h)
        dW1 = x[:, None].T @ dL_dz if transpose_w1 else dL_dz.T @ x[:, None]
        db1 = dL_dz.sum(0) if bias_reduce == "sum" else dL_dz.mean(0)
        return dW1, db1, dL_dyhat[None, :] @ h, dL_dyhat.sum(0, keepdim=True)

    return backward


def test_fixed_backward_reference_passes(capsys):
    check_fixed_backward(backward_with(lambda h: 1 - h**2))
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (backward_with(lambda h: 1 - torch.tanh(h) ** 2), ["bug is still there", "1 - h²"]),
        (backward_with(lambda h: 1 - h**2, bias_reduce="mean"), ["dL/db1", "4 times too small"]),
        (backward_with(lambda h: 1 - h**2, transpose_w1=True), ["dL/dW1", "transposed"]),
        (backward_with(lambda h: 1 - h), ["dL/dW1", "differs from the reference"]),
    ],
)
def test_fixed_backward_wrong_answers_are_diagnosed(wrong, words):
    fails_with(check_fixed_backward, wrong, *words)


def test_fixed_backward_must_return_four_gradients():
    fails_with(check_fixed_backward, lambda cache: (cache[0],), "tuple of 4")
    fails_with(check_fixed_backward, lambda cache: None, "not filled in")


# --- weight decay ------------------------------------------------------------------------------


def decay_args():
    W1 = tiny_network()["W1"]
    grad_plain = torch.tensor([[0.6509], [-0.3980], [0.6339]], dtype=torch.float64)
    return W1, grad_plain, 0.01


def test_weight_decay_reference_passes(capsys):
    W1, grad_plain, lam = decay_args()
    check_weight_decay_grad(grad_plain + 2 * lam * W1, W1, grad_plain, lam)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda W1, g, lam: g + lam * W1, ["factor 2 is missing"]),
        (lambda W1, g, lam: g - 2 * lam * W1, ["wrong sign"]),
        (lambda W1, g, lam: 2 * lam * W1, ["loss itself is missing"]),
        (lambda W1, g, lam: g, ["penalty's gradient is missing"]),
        (lambda W1, g, lam: (g + 2 * lam * W1).T, ["transposed"]),
    ],
)
def test_weight_decay_wrong_answers_are_diagnosed(make, words):
    W1, grad_plain, lam = decay_args()
    fails_with(
        check_weight_decay_grad, make(W1, grad_plain, lam), *words, args=(W1, grad_plain, lam)
    )


def test_weight_decay_unfilled_and_bad_arguments():
    W1, grad_plain, lam = decay_args()
    fails_with(check_weight_decay_grad, ..., "not filled in", args=(W1, grad_plain, lam))
    with pytest.raises(TypeError, match="torch.Tensor"):
        check_weight_decay_grad(W1, W1.tolist(), grad_plain, lam)


# --- the shared example ------------------------------------------------------------------------


def test_tiny_network_returns_fresh_copies_and_checks_dtype():
    a, b = tiny_network(), tiny_network()
    a["W1"] += 1
    assert torch.equal(b["W1"], tiny_network()["W1"])
    assert tiny_network(torch.float32)["x"].dtype == torch.float32
    with pytest.raises(TypeError, match="dtype"):
        tiny_network(torch.int64)
