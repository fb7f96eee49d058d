"""Checks for the exercises of notebook 05 (universal approximation).

Each check computes the reference answer on the spot, compares it with the student's, and either
prints one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError` with a
diagnosis. The diagnoses come from running the usual mistakes too and seeing which one the answer
matches: a wrong answer that equals "forgot ``zero_grad``" is told so.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable

import torch
from torch import nn

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_extra_unit",
    "check_flat_tower",
    "check_train",
    "check_yarotsky_square",
    "hat",
    "plateau",
    "tent",
]


def tent(x: torch.Tensor) -> torch.Tensor:
    """The tent map ``T(x) = 2 relu(x) - 4 relu(x - 1/2)``: two ReLU units, [0, 1] onto [0, 1]."""
    return 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)


def hat(t: torch.Tensor, centre: float = 0.0, radius: float = 0.5) -> torch.Tensor:
    """A hat of height 1 at ``centre``, zero where ``|t - centre| >= radius``: three ReLU units."""
    u = (t - centre) / radius
    return torch.relu(u + 1) - 2 * torch.relu(u) + torch.relu(u - 1)


def plateau(t: torch.Tensor, top: float = 0.25, radius: float = 0.5) -> torch.Tensor:
    """1 where ``|t| <= top``, 0 where ``|t| >= radius``, linear between: four ReLU units.

    Exercise 2's reference building block (a trapezoid, the flat-topped version of :func:`hat`).
    """
    ramp = radius - top
    return (
        torch.relu(t + radius) - torch.relu(t + top) - torch.relu(t - top) + torch.relu(t - radius)
    ) / ramp


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


def _square_variant(
    x: torch.Tensor,
    m: int,
    divisor: int,
    sign: float,
    first: int,
    compose: bool = True,
    lag: int = 0,
) -> torch.Tensor:
    """``x - sign * sum_{s=first}^m T^s(x) / divisor^(s - lag)``; T^s is T(x) if not ``compose``."""
    out, g = x.clone(), x
    for s in range(1, m + 1):
        g = tent(g) if compose else tent(x)
        if s >= first:
            out = out - sign * g / divisor ** (s - lag)
    return out


def check_yarotsky_square(square: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """Check ``square(x, m)``, Yarotsky's approximation ``x - sum_{s=1}^m T^s(x) / 4^s`` of x**2.

    It must equal the reference on ``[0, 1]`` for m = 1 ... 5, and so have maximum error
    ``2^(-2m-2)`` against ``x**2``, and it must leave its input ``x`` unchanged. A wrong answer
    is compared with the usual mistakes (``T(x)`` instead of ``T`` composed ``s`` times, ``2^s``
    instead of ``4^s``, ``T^(s+1) / 4^s`` (the exponent off by one), the sign, the range of ``s``)
    at every m.
    """
    x = torch.linspace(0, 1, 1025, dtype=torch.float64)
    ms = range(1, 6)
    answers = []
    for m in ms:
        given = x.clone()
        answers.append(_as_tensor("square(x, m)", square(given, m), x))
        if not torch.equal(given, x):
            raise ExerciseError(
                "square(x, m) changed its input x in place (an in-place operation such as "
                "`out -= ...` on `out = x` writes into the caller's tensor): start from "
                "`x.clone()`, or write `out = out - ...`."
            )

    def matches(**mistake: float) -> bool:
        shift = int(mistake.pop("shift", 0))
        return all(
            torch.allclose(answer, _square_variant(x, m + shift, **_defaults(mistake)), atol=1e-12)
            for m, answer in zip(ms, answers, strict=True)
        )

    if matches():
        error = (answers[-1] - x**2).abs().max().item()
        correct(
            f"with m = 5 sawtooths max |x^2 - square| = {error:.2e} = 2^-12; as a network that is "
            "10 ReLU units for the tents in 5 layers, plus the running sum carried along."
        )
        return
    mistakes = [
        (
            {"compose": False},
            "every term uses T(x), the tent applied once; the s-th term needs T applied s times "
            "(T(T(...T(x)))): keep the current sawtooth in a variable and apply tent to it, not "
            "to x, at each step",
        ),
        (
            {"divisor": 2},
            "the s-th sawtooth is divided by 2^s; divide it by 4^s = 2^(2s) (each "
            "composition halves the width of the teeth, so the correction shrinks by 4)",
        ),
        (
            {"lag": 1},
            "the s-th sawtooth T^s(x) is divided by 4^(s-1), one power of 4 too few (as in "
            "`for s in range(m)`: apply tent, then divide by 4**s, so the first term is T(x)/1): "
            "the exponents of T and of 4 must be the same s, T^s(x)/4^s for s = 1 ... m",
        ),
        ({"sign": -1.0}, "the sawtooths are added; subtract them (x**2 lies below x on [0, 1])"),
        ({"first": 2}, "the first sawtooth T(x)/4 is missing: the sum runs s = 1 ... m"),
        ({"shift": -1}, "the answer has only m - 1 sawtooths: apply T m times, s = 1 ... m"),
        ({"shift": 1}, "the answer has m + 1 sawtooths: apply T m times, s = 1 ... m"),
    ]
    for mistake, message in mistakes:
        if matches(**mistake):
            raise ExerciseError(message + ".")
    if all(torch.allclose(answer, x**2, atol=1e-12) for answer in answers):
        raise ExerciseError(
            "that is x**2 itself; the exercise is the network's approximation "
            "x - sum_{s=1}^m T^s(x)/4^s, whose error against x**2 is 2^(-2m-2), not 0."
        )
    if all(
        torch.allclose(answer, _square_variant(x, m, 4, 1.0, 1) - x, atol=1e-12)
        for m, answer in zip(ms, answers, strict=True)
    ):
        raise ExerciseError(
            "the leading x is missing: the answer is -sum_s T^s(x)/4^s (hence 0 at x = 0 and "
            "-1.00 at x = 1 instead of 1); start from x (x.clone()) and subtract the sawtooths."
        )
    for m, answer in zip(ms, answers, strict=True):
        gap = (answer - _square_variant(x, m, 4, 1.0, 1)).abs()
        if gap.max() > 1e-12:
            raise ExerciseError(
                f"with m = {m}, square(x, m) differs from x - sum_s T^s(x)/4^s by up to "
                f"{gap.max().item():.2e} (at x = {x[gap.argmax()].item():.3f})."
            )


def _defaults(mistake: dict[str, float]) -> dict[str, float]:
    """The arguments of :func:`_square_variant` for the correct formula, changed by ``mistake``."""
    return {"divisor": 4, "sign": 1.0, "first": 1, "lag": 0, **mistake}


# --- exercise 2: a flat-topped tower in two dimensions -----------------------------------------

TOP, RADIUS = 0.25, 0.5  # exercise 2's spec: 1 on |x|, |y| <= TOP; 0 outside |x|, |y| < RADIUS


def _where(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, values: torch.Tensor) -> str:
    """'(x, y)' of the point in ``mask`` where ``values`` is largest."""
    index = torch.where(mask, values, torch.full_like(values, -math.inf)).argmax()
    return f"({x.reshape(-1)[index].item():.3f}, {y.reshape(-1)[index].item():.3f})"


def _check_plateau(student: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 2's ``plateau(t)`` against :func:`plateau`; raise a diagnosis if it differs.

    The usual slips are told apart by what they do: a constant factor (the missing ``4 = 1 /
    (1/2 - 1/4)``), a value that is not 0 far right of the ramp (the units' signs), a ramp that
    ends elsewhere than at ``|t| = 1/2`` (the radius), a top that is not 1 on all of ``|t| <= 1/4``
    (a hat, or the wrong top).
    """
    t = torch.linspace(-1, 1, 801, dtype=torch.float64)  # step 1/400: +-1/4 and +-1/2 on it
    answer = _as_tensor("plateau(t)", student(t.clone()), t)
    reference = plateau(t, TOP, RADIUS)
    gap = (answer - reference).abs()
    if gap.max().item() <= 1e-9:
        return
    scale = answer[t.abs() <= TOP].mean().item()
    if scale < -1e-9 and torch.allclose(answer, scale * reference, atol=1e-9):
        raise ExerciseError(
            f"plateau(t) is upside down (plateau(0) = {scale:.3g}): flip the sign of every unit, "
            f"+relu(t + {RADIUS}) - relu(t + {TOP}) - relu(t - {TOP}) + relu(t - {RADIUS})."
        )
    if abs(scale) > 1e-9 and torch.allclose(answer, scale * reference, atol=1e-9):
        height = (
            f"reaches only {scale:.3g} of the required height 1"
            if scale < 1
            else f"is {scale:.3g} times too high"
        )
        raise ExerciseError(
            f"plateau(t) has the right shape but {height} (plateau(0) = {scale:.3g}). Each ReLU "
            f"unit has slope 1, so over the ramp of width {RADIUS - TOP} the four units' sum "
            f"rises by only {RADIUS - TOP}: the factor in front of it must be "
            f"1 / ({RADIUS} - {TOP}) = {1 / (RADIUS - TOP):g} to make the top 1."
        )
    outside = t.abs() >= RADIUS - 1e-12
    far = answer[(t.abs() > 0.9)].abs().max().item()
    if far > 1e-9:
        where = t[(answer.abs() * (t.abs() > 0.9)).argmax()].item()
        raise ExerciseError(
            f"plateau(t) is not 0 far from the centre: plateau({where:.2f}) = "
            f"{answer[t == where].item():.3f}. Right of t = {RADIUS} all four units are on, so "
            "their slopes must add up to 0 and their values cancel: check the signs, "
            f"+relu(t + {RADIUS}) - relu(t + {TOP}) - relu(t - {TOP}) + relu(t - {RADIUS}) "
            "(then the factor that makes the top 1)."
        )
    if answer[outside].abs().max().item() > 1e-9:
        nonzero = t[answer.abs() > 1e-9].abs().max().item()
        raise ExerciseError(
            f"plateau(t) reaches 0 only at |t| = {nonzero + 1 / 400:.3f}; the spec asks for 0 "
            f"from |t| = {RADIUS} on (plateau({RADIUS}) = "
            f"{answer[(t - RADIUS).abs() < 1e-12].item():.3f}): the outer units must bend at "
            f"t = -{RADIUS} and t = +{RADIUS}."
        )
    top = t.abs() <= TOP + 1e-12
    short = (answer - 1).abs().masked_fill(~top, 0.0)
    if short.max().item() > 1e-9:
        where = t[short.argmax()].item()
        raise ExerciseError(
            f"plateau(t) is not 1 on the whole top |t| <= {TOP}: plateau({where:.3f}) = "
            f"{answer[short.argmax()].item():.3f}. A hat is 1 at one point only; a plateau "
            f"needs four units, bending at -{RADIUS}, -{TOP}, +{TOP} and +{RADIUS}, so that "
            "it is flat between the inner two."
        )
    raise ExerciseError(
        f"plateau(t) is 1 on the top and 0 outside, but differs from the straight ramp between "
        f"by up to {gap.max().item():.3f} (at t = {t[gap.argmax()].item():.3f}): it must be "
        f"linear from 0 at |t| = {RADIUS} to 1 at |t| = {TOP}."
    )


