"""Checks for notebook 02's exercises (autograd): each one diagnoses a wrong answer in words.

Every check builds its own float64 inputs from a fixed seed, runs the student's code on them,
computes the right answer on the spot (with ``torch.autograd`` as the referee) and either prints
one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError` naming the likely
mistake: a missing ``tanh'`` factor, a transposed gradient, a bias gradient not summed over the
batch, a backward that ignores ``grad_output``, a wrong sign, a factor 2 or ``N`` too many.

A check calls an ``autograd.Function``'s ``forward`` and ``backward`` directly, with a small
stand-in for ``ctx``, so that what ``backward`` returns can be inspected before PyTorch would
refuse it with a less helpful error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_linear_function",
    "check_silu_backward",
    "check_two_layer_backward",
    "two_layer_forward",
]

GRADIENT_NAMES = ("dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "dL/dW3", "dL/db3")


class _Context:
    """A stand-in for the ``ctx`` that PyTorch passes to ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[torch.Tensor, ...] = ()

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        self.saved_tensors = tensors


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-6, atol=1e-9)


def _largest_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def _check_callable(name: str, value: object) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")


def _check_function_class(name: str, value: object) -> None:
    if not (isinstance(value, type) and issubclass(value, torch.autograd.Function)):
        raise TypeError(f"{name} must be a subclass of torch.autograd.Function, got {value!r}")


def _as_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"{name} should be a tensor, got {type(value).__name__}.")
    return value.detach()


# --- Exercise 1: a second hidden layer by hand ---------------------------------------------------


