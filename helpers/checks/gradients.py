"""Checks for the exercises of notebook 03 (vanishing and exploding gradients).

Each ``check_...`` function takes the student's answer (a function, or numbers), computes the
reference on the spot, and prints ``Correct: ...`` or raises :class:`ExerciseError` with a
diagnosis of the most common mistakes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from helpers.checks._core import ExerciseError, correct, require_filled

# --- exercise 1: Kaiming initialisation for LeakyReLU -------------------------------------------


def kaiming_leaky_std(fan_in: int, negative_slope: float) -> float:
    """The reference: the weight std that keeps ``E[a**2]`` constant through LeakyReLU layers."""
    return math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan_in))


def check_kaiming_leaky_std(std_fn: Callable[[int, float], float]) -> None:
    """Compare ``std_fn(fan_in, negative_slope)`` with Kaiming's LeakyReLU formula.

    Diagnoses: ReLU's formula (the negative side ignored), ``1 + alpha`` or ``(1 + alpha)**2``
    instead of ``1 + alpha**2`` (``alpha`` = ``negative_slope``),
    the variance instead of the standard deviation, a missing factor 2, ``fan_out`` confusion
    does not arise (only ``fan_in`` is given).
    """
    cases = [(64, 0.2), (100, 0.5), (32, 0.01)]
    answers = []
    for fan_in, a in cases:
        value = std_fn(fan_in, a)
        require_filled("kaiming_leaky_std(...)", value)
        if isinstance(value, torch.Tensor):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExerciseError(
                f"kaiming_leaky_std should return a number, got {type(value).__name__}"
            )
        answers.append(float(value))
    for (fan_in, a), value in zip(cases, answers, strict=True):
        reference = kaiming_leaky_std(fan_in, a)
        if math.isclose(value, reference, rel_tol=1e-6):
            continue
        wrong = {
            "that is ReLU's formula, sqrt(2 / fan_in): the negative side of LeakyReLU also passes "
            "on a fraction alpha**2 of its variance (alpha = negative_slope), so "
            "E[LeakyReLU(z)**2] = (1 + alpha**2) / 2 * Var(z)": math.sqrt(2.0 / fan_in),
            "the negative side scales z by alpha, so it contributes alpha**2 (the square of the "
            "slope) to the second moment, not alpha: use 1 + alpha**2": math.sqrt(
                2.0 / ((1.0 + a) * fan_in)
            ),
            "you squared the sum, (1 + alpha)**2: the two halves add their second moments "
            "separately, 1 * Var(z) / 2 from z > 0 and alpha**2 * Var(z) / 2 from z <= 0, so the "
            "factor is 1 + alpha**2 (square the slope, not the sum)": math.sqrt(
                2.0 / ((1.0 + a) ** 2 * fan_in)
            ),
            "you returned the variance: the standard deviation is its square root": reference**2,
            "a factor 2 is missing: LeakyReLU keeps only (1 + alpha**2) / 2 of the second moment, "
            "and the weights must make up for it": math.sqrt(1.0 / ((1.0 + a**2) * fan_in)),
        }
        for message, candidate in wrong.items():
            if math.isclose(value, candidate, rel_tol=1e-6):
                raise ExerciseError(f"for fan_in={fan_in}, negative_slope={a}: {message}.")
        raise ExerciseError(
            f"for fan_in={fan_in}, negative_slope={a}: you return {value:.4g}, but the std that "
            f"keeps the signal's scale is {reference:.4g}. Start from "
            "Var(z) = fan_in * Var(w) * E[x**2], where x = LeakyReLU(z_previous) is the layer's "
            "input, and compute E[x**2] for LeakyReLU."
        )
    correct(
        "std = sqrt(2 / ((1 + alpha**2) * fan_in)), which is torch.nn.init.calculate_gain("
        "'leaky_relu', alpha) / sqrt(fan_in)."
    )


# --- exercise 2: batch normalisation by hand ----------------------------------------------------


def _reference_bn(x: torch.Tensor, bn: nn.BatchNorm1d, *, training: bool) -> torch.Tensor:
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    else:
        mean, var = bn.running_mean, bn.running_var
    return bn.weight * (x - mean) / torch.sqrt(var + bn.eps) + bn.bias


def check_batch_norm(bn_fn: Callable[[torch.Tensor, nn.BatchNorm1d], torch.Tensor]) -> None:
    """Compare ``bn_fn(x, bn)`` with ``bn(x)`` for an ``nn.BatchNorm1d`` in train and eval mode.

    The module has non-trivial running statistics, scale and shift, so that each ingredient
    shows. Diagnoses: batch statistics in eval mode, running statistics in train mode, the
    unbiased variance, normalising over the units (layer norm) instead of the batch, a
    forgotten ``eps``, ``eps`` outside the square root, a forgotten scale and shift.
    """
    gen = torch.Generator().manual_seed(0)
    x = 2.0 + 3.0 * torch.randn(8, 5, generator=gen)
    bn = nn.BatchNorm1d(5, eps=0.5)  # a large eps, so that forgetting it shows
    with torch.no_grad():
        bn.weight.copy_(1.0 + torch.rand(5, generator=gen))
        bn.bias.copy_(torch.randn(5, generator=gen))
        bn.running_mean.copy_(torch.randn(5, generator=gen))
        bn.running_var.copy_(0.5 + torch.rand(5, generator=gen))
    for training in (True, False):
        bn.train(training)
        mode = "train" if training else "eval"
        state = {k: v.clone() for k, v in bn.state_dict().items()}
        with torch.no_grad():
            expected = bn(x)
        bn.load_state_dict(state)  # undo the running-statistics update of that call
        got = bn_fn(x.clone(), bn)
        require_filled("batch_norm_forward(...)", got)
        if not isinstance(got, torch.Tensor):
            raise ExerciseError(f"batch_norm_forward should return a tensor, got {type(got)}")
        if got.shape != expected.shape:
            raise ExerciseError(
                f"in {mode} mode the output has shape {tuple(got.shape)}, expected "
                f"{tuple(expected.shape)}: keep the shape of x"
            )
        got = got.detach()
        if torch.allclose(got, expected, atol=1e-5):
            continue
        diagnoses = _bn_diagnoses(x, bn, training)
        for message, candidate in diagnoses:
            if torch.allclose(got, candidate, atol=1e-5):
                raise ExerciseError(f"in {mode} mode: {message}.")
        raise ExerciseError(
            f"in {mode} mode your output differs from nn.BatchNorm1d by up to "
            f"{(got - expected).abs().max().item():.3g}."
        )
    correct("your batch norm matches nn.BatchNorm1d in train mode and in eval mode.")


def _bn_diagnoses(
    x: torch.Tensor, bn: nn.BatchNorm1d, training: bool
) -> list[tuple[str, torch.Tensor]]:
    with torch.no_grad():
        w, b, eps = bn.weight, bn.bias, bn.eps
        batch_mean, batch_var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        run_mean, run_var = bn.running_mean, bn.running_var
        out: list[tuple[str, torch.Tensor]] = []
        if training:
            out += [
                (
                    "you used the running statistics in train mode: in training mode batch norm "
                    "normalises with the mean and variance of the current batch",
                    w * (x - run_mean) / torch.sqrt(run_var + eps) + b,
                ),
                (
                    "you normalised with the unbiased variance (divide by N - 1): batch norm "
                    "divides by N (x.var(dim=0, unbiased=False)); only the running variance is "
                    "updated with the unbiased one",
                    w * (x - batch_mean) / torch.sqrt(x.var(dim=0) + eps) + b,
                ),
                (
                    "you normalised each sample over its units (dim=1): that is layer norm; batch "
                    "norm normalises each unit over the batch (dim=0)",
                    w
                    * (x - x.mean(dim=1, keepdim=True))
                    / torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + eps)
                    + b,
                ),
            ]
            mean, var = batch_mean, batch_var
        else:
            out += [
                (
                    "you used the batch statistics in eval mode: in eval mode batch norm uses "
                    "bn.running_mean and bn.running_var, so each sample's output does not depend "
                    "on the rest of its batch",
                    w * (x - batch_mean) / torch.sqrt(batch_var + eps) + b,
                )
            ]
            mean, var = run_mean, run_var
        out += [
            (
                "you forgot eps: divide by sqrt(var + bn.eps)",
                w * (x - mean) / torch.sqrt(var) + b,
            ),
            (
                "you added eps outside the square root, sqrt(var) + eps: batch norm divides by "
                "sqrt(var + bn.eps), eps inside the root",
                w * (x - mean) / (torch.sqrt(var) + eps) + b,
            ),
            (
                "you forgot the learned scale and shift: multiply by bn.weight, then add bn.bias",
                (x - mean) / torch.sqrt(var + eps),
            ),
            (
                "you divided by the variance: divide by the standard deviation sqrt(var + eps)",
                w * (x - mean) / (var + eps) + b,
            ),
        ]
    return out


# --- exercise 3: the largest stable learning rate -----------------------------------------------

SETTINGS: tuple[str, ...] = ("plain", "clipped", "batch norm")


def end_loss_reference(lr: float, setting: str, X: torch.Tensor, y: torch.Tensor) -> float:
    """The reference experiment of exercise 3: the MSE on all of ``X`` at the end of training.

    A 10-layer ReLU MLP (width 32, Kaiming init, seed 0; with ``nn.BatchNorm1d`` for
    ``"batch norm"``) takes 20 plain SGD steps on the batches ``X[20k : 20k + 20]`` in order
    (two passes over 200 samples), clipping the total gradient norm to 1 for ``"clipped"``.
    Returns ``inf`` if a batch loss is not finite (training stops there), else the MSE on all of
    ``X`` after the last step, in train mode.
    """
    from helpers.deep import make_mlp

    torch.manual_seed(0)
    model = make_mlp(10, activation="relu", init="kaiming", batch_norm=setting == "batch norm")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(20):
        i = 20 * (step % 10)
        loss = nn.functional.mse_loss(model(X[i : i + 20]).squeeze(1), y[i : i + 20])
        if not math.isfinite(loss.item()):
            return math.inf
        optimizer.zero_grad()
        loss.backward()
        if setting == "clipped":
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    with torch.no_grad():
        end = nn.functional.mse_loss(model(X).squeeze(1), y).item()
    return end if math.isfinite(end) else math.inf


def is_stable_reference(lr: float, setting: str, X: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether :func:`end_loss_reference` ends below ``var(y)``, the MSE of predicting the mean.

    Every batch loss must be finite and the final MSE on all of ``X`` below ``var(y)`` (biased):
    a run that stays finite but ends worse than the best constant prediction is not stable
    training, only a bounded failure.
    """
    return end_loss_reference(lr, setting, X, y) < y.var(unbiased=False).item()