def check_flat_tower(
    tower: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    student_plateau: Callable[[torch.Tensor], torch.Tensor],
) -> None:
    """Check exercise 2: first ``plateau(t)``, then ``tower(x, y)`` against the tower's spec.

    ``student_plateau`` must equal :func:`plateau` (1 on ``|t| <= 1/4``, 0 on ``|t| >= 1/2``, linear
    between); its slips are diagnosed first (see :func:`_check_plateau`). Then the tower is checked
    against its spec, whatever network computes it. The spec: exactly 1 on the top square ``|x|, |y|
    <= 1/4``; exactly 0 outside the square ``|x|, |y| < 1/2``; between 0 and 1 everywhere; and
    piecewise linear, as the output of every ReLU network is (tested on diagonal segments: the value
    at a segment's midpoint must be the mean of its ends, except on the few segments that a crease
    crosses). Any tower meeting the spec passes; the usual slips (no threshold, no second-layer
    ReLU, a pyramid instead of a flat top, a product of plateaus) get their own diagnosis.
    """
    require_filled("plateau(t)", student_plateau)
    if not callable(student_plateau):
        raise ExerciseError(
            f"pass your plateau function as the second argument, got "
            f"{type(student_plateau).__name__}."
        )
    _check_plateau(student_plateau)
    step = 0.0125
    grid = torch.linspace(-1, 1, 161, dtype=torch.float64)
    x, y = torch.meshgrid(grid, grid, indexing="ij")
    answer = _as_tensor("flat_tower(x, y)", tower(x, y), x)
    # Piecewise linearity along the diagonal direction (1, 1)/step.
    ends = answer[:-1, :-1], answer[1:, 1:]
    middle = _as_tensor(
        "flat_tower(x, y)", tower(x[:-1, :-1] + step / 2, y[:-1, :-1] + step / 2), ends[0]
    )
    curved = (middle - (ends[0] + ends[1]) / 2).abs() > 1e-9
    inside = (x.abs() < RADIUS) & (y.abs() < RADIUS)
    if curved.double().mean().item() > 0.05:
        raise ExerciseError(
            f"the answer is not piecewise linear: on {curved.double().mean().item():.0%} of the "
            "short diagonal segments the midpoint value is not the mean of the ends. A ReLU "
            "network only adds, scales and applies relu, so its output is piecewise linear; a "
            "product such as plateau(x) * plateau(y) is not (no layer multiplies two units)."
        )
    if answer.min().item() < -1e-9:
        raise ExerciseError(
            f"the output is negative, down to {answer.min().item():.3f} at "
            f"{_where(x, y, torch.ones_like(inside), -answer)}: the second layer's ReLU is "
            "missing (plateau(x) + plateau(y) - 1 is -1 far from the centre; relu cuts it to 0)."
        )
    for name, axis in (("y", 1), ("x", 0)):
        if (answer - answer.narrow(axis, 0, 1)).abs().max().item() <= 1e-9:
            raise ExerciseError(
                f"flat_tower(x, y) does not depend on {name}: it is the same along every line "
                f"of constant {'x' if name == 'y' else 'y'}. The tower needs both plateaus, "
                f"plateau(x) and plateau(y) (is one of them written twice?)."
            )
    leak = answer.abs().masked_fill(inside, 0.0)
    if leak.max().item() > 1e-9:
        ridge = answer[(x.abs() >= RADIUS) & (y.abs() < TOP)].min().item()
        hint = (
            " It is 1 along whole strips, the ridges of plateau(x) + plateau(y): subtract 1 "
            "before the second layer's ReLU so that only the crossing stays."
            if ridge > 1 - 1e-9
            else " Check the threshold of the second layer: a point with plateau(x) = 0 must "
            "give 0 whatever plateau(y) is."
        )
        raise ExerciseError(
            f"the output is not 0 outside the square |x|, |y| < {RADIUS}: it is "
            f"{leak.max().item():.3f} at {_where(x, y, ~inside, leak)}." + hint
        )
    if answer.max().item() > 1 + 1e-9:
        raise ExerciseError(
            f"the output reaches {answer.max().item():.3f} at "
            f"{_where(x, y, torch.ones_like(inside), answer)}; the tower's height is 1, so it "
            "must stay between 0 and 1 (is the threshold missing, or the sum not shifted by 1?)."
        )
    top = (x.abs() <= TOP + 1e-12) & (y.abs() <= TOP + 1e-12)
    short = (1 - answer).abs().masked_fill(~top, 0.0)
    if short.max().item() > 1e-9:
        level = answer[top]
        if (level.max() - level.min()).item() <= 1e-9:
            raise ExerciseError(
                f"the top is flat but its height is {level.mean().item():.3g}, not 1. Where both "
                f"plateaus are 1 their sum is 2, and a threshold t leaves 2 - t on the top: "
                f"yours leaves {level.mean().item():.3g} (t = {2 - level.mean().item():.3g} if "
                "the sum is not scaled). Choose t so that the top is 1 while a point where one "
                "plateau is 0 still gives 0."
            )
        where = _where(x, y, top, short)
        value = answer.reshape(-1)[torch.where(top, short, -1.0).argmax()].item()
        raise ExerciseError(
            f"the top is not flat: the value at {where} is {value:.3f}, and the spec asks for 1 on "
            f"the whole square |x|, |y| <= {TOP}. Your plateau is right, so build the tower "
            "from plateau(x) and plateau(y): a hat is 1 at one point only, a plateau on a whole "
            "interval, so only a sum of plateaus can be 1 on the whole top."
        )
    correct(
        f"1 on the whole top |x|, |y| <= {TOP}, exactly 0 outside |x|, |y| < {RADIUS}, between "
        "0 and 1 and piecewise linear: a flat-topped tower."
    )


