"""Notebook 05's exercise checks: the reference passes; seeded wrong answers fail as intended."""

import pytest
import torch
from torch import nn

from helpers.checks import ExerciseError
from helpers.checks.approximation import (
    check_extra_unit,
    check_flat_tower,
    check_train,
    check_yarotsky_square,
    hat,
    plateau,
    tent,
)

# --- exercise 1 ---------------------------------------------------------------------------------


def square_with(divisor=4, sign=1.0, first=1, shift=0, compose=True):
    def square(x, m):
        out, g = x.clone(), x
        for s in range(1, m + shift + 1):
            g = tent(g) if compose else tent(x)
            if s >= first:
                out = out - sign * g / divisor**s
        return out

    return square


def square_exponent_off_by_one(x, m):
    """The slip of ``for s in range(m)``: T^(s+1)(x) / 4^s."""
    out, g = x.clone(), x
    for s in range(m):
        g = tent(g)
        out = out - g / 4**s
    return out


def square_in_place(x, m):
    out, g = x, x
    for s in range(1, m + 1):
        g = tent(g)
        out -= g / 4**s
    return out


def test_square_reference_passes_with_error_4_to_the_minus_m_minus_1(capsys):
    check_yarotsky_square(square_with())
    assert capsys.readouterr().out.startswith("Correct:")
    x = torch.linspace(0, 1, 1025, dtype=torch.float64)
    for m in range(1, 6):
        error = (square_with()(x, m) - x**2).abs().max().item()
        assert error == pytest.approx(2.0 ** (-2 * m - 2), rel=1e-9)