def two_layer_forward(
    x: torch.Tensor,
    y: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    W3: torch.Tensor,
    b3: torch.Tensor,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """The MSE loss of a 1 -> H1 -> H2 -> 1 tanh network and the cache its backward pass needs.

    ``z1 = x W1^T + b1``, ``h1 = tanh(z1)``, ``z2 = h1 W2^T + b2``, ``h2 = tanh(z2)``,
    ``y_hat = h2 W3^T + b3``, ``L = mean((y_hat - y)^2)``, the shapes as in ``torch.nn.Linear``.

    Args:
        x, y: inputs and targets, shape ``(N,)``.
        W1, b1, W2, b2, W3, b3: the weights, shapes ``(H1, 1)``, ``(H1,)``, ``(H2, H1)``,
            ``(H2,)``, ``(1, H2)``, ``(1,)``.

    Returns:
        ``(loss, cache)`` with ``cache = (x, h1, h2, r, W2, W3)`` and ``r = y_hat - y``.
    """
    h1 = torch.tanh(x[:, None] @ W1.T + b1)
    h2 = torch.tanh(h1 @ W2.T + b2)
    r = (h2 @ W3.T + b3)[:, 0] - y
    return (r**2).mean(), (x, h1, h2, r, W2, W3)


def _two_layer_problem() -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(2)
    x = torch.linspace(-1.5, 1.5, 5, dtype=torch.float64)
    y = torch.sin(2 * x)
    shapes = [(3, 1), (3,), (4, 3), (4,), (1, 4), (1,)]
    params = [torch.randn(s, generator=generator, dtype=torch.float64) for s in shapes]
    return params, x, y


def _hand_two_layer(
    cache: tuple[torch.Tensor, ...], tanh_prime_1: bool = True, tanh_prime_2: bool = True
) -> tuple[torch.Tensor, ...]:
    """The right backward pass, or one that forgets a tanh' factor (to recognise that mistake)."""
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = dL_dyhat[:, None] @ W3
    if tanh_prime_2:
        dL_dz2 = dL_dz2 * (1 - h2**2)
    dL_dz1 = dL_dz2 @ W2
    if tanh_prime_1:
        dL_dz1 = dL_dz1 * (1 - h1**2)
    return (
        dL_dz1.T @ x[:, None],
        dL_dz1.sum(0),
        dL_dz2.T @ h1,
        dL_dz2.sum(0),
        dL_dyhat[None, :] @ h2,
        dL_dyhat.sum(0, keepdim=True),
    )


def check_two_layer_backward(backward: Callable[[tuple[torch.Tensor, ...]], Any]) -> None:
    """Check exercise 1: the hand backward pass of a network with two tanh hidden layers.

    Args:
        backward: the student's function; it receives the cache of :func:`two_layer_forward`
            and returns ``(dL/dW1, dL/db1, dL/dW2, dL/db2, dL/dW3, dL/db3)``.

    Raises:
        TypeError: if ``backward`` is not callable.
        ExerciseError: if a gradient differs from autograd's; the message names the first wrong
            gradient, going backwards from the loss, and the likely mistake.
    """
    _check_callable("backward", backward)
    params, x, y = _two_layer_problem()
    loss, cache = two_layer_forward(x, y, *params)
    answer = backward(cache)
    require_filled("backward_two_layers(cache)", answer)
    if not isinstance(answer, (tuple, list)) or len(answer) != 6:
        got = len(answer) if isinstance(answer, (tuple, list)) else type(answer).__name__
        raise ExerciseError(f"return 6 gradients, ({', '.join(GRADIENT_NAMES)}), got {got}.")
    for name, g in zip(GRADIENT_NAMES, answer, strict=True):
        require_filled(name, g)
    answer = [_as_tensor(name, g) for name, g in zip(GRADIENT_NAMES, answer, strict=True)]

    leaves = [p.clone().requires_grad_(True) for p in params]
    two_layer_forward(x, y, *leaves)[0].backward()
    reference = [p.grad for p in leaves]
    if all(_close(g, r) for g, r in zip(answer, reference, strict=True)):
        worst = max(_largest_difference(g, r) for g, r in zip(answer, reference, strict=True))
        correct(f"all six gradients match autograd (largest difference {worst:.1e}).")
        return

    for tanh_prime_1, tanh_prime_2, layer in ((True, False, 2), (False, True, 1)):
        variant = _hand_two_layer(cache, tanh_prime_1, tanh_prime_2)
        if all(_close(g, v) for g, v in zip(answer, variant, strict=True)):
            raise ExerciseError(
                f"the factor tanh'(z{layer}) = 1 - h{layer}**2 is missing: dL/dz{layer} = "
                f"dL/dh{layer} * (1 - h{layer}**2), the local derivative of "
                f"h{layer} = tanh(z{layer})."
            )

    n = len(x)
    for index in (4, 5, 2, 3, 0, 1):  # from the loss backwards: the first wrong one is the cause
        name, g, r = GRADIENT_NAMES[index], answer[index], reference[index]
        if _close(g, r):
            continue
        if g.shape != r.shape:
            hint = ""
            if g.dim() == 2 and tuple(g.shape) == tuple(r.shape)[::-1]:
                hint = (
                    " It is transposed: a weight's gradient is (dL/dz)^T @ (the layer's "
                    "input), with the weight's own shape (out, in)."
                )
            elif name.startswith("dL/db") and g.dim() == r.dim() + 1:
                hint = " Sum over the data points (dim 0): a bias is used by every row."
            raise ExerciseError(
                f"{name} has shape {tuple(g.shape)}, expected {tuple(r.shape)}.{hint}"
            )
        if _close(g, -r):
            raise ExerciseError(f"{name} has the wrong sign: r = y_hat - y, not y - y_hat.")
        if _close(g, 2 * r) or _close(g, r / 2):
            raise ExerciseError(
                f"{name} is off by a factor 2: dL/dy_hat = 2 r / N (the derivative of r**2 is 2 r)."
            )
        if _close(g, n * r) or _close(g, r / n):
            raise ExerciseError(
                f"{name} is off by a factor N = {n}: the loss is a mean, so dL/dy_hat = 2 r / N."
            )
        later = [GRADIENT_NAMES[i] for i in range(index + 1, 6) if i // 2 > index // 2]
        where = (
            (
                f" while {', '.join(later)} are right: look at the step that carries the "
                "gradient back into this layer"
            )
            if later
            else ""
        )
        raise ExerciseError(
            f"{name} is wrong (largest difference {_largest_difference(g, r):.2e}){where}."
        )


# --- Exercise 2: find the bug in a backward ------------------------------------------------------


def check_silu_backward(function: type[torch.autograd.Function]) -> None:
    """Check exercise 2: the corrected backward of ``SiLU(x) = x * sigmoid(x)``.

    The check calls ``function.forward`` and ``function.backward`` on a fixed float64 input with
    an upstream gradient that is not all ones (so a backward that ignores ``grad_output`` shows),
    compares with ``d/dx [x sigmoid(x)] = s + x s (1 - s)`` where ``s = sigmoid(x)``, then runs
    ``torch.autograd.gradcheck``.

    Args:
        function: the student's ``torch.autograd.Function`` subclass.

    Raises:
        TypeError: if ``function`` is not a ``torch.autograd.Function`` subclass.
        ExerciseError: if its gradient is wrong, with the likely mistake.
    """
    _check_function_class("SiLU", function)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(7, generator=generator, dtype=torch.float64) * 2
    grad_output = torch.randn(7, generator=generator, dtype=torch.float64)
    ctx = _Context()
    function.forward(ctx, x)
    answer = function.backward(ctx, grad_output)
    require_filled("SiLU.backward", answer)
    if isinstance(answer, (tuple, list)):
        if len(answer) != 1:
            raise ExerciseError(
                f"forward has one input, so backward returns one gradient, got {len(answer)}."
            )
        answer = answer[0]
    g = _as_tensor("the gradient SiLU.backward returns", answer)
    s = torch.sigmoid(x)
    local = s + x * s * (1 - s)
    reference = grad_output * local
    if _close(g, reference):
        leaf = x.clone().requires_grad_(True)
        passed = torch.autograd.gradcheck(function.apply, (leaf,))
        correct(
            f"SiLU's backward matches d/dx [x sigmoid(x)] = s + x s (1 - s) "
            f"(largest difference {_largest_difference(g, reference):.1e}); "
            f"gradcheck: {passed}."
        )
        return
    if g.shape != reference.shape:
        raise ExerciseError(
            f"the gradient has shape {tuple(g.shape)}, expected "
            f"{tuple(reference.shape)}, the shape of the input x."
        )
    if _close(g, grad_output * x * s * (1 - s)):
        raise ExerciseError(
            "this is still the given backward: it keeps only x * sigmoid'(x). "
            "The product rule also gives sigmoid(x) * dx/dx = s."
        )
    if _close(g, grad_output * s):
        raise ExerciseError(
            "only sigmoid(x) is there: the product rule's second term "
            "x * sigmoid'(x) = x s (1 - s) is missing."
        )
    if _close(g, local):
        raise ExerciseError(
            "the backward ignores grad_output: return grad_output times the "
            "local derivative (the chain rule), not the local derivative alone."
        )
    if _close(g, -reference):
        raise ExerciseError(
            "the gradient has the wrong sign: sigmoid'(x) = s (1 - s), not s (s - 1)."
        )
    raise ExerciseError(
        f"the gradient is wrong (largest difference "
        f"{_largest_difference(g, reference):.2e}); d/dx [x s] = s + x s (1 - s)."
    )


# --- Exercise 3: your own Function, with gradcheck -----------------------------------------------


def check_linear_function(function: type[torch.autograd.Function], passed: object) -> None:
    """Check exercise 3: a linear layer ``x W^T + b`` as a ``torch.autograd.Function``.

    Args:
        function: the student's ``torch.autograd.Function`` subclass, ``forward(ctx, x, W, b)``.
        passed: what the student's call of ``torch.autograd.gradcheck`` returned.

    Raises:
        TypeError: if ``function`` is not a ``torch.autograd.Function`` subclass.
        ExerciseError: if a returned gradient has the wrong shape or value (transposed, a bias
            gradient not summed over the batch, ...), or if ``passed`` is not ``True``.
    """
    _check_function_class("LinearFunction", function)
    generator = torch.Generator().manual_seed(4)
    n, n_in, n_out = 5, 3, 2
    x = torch.randn(n, n_in, generator=generator, dtype=torch.float64)
    W = torch.randn(n_out, n_in, generator=generator, dtype=torch.float64)
    b = torch.randn(n_out, generator=generator, dtype=torch.float64)
    grad_output = torch.randn(n, n_out, generator=generator, dtype=torch.float64)
    ctx = _Context()
    function.forward(ctx, x, W, b)
    answer = function.backward(ctx, grad_output)
    require_filled("LinearFunction.backward", answer)
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        raise ExerciseError(
            "backward returns one gradient per input of forward: "
            "(grad_x, grad_W, grad_b), in that order."
        )
    names = ("grad_x", "grad_W", "grad_b")
    for name, g in zip(names, answer, strict=True):
        require_filled(name, g)
    answer = [_as_tensor(name, g) for name, g in zip(names, answer, strict=True)]
    reference = (grad_output @ W, grad_output.T @ x, grad_output.sum(0))
    for name, g, r in zip(names, answer, reference, strict=True):
        if _close(g, r):
            continue
        if g.shape != r.shape:
            if name == "grad_b" and tuple(g.shape) == (n, n_out):
                raise ExerciseError(
                    f"grad_b has shape {tuple(g.shape)}, one row per example: "
                    "sum grad_output over the batch (dim 0); b is used by "
                    "every row."
                )
            if g.dim() == 2 and tuple(g.shape) == tuple(r.shape)[::-1]:
                raise ExerciseError(
                    f"{name} is transposed: shape {tuple(g.shape)}, expected "
                    f"{tuple(r.shape)}, the shape of the input it belongs to."
                )
            raise ExerciseError(
                f"{name} has shape {tuple(g.shape)}, expected {tuple(r.shape)}: "
                "each gradient has the shape of its input."
            )
        if name == "grad_b" and _close(g, r / n):
            raise ExerciseError(
                "grad_b is the mean over the batch: it is the sum (every example "
                "adds its own contribution to the shared bias)."
            )
        if _close(g, -r):
            raise ExerciseError(f"{name} has the wrong sign.")
        raise ExerciseError(
            f"{name} is wrong (largest difference {_largest_difference(g, r):.2e}); z = x W^T + b."
        )
    require_filled("passed", passed)
    if passed is not True:
        raise ExerciseError(
            f"passed should be what torch.autograd.gradcheck returns, True for "
            f"a right backward, got {passed!r}."
        )
    correct("grad_x = g W, grad_W = g^T x, grad_b = g summed over the batch, and gradcheck passes.")
