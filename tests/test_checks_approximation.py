"""Notebook 05's exercise checks: the reference passes; seeded wrong answers fail as intended."""

import pytest
import torch
from torch import nn

from helpers.checks import ExerciseError
from helpers.checks.approximation import (
    check_tower,
    check_train,
    check_yarotsky_square,
    hat,
    tent,
)

# --- exercise 1 ---------------------------------------------------------------------------------


def square_with(divisor=4, sign=1.0, first=1, shift=0):
    def square(x, m):
        out, g = x.clone(), x
        for s in range(1, m + shift + 1):
            g = tent(g)
            if s >= first:
                out = out - sign * g / divisor**s
        return out

    return square


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
        (square_with(divisor=2), r"4\^s"),
        (square_with(sign=-1.0), "subtract"),
        (square_with(first=2), "first sawtooth"),
        (square_with(shift=-1), "m - 1 sawtooths"),
        (square_with(shift=1), r"m \+ 1 sawtooths"),
        (lambda x, m: x**2, "differs"),
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


def test_tower_reference_passes_and_is_local(capsys):
    check_tower(lambda x, y: torch.relu(hat(x) + hat(y) - 1))
    assert capsys.readouterr().out.startswith("Correct:")
    grid = torch.linspace(-1, 1, 81, dtype=torch.float64)
    x, y = torch.meshgrid(grid, grid, indexing="ij")
    tower = torch.relu(hat(x) + hat(y) - 1)
    assert tower[40, 40].item() == pytest.approx(1.0)
    assert tower[(x.abs() >= 0.5) | (y.abs() >= 0.5)].abs().max().item() == 0.0


@pytest.mark.parametrize(
    ("wrong", "diagnosis"),
    [
        (lambda x, y: hat(x) + hat(y), "ridges"),
        (lambda x, y: hat(x) + hat(y) - 1, "second layer's ReLU"),
        (lambda x, y: torch.relu(hat(x) + hat(y) - 0.5), "should be 0"),
        (lambda x, y: hat(x) * hat(y), "should be 0|largest"),
    ],
)
def test_tower_wrong_answers_are_diagnosed(wrong, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_tower(wrong)


def test_tower_unfilled():
    with pytest.raises(ExerciseError, match="not filled in"):
        check_tower(lambda x, y: ...)


# --- exercise 3 ---------------------------------------------------------------------------------


def make_train(zero_grad=True, extra=0, order="zbs"):
    """A training loop; ``order`` spells when zero_grad (z), backward (b) and step (s) happen."""

    def train(net, x, y, steps, lr):
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(steps + extra):
            for action in order:
                if action == "z" and zero_grad:
                    optimizer.zero_grad()
                elif action == "b":
                    loss = nn.functional.mse_loss(net(x), y)
                    loss.backward()
                elif action == "s":
                    optimizer.step()

    return train


def test_train_reference_passes(capsys):
    check_train(make_train())
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("wrong", "diagnosis"),
    [
        (make_train(zero_grad=False), "zero_grad"),
        (make_train(order="szb"), "step\\(\\) is called before backward"),
        (make_train(order="bzs"), "not between backward"),
        (make_train(extra=-1), "one step too few"),
        (make_train(extra=1), "one step too many"),
        (lambda net, x, y, steps, lr: None, "did not change"),
    ],
)
def test_train_wrong_answers_are_diagnosed(wrong, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_train(wrong)


def test_train_wrong_learning_rate_gets_the_general_message():
    def train(net, x, y, steps, lr):
        make_train()(net, x, y, steps, 10 * lr)

    with pytest.raises(ExerciseError, match="differ from the reference loop"):
        check_train(train)