@pytest.mark.parametrize(
    ("wrong", "diagnosis"),
    [
        (square_with(compose=False), "T applied s times"),
        (square_with(divisor=2), r"4\^s"),
        (square_with(sign=-1.0), "subtract"),
        (square_with(first=2), "first sawtooth"),
        (square_with(shift=-1), "m - 1 sawtooths"),
        (square_with(shift=1), r"m \+ 1 sawtooths"),
        (square_in_place, "in place"),
        (square_exponent_off_by_one, r"divided by 4\^\(s-1\)"),
        (lambda x, m: 0.9 * x, "differs"),
    ],
)
def test_square_wrong_answers_are_diagnosed(wrong, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_yarotsky_square(wrong)


def test_square_unfilled_and_bad_shape():
    with pytest.raises(ExerciseError, match="not filled in"):
        check_yarotsky_square(lambda x, m: ...)
    with pytest.raises(ExerciseError, match="not filled in"):
        check_yarotsky_square(lambda x, m: None)
    with pytest.raises(ExerciseError, match="shape"):
        check_yarotsky_square(lambda x, m: x.unsqueeze(1))
    with pytest.raises(ExerciseError, match="torch.Tensor"):
        check_yarotsky_square(lambda x, m: x.tolist())


# --- exercise 2 ---------------------------------------------------------------------------------


def test_plateau_is_one_on_the_top_zero_outside_and_linear_between():
    t = torch.linspace(-1, 1, 801, dtype=torch.float64)
    p = plateau(t)
    assert torch.allclose(p[t.abs() <= 0.25], torch.ones(1, dtype=t.dtype), atol=1e-12)
    assert p[t.abs() >= 0.5].abs().max().item() < 1e-12
    assert plateau(torch.tensor([0.375], dtype=torch.float64)).item() == pytest.approx(0.5)


def reference_plateau(t):
    """Exercise 2's solution: four ReLU units, scaled by 4."""
    return 4 * (
        torch.relu(t + 0.5) - torch.relu(t + 0.25) - torch.relu(t - 0.25) + torch.relu(t - 0.5)
    )


def test_reference_plateau_equals_the_helper():
    t = torch.linspace(-1, 1, 801, dtype=torch.float64)
    assert torch.allclose(reference_plateau(t), plateau(t), atol=1e-12)


@pytest.mark.parametrize(
    ("wrong_plateau", "diagnosis"),
    [
        (
            lambda t: reference_plateau(t) / 4,
            r"reaches only 0.25 of the required height 1.*1 / \(0.5 - 0.25\) = 4",
        ),
        (  # the factor 2 instead of 4: too low, not "too high"
            lambda t: reference_plateau(t) / 2,
            r"reaches only 0.5 of the required height 1",
        ),
        (lambda t: 2 * reference_plateau(t), r"is 2 times too high"),
        (lambda t: -reference_plateau(t), "upside down"),
        (
            lambda t: (
                4
                * (
                    torch.relu(t + 0.5)
                    - torch.relu(t + 0.25)
                    + torch.relu(t - 0.25)
                    - torch.relu(t - 0.5)
                )
            ),
            "check the signs",
        ),
        (lambda t: reference_plateau(t / 1.2), r"reaches 0 only at \|t\| = 0.600"),
        (lambda t: hat(t), r"not 1 on the whole top.*A hat is 1 at one point only"),
        (lambda t: plateau(t, 0.3), r"not 1 on the whole top|differs from the straight ramp"),
        (lambda t: reference_plateau(t) ** 2, "differs from the straight ramp"),
        (lambda t: ..., "not filled in"),
        (lambda t: reference_plateau(t).numpy(), "torch.Tensor"),
    ],
)
def test_plateau_wrong_answers_are_diagnosed_before_the_tower(wrong_plateau, diagnosis):
    def tower(x, y):  # a correct tower: only the plateau is wrong
        return torch.relu(plateau(x) + plateau(y) - 1)

    with pytest.raises(ExerciseError, match=diagnosis):
        check_flat_tower(tower, wrong_plateau)


@pytest.mark.parametrize(
    "tower",
    [
        lambda x, y: torch.relu(plateau(x) + plateau(y) - 1),  # the reference
        lambda x, y: torch.minimum(plateau(x), plateau(y)),  # another correct tower
        lambda x, y: torch.relu(2 * plateau(x) + 2 * plateau(y) - 3),  # a smaller flat top
        lambda x, y: torch.relu(plateau(x, 0.3) + plateau(y, 0.3) - 1),  # a wider one
    ],
)
def test_any_tower_meeting_the_spec_passes(tower, capsys):
    check_flat_tower(tower, reference_plateau)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "diagnosis"),
    [
        (lambda x, y: plateau(x) + plateau(y), "ridges"),
        (lambda x, y: plateau(x) + plateau(y) - 1, "second layer's ReLU"),
        (lambda x, y: torch.relu(plateau(x) + plateau(y) - 0.5), "threshold of the second"),
        (lambda x, y: torch.relu(hat(x) + hat(y) - 1), "not flat"),
        (lambda x, y: plateau(x) * plateau(y), "not piecewise linear"),
        (lambda x, y: 2 * torch.relu(plateau(x) + plateau(y) - 1), "between 0 and 1"),
        (  # threshold 1.5: a flat top of height 0.5, not a hat
            lambda x, y: torch.relu(plateau(x) + plateau(y) - 1.5),
            r"flat but its height is 0.5.*t = 1.5",
        ),
        (lambda x, y: torch.relu(plateau(x) + plateau(x) - 1), "does not depend on y"),
        (lambda x, y: torch.relu(plateau(y) + plateau(y) - 1), "does not depend on x"),
    ],
)
def test_tower_wrong_answers_are_diagnosed(wrong, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_flat_tower(wrong, reference_plateau)


def test_tower_hat_slip_does_not_give_the_threshold_away():
    with pytest.raises(ExerciseError) as caught:
        check_flat_tower(lambda x, y: torch.relu(hat(x) + hat(y) - 1), reference_plateau)
    assert "- 1" not in str(caught.value)


def test_tower_unfilled():
    with pytest.raises(ExerciseError, match="not filled in"):
        check_flat_tower(lambda x, y: ..., reference_plateau)
    with pytest.raises(ExerciseError, match="second argument"):
        check_flat_tower(lambda x, y: torch.relu(plateau(x) + plateau(y) - 1), 0.5)


# --- exercise 3 ---------------------------------------------------------------------------------


def make_train(
    zero_grad=True,
    extra=0,
    order="zbs",
    reduction="mean",
    squeeze=False,
    new_optimizer=False,
    optimizer_class=torch.optim.Adam,
    root=False,
):
    """A training loop; ``order`` spells when zero_grad (z), backward (b) and step (s) happen."""

    def train(net, x, y, steps, lr):
        optimizer = optimizer_class(net.parameters(), lr=lr)
        losses = []
        for _ in range(steps + extra):
            if new_optimizer:
                optimizer = torch.optim.Adam(net.parameters(), lr=lr)
            for action in order:
                if action == "z" and zero_grad:
                    optimizer.zero_grad()
                elif action == "b":
                    out = net(x).squeeze(1) if squeeze else net(x)
                    loss = nn.functional.mse_loss(out, y, reduction=reduction)
                    if root:
                        loss = loss.sqrt()
                    losses.append(loss.item())
                    loss.backward()
                elif action == "s":
                    optimizer.step()
        return losses

    return train


def test_train_reference_passes(capsys):
    check_train(make_train())
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("wrong", "diagnosis"),
    [
        (make_train(zero_grad=False), "zero_grad"),
        (make_train(order="szb"), "step\\(\\) is called before backward"),
        (make_train(order="bzs"), "not between backward"),
        (make_train(extra=-1), "one step too few"),
        (make_train(extra=1), "one step too many"),
        (make_train(reduction="sum"), "sum of the squared errors"),
        (make_train(squeeze=True), r"\(32, 32\) matrix"),
        (make_train(new_optimizer=True), "created anew in every step"),
        (make_train(optimizer_class=torch.optim.AdamW), "AdamW.*no weight decay"),
        (make_train(root=True), r"root of the mean squared error \(.sqrt\(\)\)"),
        (lambda net, x, y, steps, lr: None, "not filled in"),
    ],
)
def test_train_wrong_answers_are_diagnosed(wrong, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_train(wrong)


def test_train_sgd_and_default_lr_are_named():
    def sgd(net, x, y, steps, lr):
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.mse_loss(net(x), y).backward()
            optimizer.step()
        return [0.0] * steps

    def default_lr(net, x, y, steps, lr):
        return make_train()(net, x, y, steps, 1e-3)

    with pytest.raises(ExerciseError, match="plain SGD"):
        check_train(sgd)
    with pytest.raises(ExerciseError, match="default lr"):
        check_train(default_lr)


def test_train_step_before_backward_is_named():
    """zero_grad, step, backward: step() never sees a gradient, so the weights never move."""
    with pytest.raises(ExerciseError, match="step\\(\\) runs before backward\\(\\)"):
        check_train(make_train(order="zsb"))


def test_train_zero_grad_between_backward_and_step_keeps_its_message():
    with pytest.raises(ExerciseError, match="not between backward\\(\\) and step\\(\\)"):
        check_train(make_train(order="bzs"))


def test_train_returning_nothing_after_training_is_told_to_return_the_losses():
    def silent(net, x, y, steps, lr):
        make_train()(net, x, y, steps, lr)

    with pytest.raises(ExerciseError, match="returned nothing"):
        check_train(silent)


def test_train_wrong_learning_rate_gets_the_general_message():
    def train(net, x, y, steps, lr):
        return make_train()(net, x, y, steps, 10 * lr)

    with pytest.raises(ExerciseError, match="differ from the reference loop"):
        check_train(train)


# --- exercise 1: answers that are not the sawtooth sum at all ----------------------------------


def test_square_returning_x_squared_itself_is_named():
    with pytest.raises(ExerciseError, match="that is x\\*\\*2 itself"):
        check_yarotsky_square(lambda x, m: x**2)


def test_square_without_the_leading_x_is_named():
    def no_leading_x(x, m):
        out, g = torch.zeros_like(x), x
        for s in range(1, m + 1):
            g = tent(g)
            out = out - g / 4**s
        return out

    with pytest.raises(ExerciseError, match="the leading x is missing"):
        check_yarotsky_square(no_leading_x)


# --- exercise 3: half the MSE --------------------------------------------------------------------


def test_train_half_the_mse_is_named():
    def half_mse(net, x, y, steps, lr):
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = 0.5 * nn.functional.mse_loss(net(x), y)
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
        return losses

    with pytest.raises(ExerciseError, match="half the mean squared error"):
        check_train(half_mse)


# --- exercise 4: one extra unit on top of 8 equal hinges -----------------------------------------


@pytest.mark.parametrize("unit", [(1.0, 1.0, -0.03), (1.0, 0.9, -0.035), (0.0, 1.0, -0.056)])
def test_extra_unit_that_spreads_the_error_passes(unit, capsys):
    check_extra_unit(*unit)
    out = capsys.readouterr().out
    assert out.startswith("Correct:") and "8 hinges alone: 0.1127" in out


def test_extra_unit_success_message_quotes_what_its_own_example_prints(capsys):
    check_extra_unit(1.0, 1.0, -0.03)
    out = capsys.readouterr().out
    w, b, a = (float(v) for v in out.split("(w = ")[1].split(";")[0].replace(",", "").split()[::3])
    quoted = float(out.rstrip().rstrip(".").split("gives ")[1])
    check_extra_unit(w, b, a)
    assert f"max error {quoted:.4f}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("unit", "diagnosis"),
    [
        ((1.0, -0.41421356, 0.5), "on the kink"),
        ((2.0, -0.8284, -1.0), "on the kink"),
        ((1.0, 1.0, 0.0), "is 0 everywhere"),
        ((0.0, -1.0, 0.5), "is 0 everywhere"),
        ((1.0, 1.0, 0.03), "opposite sign of a"),
        ((1.0, 1.0, -0.2), "make \\|a\\| smaller"),
        # b = -0.5 for a hinge "at -0.5": it is at +0.5, right of c, so the unit is 0 at c
        ((1.0, -0.5, -0.03), r"0 at the kink.*hinge is at x = -b/w = 0.500.*to the right"),
        ((1.0, -0.6, -0.05), r"0 at the kink.*x = -b/w = 0.600"),
        ((-1.0, 0.2, -0.05), r"0 at the kink.*x = -b/w = 0.200.*to the left"),
        ((1.0, 1.0, -0.01), "not below 0.08"),
    ],
)
def test_extra_unit_wrong_answers_are_diagnosed(unit, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_extra_unit(*unit)


def test_extra_unit_unfilled_and_wrong_type():
    with pytest.raises(ExerciseError, match="not filled in"):
        check_extra_unit(1.0, ..., -0.03)
    with pytest.raises(ExerciseError, match="must be a number"):
        check_extra_unit(1.0, torch.tensor(1.0), -0.03)