def _end_description(lr: float, setting: str, X: torch.Tensor, y: torch.Tensor) -> str:
    end = end_loss_reference(lr, setting, X, y)
    var_y = y.var(unbiased=False).item()
    if not math.isfinite(end):
        return "a batch loss is not finite"
    return (
        f"it ends at loss {end:.3g}, not below var(y) = {var_y:.3g}: finite, but worse than "
        "predicting the mean"
    )


def check_largest_stable_lr(
    lr_max: dict[str, float | None], X: torch.Tensor, y: torch.Tensor, lrs: Sequence[float]
) -> None:
    """Check the student's largest stable learning rate per setting against the reference run.

    ``lr_max`` maps each setting ("plain", "clipped", "batch norm") to the largest learning rate
    of ``lrs`` at which training was stable (``None`` if none was). The check reruns
    :func:`is_stable_reference` at the student's rate and at every larger one on the grid: the
    first must be stable, the others not. Diagnoses: an unfilled or missing entry, a rate that
    is not on the grid, the first unstable rate (one step too far), a larger rate that is stable
    too, and calling a rate stable that is not.
    """
    require_filled("lr_max", lr_max)
    if not isinstance(lr_max, dict):
        raise ExerciseError(f"lr_max should be a dict of setting -> lr, got {type(lr_max)}")
    grid = sorted(lrs)
    if all(lr_max.get(setting) == grid[-1] for setting in SETTINGS) and not any(
        is_stable_reference(grid[-1], setting, X, y) for setting in SETTINGS
    ):
        raise ExerciseError(
            f"every learning rate, up to {grid[-1]}, counts as stable in every setting: is_stable "
            "is not filled in yet, or it never returns False. It must return False when a batch "
            "loss is not finite or when the final loss is not below var(y)."
        )
    for setting in SETTINGS:
        if setting not in lr_max:
            raise ExerciseError(f"lr_max has no entry for {setting!r}")
        got = lr_max[setting]
        require_filled(f"lr_max[{setting!r}]", got)
        if got is not None and got not in grid:
            raise ExerciseError(f"lr_max[{setting!r}] = {got!r} is not one of the tried lrs {grid}")
        i = grid.index(got) if got is not None else -1
        if got is not None and not is_stable_reference(got, setting, X, y):
            below = grid[i - 1] if i > 0 else None
            if below is not None and is_stable_reference(below, setting, X, y):
                raise ExerciseError(
                    f"lr_max[{setting!r}] = {got}: that is the first learning rate that is NOT "
                    f"stable (one step too far: {_end_description(got, setting, X, y)}); the "
                    f"largest stable one is {below}"
                )
            raise ExerciseError(
                f"lr_max[{setting!r}] = {got}, but training at that rate is not stable "
                f"({_end_description(got, setting, X, y)})"
            )
        for larger in grid[i + 1 :]:
            if is_stable_reference(larger, setting, X, y):
                raise ExerciseError(
                    f"lr_max[{setting!r}] = {got}, but {larger} is stable too: test every "
                    "learning rate of the grid and keep the largest stable one (did you forget "
                    "optimizer.zero_grad(), or the clipping, or stop at the first failure?)"
                )
    correct(
        "largest stable learning rates " + ", ".join(f"{k}: {lr_max[k]}" for k in SETTINGS) + "."
    )