# --- exercise 3: a plain training loop ----------------------------------------------------------


def _reference_train(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float, mistake: str = ""
) -> list[float]:
    """The reference loop, or one of the usual mistakes (``mistake`` names it)."""
    if mistake == "SGD":
        optimizer: torch.optim.Optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    elif mistake == "AdamW":
        optimizer = torch.optim.AdamW(net.parameters(), lr=lr)  # weight_decay=0.01 by default
    elif mistake == "default lr":
        optimizer = torch.optim.Adam(net.parameters())
    else:
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        if mistake == "new optimizer":
            optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        if mistake != "no zero_grad":
            optimizer.zero_grad()
        if mistake == "shapes":
            with warnings.catch_warnings():  # the broadcast warning is the student's to see
                warnings.simplefilter("ignore", UserWarning)
                loss = nn.functional.mse_loss(net(x).squeeze(1), y)
        elif mistake == "RMSE":
            loss = nn.functional.mse_loss(net(x), y).sqrt()
        else:
            loss = nn.functional.mse_loss(net(x), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return losses


def _flat(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def check_train(
    train: Callable[[nn.Module, torch.Tensor, torch.Tensor, int, float], object],
) -> None:
    """Check ``train(net, x, y, steps, lr)``: ``steps`` full-batch Adam steps on the MSE loss.

    ``x`` and ``y`` have shape ``(N, 1)``. The function must return the list of the ``steps`` losses
    (``loss.item()`` of each step, before its update). The student's loop and the reference start
    from the same seeded 8-unit network; the final weights and the losses must agree. The usual
    mistakes (no ``zero_grad``, ``step()`` before ``backward()``, one step too many or too few,
    ``net(x).squeeze(1)`` against ``y`` of shape ``(N, 1)``, an optimizer created in every step,
    SGD, AdamW, Adam's default lr, the root of the MSE, ``.sum()`` instead of the mean) are
    recognised by running them too. The summed loss trains almost the same weights (Adam's step
    barely changes when the loss is multiplied by a constant), so it is caught by the returned loss
    values.
    """
    n_points = 32
    x = torch.linspace(-1, 1, n_points).unsqueeze(1)
    y = torch.sin(torch.pi * x)
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
    steps, lr = 30, 0.02
    net = copy.deepcopy(start)
    returned = train(net, x, y, steps, lr)
    if returned is None or returned is Ellipsis:
        if torch.equal(_flat(net), _flat(start)):
            require_filled("train_net(...)", returned)
        raise ExerciseError(
            "the loop ran but returned nothing: collect loss.item() of every step in a list and "
            "return it."
        )
    answer = _flat(net)

    def run(mistake: str = "", n: int = steps) -> tuple[torch.Tensor, list[float]]:
        other = copy.deepcopy(start)
        losses = _reference_train(other, x, y, n, lr, mistake)
        return _flat(other), losses

    reference, reference_losses = run()
    if torch.allclose(answer, reference, atol=1e-5):
        try:
            losses = [float(value) for value in returned]  # type: ignore[union-attr]
        except (TypeError, ValueError) as error:
            raise ExerciseError(
                f"train_net returned {type(returned).__name__}; return a list of the steps' "
                "losses as floats (loss.item())."
            ) from error
        if len(losses) != steps:
            raise ExerciseError(
                f"train_net returned {len(losses)} losses for {steps} steps: append loss.item() "
                "once per step."
            )
        ratio = losses[0] / reference_losses[0]
        if abs(ratio - n_points) < 1e-3 * n_points:
            raise ExerciseError(
                f"the losses are {n_points} times the reference's ({losses[0]:.3f} against "
                f"{reference_losses[0]:.3f} at step 1): that is the sum of the squared errors "
                f"over the N = {n_points} points; the spec asks for their mean (mse_loss's "
                "default, or .mean()). Adam trains nearly the same weights either way, which is "
                "why the weights alone could not tell."
            )
        if abs(ratio - 0.5) < 1e-3:
            raise ExerciseError(
                f"the losses are half the reference's ({losses[0]:.4f} against "
                f"{reference_losses[0]:.4f} at step 1): that is half the mean squared error "
                "(a factor 0.5, as in the textbook's 1/2 (y - f)^2); the spec asks for the MSE "
                "itself. Adam trains nearly the same weights either way, which is why the "
                "weights alone could not tell."
            )
        if not all(
            math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-7)
            for a, b in zip(losses, reference_losses, strict=True)
        ):
            raise ExerciseError(
                f"the weights are right but the returned losses are not the reference's "
                f"(first {losses[0]:.4f} against {reference_losses[0]:.4f}): append loss.item() "
                "of the mean squared error of each step, computed before that step's update."
            )
        correct(
            f"{steps} Adam steps: MSE from {losses[0]:.3f} to {losses[-1]:.3f}, weights and "
            "losses as in the reference."
        )
        return
    diagnoses = [
        (
            run("no zero_grad")[0],
            "the gradients accumulate over steps: call optimizer.zero_grad() "
            "before loss.backward() in every step",
        ),
        (
            run(n=steps - 1)[0],
            "one step too few: the loop must take exactly `steps` steps (or step() is called "
            "before backward(), so each step applies the previous step's gradient)",
        ),
        (run(n=steps + 1)[0], "one step too many: the loop must take exactly `steps` steps"),
        (
            run("shapes")[0],
            f"the loss compares a tensor of shape ({n_points},) with y of shape ({n_points}, 1): "
            f"broadcasting turns the difference into a ({n_points}, {n_points}) matrix of every "
            "output minus every target, and the net learns their mean (PyTorch warns about it). "
            "Keep net(x) and y both (N, 1): no squeeze",
        ),
        (
            run("new optimizer")[0],
            "the optimizer is created anew in every step, so Adam forgets its running averages "
            "(every step is then a first step of size about lr): create it once, before the loop",
        ),
        (run("SGD")[0], "these are plain SGD's steps; the spec asks for torch.optim.Adam"),
        (
            run("AdamW")[0],
            "these are torch.optim.AdamW's steps, whose default weight_decay=0.01 shrinks the "
            "weights a little every step; the spec asks for plain torch.optim.Adam, no weight "
            "decay",
        ),
        (
            run("RMSE")[0],
            "the loss is the root of the mean squared error (.sqrt()); its gradient is the MSE's "
            "divided by 2*sqrt(MSE), a factor that changes every step, so Adam takes other steps. "
            "Train on the mean squared error itself",
        ),
        (
            run("default lr")[0],
            "these are Adam's steps with its default lr = 1e-3: pass lr=lr to the optimizer",
        ),
    ]
    for other, message in diagnoses:
        if torch.allclose(answer, other, atol=1e-5):
            raise ExerciseError(message + ".")
    if torch.equal(answer, _flat(start)):
        if any(p.grad is not None and p.grad.abs().sum().item() > 0 for p in net.parameters()):
            raise ExerciseError(
                "the network's weights did not change, yet it holds a gradient: step() runs "
                "before backward(), so when step() runs there is no gradient yet (zero_grad() "
                "has just cleared it) and Adam skips every weight. In each step: zero_grad(), "
                "the loss, loss.backward(), then optimizer.step()."
            )
        raise ExerciseError(
            "the network's weights did not change: train the net you are given (not a copy), and "
            "put zero_grad() before backward(), not between backward() and step()."
        )
    raise ExerciseError(
        "the trained weights differ from the reference loop (Adam with lr, `steps` steps of "
        "zero_grad, MSE loss on the whole batch, backward, step). Did you create plain Adam (no "
        "weight decay) with the given lr, and train `net` itself?"
    )


# --- exercise 4: one extra unit for the kink ----------------------------------------------------

KINK = math.sqrt(2) - 1  # the kink of |x - c| in notebook 05


def _kink_network_error(w: float, b: float, a: float) -> tuple[float, float]:
    """Max error on [-1, 1] of the 8-hinge interpolant of ``|x - c|`` plus ``a relu(w x + b)``.

    Returns the error and the point where it is largest. The grid is notebook 05's ``x_fine``:
    4001 equally spaced points plus the kink itself.
    """
    grid = torch.linspace(-1, 1, 4001, dtype=torch.float64)
    x = torch.cat([grid, torch.tensor([KINK], dtype=torch.float64)])
    knots = torch.linspace(-1, 1, 9, dtype=torch.float64)
    values = (knots - KINK).abs()
    # The piecewise-linear interpolant on the 8 equal intervals (what the 8 hinges compute).
    index = torch.clamp(((x + 1) / 0.25).floor().long(), 0, 7)
    t = (x - knots[index]) / 0.25
    network = values[index] * (1 - t) + values[index + 1] * t + a * torch.relu(w * x + b)
    gap = (network - (x - KINK).abs()).abs()
    return gap.max().item(), x[gap.argmax()].item()


def check_extra_unit(w: object, b: object, a: object, goal: float = 0.08) -> None:
    """Check exercise 4: one unit ``a relu(w x + b)`` added to the 8 equal hinges on the kink.

    The 8-hinge interpolant of ``|x - c|``, ``c = sqrt(2) - 1``, on ``[-1, 1]`` has maximum error
    0.113, at the kink. The answer passes if the 9-unit network's maximum error is below ``goal``.
    A wrong answer is told what happened: a unit that is zero everywhere, a
    hinge on the kink, or a unit that is zero at ``c`` because its hinge is on the wrong side
    (no help where the error is largest), the wrong sign of ``a`` (the network is
    above the target at ``c``), or an error that fell but not far enough.

    Args:
        w, b, a: the extra unit's input weight, bias and output weight (numbers).
        goal: the maximum error to beat.
    """
    for name, value in (("w", w), ("b", b), ("a", a)):
        require_filled(name, value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExerciseError(f"{name} must be a number, got {type(value).__name__}.")
    w, b, a = float(w), float(b), float(a)  # type: ignore[arg-type]
    before, _ = _kink_network_error(0.0, 0.0, 0.0)
    error, where = _kink_network_error(w, b, a)
    if a == 0 or (w == 0 and b <= 0):
        raise ExerciseError(
            f"with w = {w:g}, b = {b:g}, a = {a:g} the extra unit is 0 everywhere, so the max "
            f"error stays {error:.3f}: give it a nonzero output weight a (and a unit that is on "
            f"somewhere in [-1, 1])."
        )
    if w != 0 and abs(-b / w - KINK) < 0.01:
        raise ExerciseError(
            f"the unit bends at x = {-b / w:.3f}, on the kink c = {KINK:.3f}: it is 0 at c, so "
            f"it cannot change the network's value where the error is largest (max error "
            f"{error:.3f}). Put its hinge elsewhere, so that it lowers the network at c."
        )
    if w * KINK + b <= 0:
        side = "right" if w > 0 else "left"
        raise ExerciseError(
            f"max error {error:.3f}, at x = {where:.2f}: your unit is 0 at the kink c = "
            f"{KINK:.3f}, where the error is largest. Its hinge is at x = -b/w = {-b / w:.3f}, and "
            f"with w = {w:g} it is on only to the {side} of the hinge, so c is on its off side "
            "(the hinge sits at -b/w, not at b). To act at c the unit must be on there: "
            "w * c + b > 0."
        )
    if error < goal:
        half = round(before / 2, 4)
        correct(
            f"max error {error:.4f} (8 hinges alone: {before:.4f}); the unit lowers the network "
            f"at the kink and spreads the error. No single unit beats half the peak: a ReLU unit "
            f"is monotone, so at one of the two knots next to c, where the 8 hinges are exact, it "
            f"is at least as large as at c, and what it removes at c it adds there. Lowering the "
            f"whole network by half the peak (w = 0, b = 1, a = {-half:.4f}; w = 0 is allowed) "
            f"gives {_kink_network_error(0.0, 1.0, -half)[0]:.4f}."
        )
        return
    flipped, _ = _kink_network_error(w, b, -a)
    if error >= before and flipped < before:
        raise ExerciseError(
            f"max error {error:.3f}, at x = {where:.2f}: no better than the 8 hinges' "
            f"{before:.3f}. "
            f"The network lies above the target at the kink (a chord across a V), so the unit "
            f"must lower it there: try the opposite sign of a (with -a the error is {flipped:.3f})."
        )
    if error >= before:
        raise ExerciseError(
            f"max error {error:.3f}, at x = {where:.2f}: no better than the 8 hinges' "
            f"{before:.3f}. "
            f"A unit as large as this one adds more error where it is largest than it removes at "
            f"the kink: make |a| smaller."
        )
    raise ExerciseError(
        f"max error {error:.3f}, lower than the 8 hinges' {before:.3f} but not below {goal}: it "
        f"is now largest at x = {where:.2f}. Balance the two: the error left at the kink against "
        f"the error your unit adds where it is largest (change |a|, or move the hinge)."
    )
