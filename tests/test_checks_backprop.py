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


def second_layer(dL_dh2, z2, h1, W2):
    dL_dz2 = dL_dh2 * (z2 > 0)
    return dL_dz2.T @ h1, dL_dz2.sum(0), dL_dz2 @ W2


def layer_with(upstream_to_dz, weight=None, bias=None, back=None):
    """A second-layer answer built from one (possibly wrong) step per output."""

    def answer(g, z, h, W):
        dz = upstream_to_dz(g, z)
        dW = weight(dz, h) if weight else dz.T @ h
        db = bias(dz) if bias else dz.sum(0)
        dh = back(g, dz, W) if back else dz @ W
        return dW, db, dh

    return answer


def test_second_layer_reference_passes(capsys):
    check_second_layer(second_layer)
    assert capsys.readouterr().out.startswith("Correct:")


def mask(g, z):
    return g * (z > 0)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (layer_with(lambda g, z: g), ["dL_dW2", "ReLU's local derivative is missing", "z2 > 0"]),
        (layer_with(lambda g, z: g * torch.relu(z)), ["dL_dW2", "relu(z2)", "(z2 > 0)"]),
        (layer_with(mask, weight=lambda dz, h: h.T @ dz), ["transposed", "(3, 4)"]),
        (layer_with(lambda g, z: -mask(g, z)), ["wrong sign"]),
        (layer_with(mask, bias=lambda dz: dz.mean(0)), ["dL_db2", "sum over the rows"]),
        (layer_with(lambda g, z: g * (z <= 0)), ["mask is inverted"]),
        (layer_with(mask, back=lambda g, dz, W: g @ W), ["dL_dh1 skips the ReLU"]),
        (layer_with(mask, back=lambda g, dz, W: torch.relu(g) @ W), ["dL_dh1", "differs"]),
        (layer_with(mask, back=lambda g, dz, W: -(dz @ W)), ["dL_dh1", "wrong sign"]),
        (layer_with(mask, back=lambda g, dz, W: dz @ W.T), ["shape error", "dL_dz2 @ W2"]),
        (
            layer_with(mask, back=lambda g, dz, W: dz.sum(0, keepdim=True).expand(5, 3) @ W),
            ["one row per data point"],
        ),
    ],
)
def test_second_layer_wrong_answers_are_diagnosed(wrong, words):
    fails_with(check_second_layer, wrong, *words)


@pytest.mark.parametrize(
    "wrong",
    [
        layer_with(mask, weight=lambda dz, h: dz.T @ h / 5),
        layer_with(mask, back=lambda g, dz, W: dz @ W / 5),
    ],
)
def test_second_layer_divided_by_n_says_the_upstream_carries_it(wrong):
    message = fails_with(check_second_layer, wrong, "5 times too small", "dL_dh2 already carries")
    assert "divide by N = 5 only once" not in message


def test_second_layer_half_is_not_blamed_on_a_square():
    wrong = layer_with(mask, back=lambda g, dz, W: 0.5 * (dz @ W))
    message = fails_with(check_second_layer, wrong, "dL_dh1", "half the right value")
    assert "r²" not in message


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ((2, 1, 0), ["dL_dW2 has shape (5, 4)", "dL_dh1's shape", "order of the returned tuple"]),
        ((0, 2, 1), ["dL_db2 has shape (5, 4)", "dL_dh1's shape", "(dL_dW2, dL_db2, dL_dh1)"]),
    ],
)
def test_second_layer_tuple_in_the_wrong_order_is_named(order, words):
    def shuffled(g, z, h, W):
        grads = second_layer(g, z, h, W)
        return tuple(grads[k] for k in order)

    fails_with(check_second_layer, shuffled, *words)


def test_second_layer_mask_from_the_wrong_tensor_is_a_shape_diagnosis():
    answer = layer_with(lambda g, z: g, weight=lambda dz, h: (dz * (h > 0)).T @ h)
    fails_with(check_second_layer, answer, "shape error", "the mask comes from z2")


def test_second_layer_unfilled_says_fill_in():
    fails_with(check_second_layer, lambda g, z, h, W: None, "not filled in")
    fails_with(check_second_layer, ..., "not filled in")
    fails_with(check_second_layer, lambda g, z, h, W: (g, g), "tuple of 3")


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
            lambda z, y: -(y / torch.sigmoid(z) - (1 - y) / (1 - torch.sigmoid(z))) / len(z),
            ["stopped at dL/dp", "p (1 - p)"],
        ),
        (
            lambda z, y: (torch.sigmoid(z) - y) * torch.sigmoid(z) * (1 - torch.sigmoid(z)) / 6,
            ["once too often"],
        ),
        (lambda z, y: ((torch.sigmoid(z) - y) / 6)[:, None], ["shape", "(6,)"]),
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


def sigmoid_grad(h):
    return h * (1 - h)


def test_fixed_backward_reference_passes(capsys):
    check_fixed_backward(backward_with(sigmoid_grad))
    assert capsys.readouterr().out.startswith("Correct:")


