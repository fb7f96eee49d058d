"""Checks for notebook 02's exercises (autograd): each one diagnoses a wrong answer in words.

Every check builds its own float64 inputs from a fixed seed, runs the student's code on them,
computes the right answer on the spot (with ``torch.autograd`` as the referee) and either prints
one line starting ``Correct:`` or raises :class:`~helpers.checks.ExerciseError` naming the likely
mistake: a missing ``tanh'`` factor, a transposed gradient, a bias gradient not summed over the
batch or summed over the wrong dimension, a backward that ignores ``grad_output`` or multiplies
only one term of the local derivative by it, a wrong sign, a factor 2, ``N`` or ``N/2`` too
many, a ``gradcheck`` run on float32 inputs or not run at all.

A check calls an ``autograd.Function``'s ``forward`` and ``backward`` directly, with a small
stand-in for ``ctx``, so that what ``backward`` returns can be inspected before PyTorch would
refuse it with a less helpful error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_linear_function",
    "check_silu_backward",
    "check_two_layer_backward",
    "check_value_exp",
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
            elif name in ("dL/db1", "dL/db2") and tuple(g.shape) == (n,):
                hint = (
                    " You summed over the units (dim 1), giving one number per data point; "
                    "sum over the data points (dim 0): a bias is used by every row."
                )
            elif name == "dL/db3" and tuple(g.shape) == (n,):
                hint = " Sum over the data points: a bias is used by every row."
            raise ExerciseError(
                f"{name} has shape {tuple(g.shape)}, expected {tuple(r.shape)}.{hint}"
            )
        if _close(g, -r):
            raise ExerciseError(f"{name} has the wrong sign: r = y_hat - y, not y - y_hat.")
        if name.startswith("dL/db") and _close(g, r / n):
            raise ExerciseError(
                f"{name} is the mean over the data points: a bias is used by every row, so its "
                f"gradient is the sum over the batch, dL/dz.sum(0), not dL/dz.mean(0)."
            )
        if _close(g, r * n / 2) or _close(g, r * 2 / n):
            raise ExerciseError(
                f"{name} is off by a factor N/2 = {n / 2:g}: dL/dy_hat = 2 r / N, not r "
                "(both the 2 from the square and the 1/N from the mean)."
            )
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
    if _close(g, grad_output * (s + x * s * (s - 1))):
        raise ExerciseError(
            "the term x sigmoid'(x) has the wrong sign: sigmoid'(x) = s (1 - s), not s (s - 1)."
        )
    if _close(g, -reference):
        raise ExerciseError(
            "the whole gradient has the wrong sign: d/dx [x s] = s + x s (1 - s), "
            "times grad_output."
        )
    if _close(g, grad_output * s + x * s * (1 - s)) or _close(g, s + grad_output * x * s * (1 - s)):
        raise ExerciseError(
            "grad_output multiplies only one of the two terms: it must multiply the whole "
            "local derivative, so parenthesise it: grad_output * (s + x * s * (1 - s))."
        )
    raise ExerciseError(
        f"the gradient is wrong (largest difference "
        f"{_largest_difference(g, reference):.2e}); d/dx [x s] = s + x s (1 - s)."
    )


# --- Exercise 3: your own Function, with gradcheck -----------------------------------------------


class _WrongLinear(torch.autograd.Function):
    """``x W^T + b`` with ``grad_W`` doubled: a backward that every working gradcheck refuses."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx: Any, grad_z: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x, W = ctx.saved_tensors
        return grad_z @ W, 2 * grad_z.T @ x, grad_z.sum(0)


def _run_student_gradcheck(
    run_gradcheck: Callable[[type[torch.autograd.Function]], Any],
    function: type[torch.autograd.Function],
) -> tuple[Any, BaseException | None, list[torch.dtype], list[bool]]:
    """Call ``run_gradcheck`` on a copy of ``function`` that records the inputs it is run on.

    Returns what it returned, the exception it raised (or ``None``), the dtypes of the tensor
    inputs of every forward call it made (empty if it never called this function) and, for each
    tensor input position (``x``, ``W``, ``b``), whether that input required grad in any call.
    """
    dtypes: list[torch.dtype] = []
    requires_grad: list[bool] = []

    class Recorded(function):  # type: ignore[misc, valid-type]
        @staticmethod
        def forward(ctx: Any, *inputs: Any) -> Any:
            tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
            dtypes.extend(t.dtype for t in tensors)
            if len(requires_grad) < len(tensors):
                requires_grad.extend([False] * (len(tensors) - len(requires_grad)))
            for index, t in enumerate(tensors):
                requires_grad[index] = requires_grad[index] or t.requires_grad
            return function.forward(ctx, *inputs)

    try:
        return run_gradcheck(Recorded), None, dtypes, requires_grad
    except (RuntimeError, ValueError, TypeError) as error:
        return None, error, dtypes, requires_grad


