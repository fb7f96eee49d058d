"""Checks for the exercises of notebook 05 (universal approximation).

Each check computes the reference answer on the spot, compares it with the student's, and either
prints one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError` with a
diagnosis. The diagnoses come from running the usual mistakes too and seeing which one the answer
matches: a wrong answer that equals "forgot ``zero_grad``" is told so.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = ["check_train", "check_tower", "check_yarotsky_square", "hat", "tent"]


def tent(x: torch.Tensor) -> torch.Tensor:
    """The tent map ``T(x) = 2 relu(x) - 4 relu(x - 1/2)``: two ReLU units, [0, 1] onto [0, 1]."""
    return 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)


def hat(t: torch.Tensor, centre: float = 0.0, radius: float = 0.5) -> torch.Tensor:
    """A hat of height 1 at ``centre``, zero where ``|t - centre| >= radius``: three ReLU units."""
    u = (t - centre) / radius
    return torch.relu(u + 1) - 2 * torch.relu(u) + torch.relu(u - 1)


def _as_tensor(name: str, value: object, like: torch.Tensor) -> torch.Tensor:
    require_filled(name, value)
    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"{name} must return a torch.Tensor, got {type(value).__name__}.")
    if value.shape != like.shape:
        raise ExerciseError(
            f"{name} returned shape {tuple(value.shape)}; expected {tuple(like.shape)}, the shape "
            "of the input x (one output per point)."
        )
    return value.to(like.dtype)


# --- exercise 1: Yarotsky's square from sawtooths ---------------------------------------------


def _square_variant(x: torch.Tensor, m: int, divisor: int, sign: float, first: int) -> torch.Tensor:
    out, g = x.clone(), x
    for s in range(1, m + 1):
        g = tent(g)
        if s >= first:
            out = out - sign * g / divisor**s
    return out


def check_yarotsky_square(square: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """Check ``square(x, m)``, Yarotsky's approximation ``x - sum_{s=1}^m T^s(x) / 4^s`` of x**2.

    It must equal the reference on ``[0, 1]`` for m = 1 ... 5, and so have maximum error
    ``2^(-2m-2)`` against ``x**2``. A wrong answer is compared with the usual mistakes at every m.
    """
    x = torch.linspace(0, 1, 1025, dtype=torch.float64)
    ms = range(1, 6)
    answers = [_as_tensor("square(x, m)", square(x, m), x) for m in ms]

    def matches(divisor: int = 4, sign: float = 1.0, first: int = 1, shift: int = 0) -> bool:
        return all(
            torch.allclose(answer, _square_variant(x, m + shift, divisor, sign, first), atol=1e-12)
            for m, answer in zip(ms, answers, strict=True)
        )

    if matches():
        error = (answers[-1] - x**2).abs().max().item()
        correct(
            f"with m = 5 sawtooths (10 ReLU units in 5 layers) max |x^2 - square| = {error:.2e}."
        )
        return
    mistakes = [
        (
            {"divisor": 2},
            "the s-th sawtooth is divided by 2^s; divide it by 4^s = 2^(2s) (each "
            "composition halves the width of the teeth, so the correction shrinks by 4)",
        ),
        ({"sign": -1.0}, "the sawtooths are added; subtract them (x**2 lies below x on [0, 1])"),
        ({"first": 2}, "the first sawtooth T(x)/4 is missing: the sum runs s = 1 ... m"),
        ({"shift": -1}, "the answer has only m - 1 sawtooths: apply T m times, s = 1 ... m"),
        ({"shift": 1}, "the answer has m + 1 sawtooths: apply T m times, s = 1 ... m"),
    ]
    for mistake, message in mistakes:
        if matches(**mistake):
            raise ExerciseError(message + ".")
    for m, answer in zip(ms, answers, strict=True):
        gap = (answer - _square_variant(x, m, 4, 1.0, 1)).abs()
        if gap.max() > 1e-12:
            raise ExerciseError(
                f"with m = {m}, square(x, m) differs from x - sum_s T^s(x)/4^s by up to "
                f"{gap.max().item():.2e} (at x = {x[gap.argmax()].item():.3f})."
            )


# --- exercise 2: a tower in two dimensions ------------------------------------------------------


def check_tower(tower: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``tower(x, y)``: height 1 at the origin, zero outside the square ``|x|, |y| < 1/2``.

    The reference is the two-hidden-layer network ``relu(hat(x) + hat(y) - 1)``.
    """
    grid = torch.linspace(-1, 1, 81, dtype=torch.float64)
    x, y = torch.meshgrid(grid, grid, indexing="ij")
    answer = _as_tensor("tower(x, y)", tower(x, y), x)
    reference = torch.relu(hat(x) + hat(y) - 1)
    if torch.allclose(answer, reference, atol=1e-9):
        correct("relu(hat(x) + hat(y) - 1) is 1 at the centre and exactly 0 outside the square.")
        return
    if torch.allclose(answer, hat(x) + hat(y), atol=1e-9):
        raise ExerciseError(
            "the output is hat(x) + hat(y): it is 2 at the centre but 1 along the whole strips "
            "|x| < 1/2 and |y| < 1/2 (ridges). Subtract 1 and apply the second layer's ReLU."
        )
    if torch.allclose(answer, hat(x) + hat(y) - 1, atol=1e-9):
        raise ExerciseError(
            "the output is -1 far from the centre: hat(x) + hat(y) - 1 still needs the second "
            "layer's ReLU to cut off everything below 0."
        )
    outside = (x.abs() >= 0.5) | (y.abs() >= 0.5)
    leak = answer[outside].abs().max().item()
    raise ExerciseError(
        f"tower(0, 0) = {answer[40, 40].item():.3f} (should be 1) and the largest |value| "
        f"outside the square is {leak:.3f} (should be 0)."
    )