# --- exercise 4: clipping by norm and by value --------------------------------------------------


def check_clipped_cosines(
    fn: Callable[[torch.Tensor, float, float], tuple[float, float, float]],
) -> None:
    """Compare ``fn(grad, max_norm, clip_value)`` = (cos by norm, cos by value, norm after clipping
    by norm) with the reference, on a gradient above ``max_norm`` and on one below it.

    Diagnoses: clipping ``grad`` in place (so it is compared with itself), swapped order, value
    clipping that loses the sign, a vector instead of a number, the dot product instead of the
    cosine, and norm clipping that always rescales to ``max_norm`` (it must leave a gradient
    whose norm is below ``max_norm`` unchanged; the cosine alone cannot tell).
    """
    gen = torch.Generator().manual_seed(0)
    grad = torch.randn(1000, generator=gen) * torch.logspace(-3, 2, 1000)  # large and small parts
    max_norm, clip_value = 1.0, 0.05
    given = grad.clone()
    answer = fn(given, max_norm, clip_value)
    require_filled("clipped_cosines(...)", answer)
    if not torch.equal(given, grad):
        raise ExerciseError(
            "your function changed the gradient it was given (an in-place operation such as "
            "grad.clamp_(...), grad.mul_(...) or clip_grad_value_ on grad itself): the cosine then "
            "compares the clipped vector with itself. Clip a copy: grad.clamp(...) without the "
            "underscore returns a new tensor"
        )
    if not isinstance(answer, tuple) or len(answer) != 3:
        raise ExerciseError(
            "clipped_cosines should return three numbers (cos_by_norm, cos_by_value, norm_by_norm)"
        )
    values = []
    for name, v in zip(("cos_by_norm", "cos_by_value", "norm_by_norm"), answer, strict=True):
        require_filled(name, v)
        if isinstance(v, torch.Tensor):
            if v.numel() != 1:
                raise ExerciseError(
                    f"{name} should be one number, got a tensor of shape {tuple(v.shape)}: "
                    "compare the whole gradient as one vector"
                )
            v = v.item()
        values.append(float(v))
    cos = nn.functional.cosine_similarity
    by_norm = grad * min(1.0, max_norm / grad.norm().item())
    by_value = grad.clamp(-clip_value, clip_value)
    ref = (cos(grad, by_norm, dim=0).item(), cos(grad, by_value, dim=0).item())
    if all(math.isclose(a, b, abs_tol=1e-4) for a, b in zip(values[:2], ref, strict=True)):
        if not math.isclose(values[2], by_norm.norm().item(), rel_tol=1e-4):
            raise ExerciseError(
                f"the norm-clipped gradient should have norm max_norm = {max_norm:g} (its norm was "
                f"{grad.norm().item():.3g}), got {values[2]:.4g}"
            )
        small = grad * (0.5 * max_norm / grad.norm().item())  # norm 0.5: below max_norm
        small_answer = fn(small.clone(), max_norm, clip_value)
        require_filled("clipped_cosines(...)", small_answer)
        small_norm = float(small_answer[2])
        if not math.isclose(small_norm, small.norm().item(), rel_tol=1e-4):
            if math.isclose(small_norm, max_norm, rel_tol=1e-4):
                raise ExerciseError(
                    f"on a gradient of norm {small.norm().item():.3g} < max_norm = {max_norm:g} "
                    f"your norm clipping returns norm {small_norm:.4g}: it always rescales to "
                    "max_norm (that is normalising, not clipping). clip_grad_norm_ scales only "
                    "when the norm exceeds max_norm: multiply by min(1, max_norm / norm)"
                )
            raise ExerciseError(
                f"on a gradient of norm {small.norm().item():.3g} < max_norm = {max_norm:g} the "
                f"norm-clipped vector must be unchanged, but you return norm {small_norm:.4g}"
            )
        correct(
            f"cosine by norm {ref[0]:.4f} (the direction is kept), by value {ref[1]:.3f}: "
            "a different direction, though still downhill (every entry keeps its sign); a "
            "gradient below max_norm keeps its norm."
        )
        return
    if all(math.isclose(a, b, abs_tol=1e-4) for a, b in zip(values[:2], ref[::-1], strict=True)):
        raise ExerciseError("you returned (by value, by norm): the order is (by norm, by value)")
    lost_sign = cos(grad, grad.abs().clamp(max=clip_value), dim=0).item()
    if math.isclose(values[1], lost_sign, abs_tol=1e-4) or math.isclose(
        values[1], cos(grad, grad.clamp(0, clip_value), dim=0).item(), abs_tol=1e-4
    ):
        raise ExerciseError(
            "your value clipping loses the sign of negative entries: clip to [-clip_value, "
            "clip_value] with grad.clamp(-clip_value, clip_value)"
        )
    if math.isclose(values[1], torch.dot(grad, by_value).item(), rel_tol=1e-4):
        raise ExerciseError(
            "that is the dot product; the cosine divides it by both norms "
            "(nn.functional.cosine_similarity)"
        )
    raise ExerciseError(
        f"expected cosines ({ref[0]:.4f}, {ref[1]:.3f}), got ({values[0]:.4f}, {values[1]:.3f})"
    )