def check_linear_function(
    function: type[torch.autograd.Function],
    run_gradcheck: Callable[[type[torch.autograd.Function]], Any],
) -> None:
    """Check exercise 3: a linear layer ``x W^T + b`` as a ``torch.autograd.Function``.

    First the backward itself: the check calls ``function.forward`` and ``function.backward``
    directly on fixed float64 inputs and compares each returned gradient with the right one, so
    that a wrong gradient is diagnosed here rather than by an error inside ``gradcheck``. Then
    ``run_gradcheck``: it must return what ``torch.autograd.gradcheck`` returns, ``True`` for
    ``function`` and ``False`` (or a ``GradcheckError``) for a linear layer whose ``grad_W`` is
    doubled, so a function that returns ``True`` without running gradcheck fails.

    Args:
        function: the student's ``torch.autograd.Function`` subclass, ``forward(ctx, x, W, b)``.
        run_gradcheck: the student's function; given an ``autograd.Function`` class, it builds
            inputs and returns ``torch.autograd.gradcheck(function.apply, inputs, ...)``.

    Raises:
        TypeError: if ``function`` is not a ``torch.autograd.Function`` subclass or
            ``run_gradcheck`` is not callable.
        ExerciseError: if a returned gradient has the wrong shape or value (transposed, a bias
            gradient not summed over the batch or summed over the features, ...), or if
            ``run_gradcheck`` does not report what gradcheck finds (float32 inputs, an input
            left without ``requires_grad``, so that gradcheck never checks its gradient, a
            fixed ``True``).
    """
    _check_function_class("LinearFunction", function)
    _check_callable("run_gradcheck", run_gradcheck)
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
                    "sum grad_output over the batch (dim 0); b is used by every row. "
                    "(gradcheck alone passes this mistake: PyTorch quietly sums a gradient "
                    "whose shape broadcasts to its input's, so only a shape check shows it.)"
                )
            if name == "grad_b" and tuple(g.shape) == (n,):
                raise ExerciseError(
                    f"grad_b has shape {tuple(g.shape)}, expected {tuple(r.shape)}: you summed "
                    "grad_output over the features (dim 1); sum over the batch (dim 0), since "
                    "b is used by every row."
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

    passed, error, dtypes, requires_grad = _run_student_gradcheck(run_gradcheck, function)
    float32 = any(dtype != torch.float64 for dtype in dtypes)
    if error is not None:
        if float32:
            raise ExerciseError(
                f"gradcheck refused your right backward because its inputs are {dtypes[0]}: "
                "its finite differences need float64 (dtype=torch.float64); in float32 the "
                f"rounding alone exceeds its tolerance. ({type(error).__name__}: "
                f"{str(error).splitlines()[0]})"
            )
        hint = (
            " Do the inputs require grad (requires_grad=True)?" if "require" in str(error) else ""
        )
        raise ExerciseError(
            f"run_gradcheck raised {type(error).__name__}: {str(error).splitlines()[0]}{hint}"
        )
    require_filled("run_gradcheck(LinearFunction)", passed)
    if not isinstance(passed, bool):
        raise ExerciseError(
            f"run_gradcheck should return what torch.autograd.gradcheck returns (True or False), "
            f"got {type(passed).__name__}."
        )
    if not dtypes:
        raise ExerciseError(
            f"run_gradcheck returned {passed} without running the Function it was given: "
            "return torch.autograd.gradcheck(function.apply, inputs) for its argument "
            "`function`, not a fixed value or another Function's result."
        )
    if passed is not True:
        if float32:
            raise ExerciseError(
                f"gradcheck returned False for your right backward because its inputs are "
                f"{dtypes[0]}: build them with dtype=torch.float64 (in float32 the rounding of "
                "the finite differences alone exceeds gradcheck's tolerance)."
            )
        raise ExerciseError(
            "gradcheck returned False although your backward is right: check the inputs "
            "(float64, shapes (N, in), (out, in), (out,), requires_grad=True)."
        )
    flags = dict(zip(("x", "W", "b"), requires_grad, strict=False))  # gradcheck skips the others
    unchecked = [name for name, flag in flags.items() if not flag]
    if unchecked:
        checked = [name for name, flag in flags.items() if flag]
        verb = "requires" if len(checked) == 1 else "require"
        raise ExerciseError(
            f"only {' and '.join(checked)} {verb} grad among run_gradcheck's inputs, so gradcheck "
            f"never checks grad_{' or grad_'.join(unchecked)}: it checks only the gradients of "
            "inputs with requires_grad=True (a wrong grad_W would pass unseen). Give "
            f"{' and '.join(unchecked)} requires_grad=True too."
        )
    wrong, wrong_error, _, _ = _run_student_gradcheck(run_gradcheck, _WrongLinear)
    if wrong_error is None and wrong is True:
        raise ExerciseError(
            "run_gradcheck returned True for a linear layer whose grad_W is doubled, although "
            "its inputs are float64 and require grad: it must return what "
            "torch.autograd.gradcheck(function.apply, inputs) returns, not a fixed True."
        )
    correct(
        "grad_x = g W, grad_W = g^T x, grad_b = g summed over the batch, and gradcheck passes "
        "yours (and refuses a doubled grad_W)."
    )


# --- Exercise 4: one more operation for the engine -----------------------------------------------


def check_value_exp(value_class: type) -> None:
    """Check exercise 4: ``Value.exp``, the exponential, added to notebook 02's scalar engine.

    The engine's ``Value`` holds ``data`` (the number), ``grad``, ``parents`` (the inputs of the
    operation that made it) and ``local`` (the derivative of the result with respect to each
    parent), and ``backward()`` runs the chain rule over them. The check looks at ``exp`` of one
    value, then runs the engine on ``L = exp(2 w) + w exp(w)`` (``w`` used three times) and
    compares ``dL/dw`` with ``torch.autograd``.

    Args:
        value_class: the notebook's ``Value`` class, with the student's ``exp`` attached.

    Raises:
        TypeError: if ``value_class`` is not a class.
        ExerciseError: if ``exp`` is missing or not filled in, its parents or local derivatives
            are not a tuple (a missing trailing comma), or its value, parents, local derivative or
            the resulting gradient is wrong, with the likely mistake.
    """
    if not isinstance(value_class, type):
        raise TypeError(f"value_class must be a class (the notebook's Value), got {value_class!r}")
    if not callable(getattr(value_class, "exp", None)):
        raise ExerciseError(
            "Value has no method exp: attach your function with Value.exp = value_exp."
        )
    a_data = 0.7
    a = value_class(a_data)
    out = a.exp()
    require_filled("value_exp(a)", out)
    if not all(hasattr(out, name) for name in ("data", "grad", "parents", "local")):
        raise ExerciseError(
            f"a.exp() should return a new Value (built with Value._node), got {type(out).__name__}."
        )
    e = torch.tensor(a_data, dtype=torch.float64).exp().item()
    if abs(out.data - e) > 1e-12:
        raise ExerciseError(f"exp(0.7) should be {e:.6f}, got {out.data!r}: use math.exp(a.data).")
    for field, entry, what in (
        ("parents", "self", "the inputs"),
        ("local", "e", "local derivatives, one per parent"),
    ):
        given = getattr(out, field)
        if not isinstance(given, (tuple, list)):
            raise ExerciseError(
                f"the result's {field} is a {type(given).__name__}, not a tuple of {what}: write "
                f"({entry},) with a trailing comma; ({entry}) without the comma is just {entry} "
                "in parentheses."
            )
    parents, local = tuple(out.parents), tuple(out.local)
    if len(parents) != 1 or parents[0] is not a:
        raise ExerciseError(
            "the result's parents should be (a,), the one input of exp, so that backward() can "
            f"reach a; got {len(parents)} parent(s)."
        )
    if len(local) != 1:
        raise ExerciseError(f"give one local derivative per parent: (exp(a),), got {local!r}.")
    if abs(local[0] - e) > 1e-12:
        if abs(local[0] - 1.0) < 1e-12:
            hint = "1 is the local derivative of an addition"
        elif abs(local[0] - a_data) < 1e-12:
            hint = "a.data is the input, not the derivative"
        elif abs(local[0] - a_data * math.exp(a_data - 1)) < 1e-12:
            hint = "that is the power rule, which does not apply: a is the exponent here"
        else:
            hint = f"got {local[0]!r}"
        raise ExerciseError(
            f"the local derivative of exp is exp itself: d e^a/da = e^a = {e:.6f} ({hint})."
        )
    w = value_class(0.3)
    loss = (w * 2.0).exp() + w * w.exp()
    loss.backward()
    w_t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ((w_t * 2.0).exp() + w_t * w_t.exp()).backward()
    reference = w_t.grad.item()
    if abs(w.grad - reference) > 1e-10:
        raise ExerciseError(
            f"dL/dw for L = exp(2 w) + w exp(w) is {w.grad!r}, autograd says {reference:.6f}: "
            "the node's local derivative must be computed from its own input."
        )
    correct(
        f"exp's local derivative is exp(a); on L = exp(2 w) + w exp(w) the engine gives "
        f"dL/dw = {w.grad:.6f}, as autograd does (difference {abs(w.grad - reference):.1e})."
    )