# --- exercise 3: a plain training loop ----------------------------------------------------------


def _reference_train(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float, mistake: str = ""
) -> None:
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        if mistake != "no zero_grad":
            optimizer.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()


def _flat(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def check_train(
    train: Callable[[nn.Module, torch.Tensor, torch.Tensor, int, float], object],
) -> None:
    """Check ``train(net, x, y, steps, lr)``: ``steps`` full-batch Adam steps on the MSE loss.

    The student's loop and the reference loop start from the same seeded 8-unit network; their
    final weights must agree. Known mistakes (no ``zero_grad``, ``step()`` before ``backward()``,
    one step too many or too few, ``zero_grad`` between ``backward`` and ``step``) are recognised
    by running them too. (A summed loss is not among them: Adam's step does not change when the
    loss is multiplied by a constant, so it trains the same way.)
    """
    x = torch.linspace(-1, 1, 32).unsqueeze(1)
    y = torch.sin(torch.pi * x)
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
    steps, lr = 30, 0.02
    with torch.no_grad():
        initial = nn.functional.mse_loss(start(x), y).item()
    net = copy.deepcopy(start)
    train(net, x, y, steps, lr)
    answer = _flat(net)
    if torch.equal(answer, _flat(start)):
        raise ExerciseError(
            "the network's weights did not change: fill in the loop (zero_grad, loss, backward, "
            "step) and train the net you are given, not a copy; zero_grad() goes before "
            "backward(), not between backward() and step()."
        )

    def run(mistake: str = "", n: int = steps) -> torch.Tensor:
        other = copy.deepcopy(start)
        _reference_train(other, x, y, n, lr, mistake)
        return _flat(other)

    if torch.allclose(answer, run(), atol=1e-5):
        with torch.no_grad():
            loss = nn.functional.mse_loss(net(x), y).item()
        correct(f"{steps} Adam steps: MSE from {initial:.3f} to {loss:.3f}, as in the reference.")
        return
    diagnoses = [
        (
            run("no zero_grad"),
            "the gradients accumulate over steps: call optimizer.zero_grad() "
            "before loss.backward() in every step",
        ),
        (
            run(n=steps - 1),
            "one step too few: the loop must take exactly `steps` steps (or step() is called "
            "before backward(), so each step applies the previous step's gradient)",
        ),
        (run(n=steps + 1), "one step too many: the loop must take exactly `steps` steps"),
    ]
    for reference, message in diagnoses:
        if torch.allclose(answer, reference, atol=1e-5):
            raise ExerciseError(message + ".")
    raise ExerciseError(
        "the trained weights differ from the reference loop (Adam with lr, `steps` steps of "
        "zero_grad, MSE loss on the whole batch, backward, step). Did you create the optimizer "
        "with the given lr, and train `net` itself?"
    )