# --- exercise 5: float16 underflow and loss scaling ---------------------------------------------


def fp16_zero_fraction_reference(grad: torch.Tensor, scale: float = 1.0) -> float:
    """Fraction of the nonzero entries of ``grad`` that become 0.0 when ``scale * grad`` is stored
    in float16."""
    nonzero = grad != 0
    flushed = ((grad * scale).half() == 0) & nonzero
    return flushed.sum().item() / max(nonzero.sum().item(), 1)


def check_fp16_zero_fraction(
    fn: Callable[[torch.Tensor, float], float], grad_to_report: torch.Tensor | None = None
) -> None:
    """Compare ``fn(grad, scale)`` with the reference on gradients spread over many decades.

    Diagnoses: scaling after the conversion (too late) or unscaling in float16 (both give the
    unscaled fraction, so one message names both), counting entries that were zero
    already, bfloat16 instead of float16, a threshold at float16's smallest subnormal or smallest
    normal instead of the rounding itself, a count instead of a fraction. When the answer is
    right and ``grad_to_report`` is given, the confirmation also reports ``fn`` on it at scales
    1 and ``2**12``.
    """
    gen = torch.Generator().manual_seed(0)
    grad = torch.randn(4000, generator=gen) * torch.logspace(-12, 0, 4000)
    grad[:400] = 0.0  # entries that are exactly zero in float32 already
    for scale in (1.0, 2.0**12):
        value = fn(grad.clone(), scale)
        require_filled("fp16_zero_fraction(...)", value)
        if isinstance(value, torch.Tensor):
            value = value.item()
        value = float(value)
        reference = fp16_zero_fraction_reference(grad, scale)
        if math.isclose(value, reference, abs_tol=1e-6):
            continue
        nonzero = grad != 0
        wrong = {
            "you return the fraction without loss scaling: either you multiplied by the scale "
            "after converting to float16 (an entry that has already underflowed to 0 stays 0), "
            "or you divided by the scale again while in float16 (the unscaling underflows "
            "again); scale in float32, convert, and count the zeros of (scale * grad).half() "
            "itself (GradScaler unscales in float32)": (((grad.half() * scale) == 0) & nonzero)
            .sum()
            .item()
            / nonzero.sum().item(),
            "you also counted the entries that were exactly zero before the conversion: count "
            "only those that were nonzero in float32": ((grad * scale).half() == 0)
            .float()
            .mean()
            .item(),
            "you converted to bfloat16, which has float32's exponent range; the exercise is "
            "about float16 (.half())": (((grad * scale).bfloat16() == 0) & nonzero).sum().item()
            / nonzero.sum().item(),
            "you compared |scale * grad| with float16's smallest subnormal 2**-24 (about 6e-8): "
            "rounding to the nearest float16 sends only |x| <= 2**-25, half of it, to 0; convert "
            "with .half() and compare with 0": (((grad * scale).abs() < 2.0**-24) & nonzero)
            .sum()
            .item()
            / nonzero.sum().item(),
            "you compared |scale * grad| with float16's smallest normal 2**-14 (about 6.1e-5): "
            "values between 2**-25 and 2**-14 become subnormal, not zero; convert with .half() "
            "and compare with 0": (((grad * scale).abs() < 2.0**-14) & nonzero).sum().item()
            / nonzero.sum().item(),
            "that is a count: divide by the number of nonzero entries to get a fraction": float(
                (((grad * scale).half() == 0) & nonzero).sum().item()
            ),
        }
        for message, candidate in wrong.items():
            if math.isclose(value, candidate, abs_tol=1e-6):
                raise ExerciseError(f"with scale {scale:g}: {message}.")
        raise ExerciseError(
            f"with scale {scale:g} you return {value:.4g}, expected {reference:.4g}"
        )
    message = (
        f"float16 rounds {fp16_zero_fraction_reference(grad):.1%} of the test gradient's nonzero "
        f"entries to zero, {fp16_zero_fraction_reference(grad, 2.0**12):.1%} after scaling by 2**12"
    )
    if grad_to_report is not None:
        message += (
            f"; on your gradient {float(fn(grad_to_report, 1.0)):.1%} and "
            f"{float(fn(grad_to_report, 2.0**12)):.1%}"
        )
    correct(message + ".")