def test_fixed_backward_accepts_the_derivative_written_through_z(capsys):
    # sigma'(z) recomputed from z = logit(h): roundabout, but right
    check_fixed_backward(
        backward_with(lambda h: torch.sigmoid(torch.logit(h)) * (1 - torch.sigmoid(torch.logit(h))))
    )
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (
            backward_with(lambda h: 1 - h**2),
            ["bug is still there", "derivative of tanh", "h (1 - h)"],
        ),
        (backward_with(lambda h: torch.sigmoid(h) * (1 - torch.sigmoid(h))), ["applies it twice"]),
        (backward_with(lambda h: h), ["activation h itself"]),
        (backward_with(sigmoid_grad, bias_reduce="mean"), ["dL/db1", "4 times too small"]),
        (backward_with(sigmoid_grad, transpose_w1=True), ["dL/dW1", "transposed"]),
        (backward_with(lambda h: 1 - h), ["dL/dW1", "differs from the reference"]),
    ],
)
def test_fixed_backward_wrong_answers_are_diagnosed(wrong, words):
    fails_with(check_fixed_backward, wrong, *words)


def test_fixed_backward_must_return_four_gradients():
    fails_with(check_fixed_backward, lambda cache: (cache[0],), "tuple of 4")
    fails_with(check_fixed_backward, lambda cache: None, "not filled in")


# --- weight decay ------------------------------------------------------------------------------


def hand_grads():
    """The notebook's four hand gradients (its cell 19), fresh tensors each call."""
    net = tiny_network()
    x, y, W1, b1, W2, b2 = (net[k] for k in ("x", "y", "W1", "b1", "W2", "b2"))
    h = torch.tanh(x[:, None] @ W1.T + b1)
    r = (h @ W2.T + b2)[:, 0] - y
    dL_dyhat = 2 * r / len(r)
    dL_dz = (dL_dyhat[:, None] @ W2) * (1 - h**2)
    return dL_dz.T @ x[:, None], dL_dz.sum(0), dL_dyhat[None, :] @ h, dL_dyhat.sum(0, keepdim=True)


def decay_args():
    return tiny_network()["W1"], hand_grads(), 0.01


def test_weight_decay_reference_passes(capsys):
    W1, grads, lam = decay_args()
    check_weight_decay_grad(grads[0] + 2 * lam * W1, {"W1"}, lam, grads)
    assert capsys.readouterr().out.startswith("Correct:")
    check_weight_decay_grad(grads[0] + 2 * lam * W1, ["W1"], lam)
    assert capsys.readouterr().out.startswith("Correct:")


def test_weight_decay_reference_is_its_own():
    """The check computes the plain gradient itself: a wrong grads[0] cannot make it pass."""
    W1, _, lam = decay_args()
    fails_with(check_weight_decay_grad, 2 * lam * W1, "loss itself is missing", args=({"W1"}, lam))


def test_weight_decay_in_place_change_of_grads_is_diagnosed():
    W1, grads, lam = decay_args()
    grad_W1 = grads[0]
    grad_W1 += 2 * lam * W1  # right values, but grads[0] changed with them
    fails_with(
        check_weight_decay_grad,
        grad_W1,
        "grads[0] itself, changed in place",
        "+=",
        args=({"W1"}, lam, grads),
    )
    # the right answer, run after that: grads[0] still holds the changed values
    fails_with(
        check_weight_decay_grad,
        grads[0] + 2 * lam * W1,
        "no longer holds the loss's gradient",
        args=({"W1"}, lam, grads),
    )


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
    W1, grads, lam = decay_args()
    fails_with(check_weight_decay_grad, make(W1, grads[0], lam), *words, args=({"W1"}, lam, grads))


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        ({"W1", "b1", "W2", "b2"}, ["b1, W2, b2 do not change", "does not depend on them"]),
        ({"W1", "W2"}, ["W2 do not change"]),
        (set(), ['include "W1"']),
        ({"w1"}, ["not weights of the tiny network"]),
        (1, ["set of names"]),
        (..., ["not filled in"]),
    ],
)
def test_weight_decay_which_gradients_change(changed, words):
    W1, grads, lam = decay_args()
    right = grads[0] + 2 * lam * W1
    fails_with(check_weight_decay_grad, right, *words, args=(changed, lam, grads))


def test_weight_decay_unfilled_and_bad_arguments():
    W1, grads, lam = decay_args()
    fails_with(check_weight_decay_grad, ..., "not filled in", args=({"W1"}, lam, grads))
    with pytest.raises(TypeError, match="lam"):
        check_weight_decay_grad(grads[0], {"W1"}, "0.01", grads)
    with pytest.raises(TypeError, match="grads"):
        check_weight_decay_grad(grads[0], {"W1"}, lam, [g.tolist() for g in grads])


# --- the shared example ------------------------------------------------------------------------


def test_tiny_network_returns_fresh_copies_and_checks_dtype():
    a, b = tiny_network(), tiny_network()
    a["W1"] += 1
    assert torch.equal(b["W1"], tiny_network()["W1"])
    assert tiny_network(torch.float32)["x"].dtype == torch.float32
    with pytest.raises(TypeError, match="dtype"):
        tiny_network(torch.int64)