# --- exercise 6: the residual forward pass ------------------------------------------------------


def _residual_reference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    h = model.hidden[0](x)
    for i, norm in enumerate(model.norms):
        a = model.activation(norm(h))
        if i + 1 < len(model.hidden):
            h = h + model.hidden[i + 1](a)
    return model.output(a)


def _residual_mistakes(model: nn.Module, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """(diagnosis, output) of the typical wrong residual forward passes."""

    def run(kind: str) -> torch.Tensor:
        if kind.startswith("post-norm"):  # h = norm(h + linear(activation(h))): norm on the sum
            h = model.hidden[0](x)
            if kind == "post-norm":  # norms[0] on the first layer, one norm after each block
                h = model.norms[0](h)
                pairs = zip(model.norms[1:], model.hidden[1:], strict=True)
            else:  # the enumerate form: block i's norm on its sum, the first h not normalised
                pairs = zip(model.norms, model.hidden[1:], strict=False)
            for norm, layer in pairs:
                h = norm(h + layer(model.activation(h)))
            if kind == "post-norm, last norm at the output":
                h = model.norms[-1](h)
            return model.output(model.activation(h))
        h = model.hidden[0](x)
        for i, norm in enumerate(model.norms):
            a = model.activation(h if kind == "no norm" else norm(h))
            if i + 1 < len(model.hidden):
                layer = model.hidden[i + 1]
                if kind == "no skip":
                    h = layer(a)
                elif kind == "linear branch":
                    h = h + layer(h)
                elif kind == "skip after activation":
                    h = a + layer(a)
                else:  # the right block; the mistake is in the output
                    h = h + layer(a)
        if kind == "output on h":
            return model.output(h)
        return model.output(a)

    return [
        (
            "that is the plain network: each block must add its branch to its input, "
            "h = h + branch, not replace it (h = branch)",
            run("no skip"),
        ),
        (
            "the branch is linear(activation(norm(h))): you applied the linear layer to h "
            "directly, leaving out the norm and the activation inside the branch",
            run("linear branch"),
        ),
        (
            "you added the branch to the activation a instead of to the stream h: the skip "
            "path must carry h itself (h = h + linear(a)), untouched by any activation",
            run("skip after activation"),
        ),
        (
            "you left out the norm: each block's branch starts with norm(h), "
            "h = h + linear(activation(norm(h))), and so does the output layer's input",
            run("no norm"),
        ),
        (
            "that is post-norm, h = norm(h + branch), the norm after the addition (the original "
            "ResNet and transformer): make_mlp puts the norm first inside the branch (pre-norm), "
            "h = h + linear(activation(norm(h))), so the stream h itself is never normalised",
            run("post-norm"),
        ),
        *(
            (
                "that is post-norm, h = norm(h + branch), the norm after the addition: make_mlp "
                "puts the norm first inside the branch (pre-norm), "
                "h = h + linear(activation(norm(h))), so the stream h itself is never normalised",
                run(kind),
            )
            for kind in ("post-norm, first h raw", "post-norm, last norm at the output")
        ),
        (
            "the output layer reads activation(norm(h)) of the last block, not the stream h "
            "itself: apply the last norm and activation before model.output",
            run("output on h"),
        ),
    ]


def check_residual_forward(fn: Callable[[nn.Module, torch.Tensor], torch.Tensor]) -> None:
    """Compare ``fn(model, x)`` with ``model(x)`` for residual :func:`helpers.deep.make_mlp` nets.

    Three networks with ``skip=True`` are tried (tanh, sigmoid with layer norm, ReLU with batch
    norm in eval mode), so that a forgotten norm shows. Diagnoses: no skip (the plain network), a
    branch without its norm and activation, no norm at all, post-norm (the norm on the sum), the
    skip added to the activation instead of the stream, the output layer applied to the stream
    instead of the last activation.
    """
    from helpers.deep import make_mlp

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=gen)
    for settings in (
        dict(activation="tanh", init="xavier"),
        dict(activation="sigmoid", layer_norm=True),
        dict(activation="relu", init="kaiming", batch_norm=True),
    ):
        torch.manual_seed(0)
        model = make_mlp(5, width=8, skip=True, in_features=3, **settings)
        if settings.get("batch_norm"):
            with torch.no_grad():
                model(torch.randn(16, 3, generator=gen))  # running statistics that are not 0 and 1
            model.eval()
        with torch.no_grad():
            expected = model(x)
            got = fn(model, x.clone())
            require_filled("residual_forward(...)", got)
            if not isinstance(got, torch.Tensor):
                raise ExerciseError(
                    f"residual_forward should return a tensor, got {type(got).__name__}"
                )
            if got.shape != expected.shape:
                raise ExerciseError(
                    f"the output has shape {tuple(got.shape)}, expected {tuple(expected.shape)} "
                    "(one output per sample): finish with model.output(...)"
                )
            if torch.allclose(got, expected, atol=1e-6):
                continue
            name = ", ".join(f"{k}={v!r}" for k, v in settings.items())
            for message, candidate in _residual_mistakes(model, x):
                if torch.allclose(got, candidate, atol=1e-6):
                    raise ExerciseError(f"for make_mlp(5, skip=True, {name}): {message}.")
            raise ExerciseError(
                f"for make_mlp(5, skip=True, {name}) your output differs from model(x) by up to "
                f"{(got - expected).abs().max().item():.3g}"
            )
    correct(
        "your residual forward matches make_mlp(..., skip=True) with tanh, with layer norm and "
        "with batch norm."
    )
