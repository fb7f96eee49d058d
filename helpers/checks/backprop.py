"""Checks for the exercises of notebook 01 (backpropagation by hand).

Each check computes the reference answer on the spot (with ``torch.autograd`` as the oracle, in
float64), compares it with the student's, and either prints one line starting ``Correct:`` or
raises :class:`~helpers.checks.ExerciseError` with a diagnosis: the gradient has the wrong sign, is
transposed, misses a factor 2, sums where the loss takes a mean, forgot a local derivative.

============================  ============================================================
check                         exercise
============================  ============================================================
``check_second_layer``        the gradient of a second (ReLU) hidden layer by hand
``check_bce_logit_grad``      sigmoid + binary cross-entropy: the gradient at the logit
``check_fixed_backward``      find the bug in a given backward pass
``check_weight_decay_grad``   the gradient of an L2 penalty added to the loss
============================  ============================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from helpers.checks._core import ExerciseError, correct, require_filled

__all__ = [
    "check_bce_logit_grad",
    "check_fixed_backward",
    "check_second_layer",
    "check_weight_decay_grad",
]

_RTOL = 1e-6
_ATOL = 1e-9


def _as_tensor(name: str, value: object) -> torch.Tensor:
    """The answer as a float64 tensor, or an ExerciseError saying what it should be."""
    require_filled(name, value)
    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"{name} should be a torch.Tensor, got {type(value).__name__}.")
    if not value.is_floating_point():
        raise ExerciseError(f"{name} should hold floating-point numbers, got {value.dtype}.")
    return value.detach().to(torch.float64)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=_RTOL, atol=_ATOL)


def _compare(
    name: str,
    answer: object,
    reference: torch.Tensor,
    n: int,
    extra: Sequence[tuple[torch.Tensor, str]] = (),
    upstream: str | None = None,
) -> None:
    """Raise an ExerciseError that diagnoses how ``answer`` differs from ``reference``.

    ``n`` is the number of data points (the mean's divisor); ``extra`` lists known wrong answers
    of this exercise, each with its diagnosis, tried before the generic ones. ``upstream`` names
    the upstream gradient when the answer is one layer's backward step from it (which already
    carries the loss's 1/N and 2): then a factor N or 2 is diagnosed as such a step's, not as
    the mean's or the square's.
    """
    got = _as_tensor(name, answer)
    ref = reference.detach().to(torch.float64)
    if got.shape != ref.shape:
        if ref.dim() == 2 and got.shape == ref.T.shape:
            raise ExerciseError(
                f"{name} has shape {tuple(got.shape)}, but a gradient has the shape of the "
                f"tensor it is taken with respect to, {tuple(ref.shape)}: it looks transposed "
                "(swap the order of the matrix product, or transpose the other factor)."
            )
        raise ExerciseError(
            f"{name} has shape {tuple(got.shape)}, but a gradient has the shape of the tensor "
            f"it is taken with respect to, {tuple(ref.shape)}."
        )
    if _close(got, ref):
        return
    for wrong, why in extra:
        if _close(got, wrong.detach().to(torch.float64)):
            raise ExerciseError(f"{name}: {why}")
    if upstream is None:  # the gradient of the loss itself: the mean's 1/N and the square's 2
        half = "it is half the right value: a factor 2 is missing (d/dr of r² is 2r)."
        too_large = (
            f"it is {n} times too large: the loss is a mean, so divide by N = {n} "
            "(you computed the gradient of the sum)."
        )
        too_small = f"it is {n} times too small: divide by N = {n} only once."
    else:  # one layer's backward step: the upstream gradient carries the 1/N already
        half = (
            f"it is half the right value: a layer's backward step multiplies {upstream} by "
            "local derivatives only, and no factor 1/2 is among them."
        )
        too_large = (
            f"it is N = {n} times too large: a layer's backward step multiplies by no N; "
            f"{upstream} carries the loss's 1/N already."
        )
        too_small = (
            f"it is N = {n} times too small: {upstream} already carries the loss's 1/N (the "
            "mean), so a layer's backward step divides by nothing: divide zero times here."
        )
    generic = [
        (-ref, "the gradient has the wrong sign."),
        (2 * ref, "it is twice the right value: there is a factor 2 too many."),
        (ref / 2, half),
        (ref * n, too_large),
        (ref / n, too_small),
    ]
    if ref.dim() == 2 and ref.shape[0] == ref.shape[1]:
        generic.append((ref.T, "it is transposed (swap the order of the matrix product)."))
    for wrong, why in generic:
        if _close(got, wrong):
            raise ExerciseError(f"{name}: {why}")
    worst = (got - ref).abs().max().item()
    raise ExerciseError(
        f"{name} differs from the reference gradient (largest difference {worst:.2e}); check "
        "each local derivative against the rules of the notebook, one node at a time."
    )


def _call(name: str, fn: object, *args: object) -> object:
    """Call the student's function, with a clear message if it is missing or not a function."""
    require_filled(name, fn)
    if not callable(fn):
        raise ExerciseError(f"{name} should be a function, got {type(fn).__name__}.")
    result = fn(*args)
    require_filled(f"{name}(...)", result)
    return result


def _pair(name: str, result: object, count: int) -> tuple:
    if not isinstance(result, tuple | list) or len(result) != count:
        raise ExerciseError(f"{name}(...) should return a tuple of {count} tensors.")
    for k, item in enumerate(result):
        require_filled(f"item {k} of what {name}(...) returns", item)
    return tuple(result)


def _check_order(
    names: Sequence[str], answers: Sequence[object], references: Sequence[torch.Tensor]
) -> None:
    """Raise an ExerciseError if an answer has the shape of another slot's reference and not its
    own: the returned tuple is in the wrong order."""
    shapes = [tuple(ref.shape) for ref in references]
    for name, answer, shape in zip(names, answers, shapes, strict=True):
        got = tuple(answer.shape) if isinstance(answer, torch.Tensor) else None
        if got is None or got == shape:
            continue
        for other, other_shape in zip(names, shapes, strict=True):
            if other != name and got == other_shape:
                raise ExerciseError(
                    f"{name} has shape {got}, which is {other}'s shape: check the order of the "
                    f"returned tuple, ({', '.join(names)})."
                )


# --- exercise: the gradient of a second hidden layer -----------------------------------------


def _second_layer_case(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    h1 = torch.randn(5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    W2 = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    b2 = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = h1 @ W2.T + b2
    dL_dh2 = torch.randn(5, 3, generator=g, dtype=torch.float64)
    loss = (torch.relu(z2) * dL_dh2).sum()  # any loss with this upstream gradient will do
    dW2, db2, dh1 = torch.autograd.grad(loss, (W2, b2, h1))
    return {
        "dL_dh2": dL_dh2,
        "z2": z2.detach(),
        "h1": h1.detach(),
        "W2": W2.detach(),
        "dW2": dW2,
        "db2": db2,
        "dh1": dh1,
    }


def check_second_layer(second_layer_grads: Callable) -> None:
    """Check ``second_layer_grads(dL_dh2, z2, h1, W2) -> (dL_dW2, dL_db2, dL_dh1)`` (ReLU layer).

    The layer is ``z2 = h1 @ W2.T + b2``, ``h2 = relu(z2)``; the function receives the upstream
    gradient ``dL_dh2`` (shape ``(N, 3)``), the stored pre-activation ``z2``, the layer's input
    ``h1`` (shape ``(N, 4)``) and its weight ``W2`` (``(3, 4)``), and returns the gradients of
    ``W2`` (``(3, 4)``), ``b2`` (``(3,)``) and ``h1`` (``(N, 4)``, the gradient passed back to the
    layer below). Checked against autograd on two random cases with N = 5.
    """
    for seed in (0, 1):
        case = _second_layer_case(seed)
        dL_dh2, z2, h1, W2 = case["dL_dh2"], case["z2"], case["h1"], case["W2"]
        try:
            result = _call(
                "second_layer_grads",
                second_layer_grads,
                dL_dh2.clone(),
                z2.clone(),
                h1.clone(),
                W2.clone(),
            )
        except RuntimeError as error:  # a product or mask of mismatched shapes
            raise ExerciseError(
                "second_layer_grads raised a shape error: dL_dh2 and z2 are (N, 3), h1 and "
                "dL_dh1 are (N, 4), W2 is (3, 4); the mask comes from z2, and the shape rule "
                "fixes the order and transposes of each product (dL_dh1 = dL_dz2 @ W2). "
                f"PyTorch said: {error}"
            ) from None
        dW2, db2, dh1 = _pair("second_layer_grads", result, 3)
        _check_order(
            ("dL_dW2", "dL_db2", "dL_dh1"),
            (dW2, db2, dh1),
            (case["dW2"], case["db2"], case["dh1"]),
        )
        mask = (z2 > 0).double()
        with_value = dL_dh2 * torch.relu(z2)  # the ReLU's value instead of its derivative
        why_value = (
            "you multiplied by relu(z2), the ReLU's value; its local derivative is the "
            "indicator (z2 > 0), 1 where z2 > 0 and 0 elsewhere: multiply dL_dh2 by (z2 > 0)."
        )
        why_no_mask = (
            "the ReLU's local derivative is missing: multiply dL_dh2 by (z2 > 0) first "
            "(max routes the gradient to where z2 > 0)."
        )
        inverted = dL_dh2 * (1 - mask)
        _compare(
            "dL_dW2",
            dW2,
            case["dW2"],
            n=5,
            upstream="dL_dh2",
            extra=[
                (dL_dh2.T @ h1, why_no_mask),
                (with_value.T @ h1, why_value),
                (
                    -inverted.T @ h1,
                    "the ReLU mask is inverted and the sign flipped: the gradient passes where "
                    "z2 > 0.",
                ),
                (
                    inverted.T @ h1,
                    "the ReLU mask is inverted: the gradient passes where z2 > 0, not where "
                    "z2 <= 0.",
                ),
            ],
        )
        _compare(
            "dL_db2",
            db2,
            case["db2"],
            n=5,
            upstream="dL_dh2",
            extra=[
                (dL_dh2.sum(0), why_no_mask),
                (with_value.sum(0), why_value),
                (
                    (dL_dh2 * mask).mean(0),
                    "a bias is used by every data point, so its gradient is the sum over the "
                    "rows of dL_dz2, not the mean.",
                ),
            ],
        )
        _compare(
            "dL_dh1",
            dh1,
            case["dh1"],
            n=5,
            upstream="dL_dh2",
            extra=[
                (
                    dL_dh2 @ W2,
                    "dL_dh1 skips the ReLU: pass back dL_dz2 = dL_dh2 * (z2 > 0), not dL_dh2 "
                    "(dL_dh1 = dL_dz2 @ W2).",
                ),
                (with_value @ W2, why_value),
                (
                    (dL_dh2 * mask).sum(0, keepdim=True).expand(5, 3) @ W2,
                    "dL_dh1 has one row per data point: h1's row i reaches the loss only "
                    "through z2's row i, so nothing is summed over the data points here.",
                ),
            ],
        )
    correct(
        "the layer's gradients match autograd (ReLU mask, transpose, bias sum, and dL_dh1 = "
        "dL_dz2 @ W2 passed back a layer)."
    )


# --- exercise: sigmoid + binary cross-entropy ---------------------------------------------------


def check_bce_logit_grad(bce_logit_grad: Callable) -> None:
    """Check ``bce_logit_grad(z, y) -> dL/dz`` for ``L = mean(BCE(sigmoid(z), y))``.

    ``z`` holds N logits and ``y`` N targets in {0, 1}; the answer has shape ``(N,)``. Checked
    against autograd on a random case of N = 6.
    """
    g = torch.Generator().manual_seed(2)
    z = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    (ref,) = torch.autograd.grad(loss, z)
    z = z.detach()
    answer = _call("bce_logit_grad", bce_logit_grad, z.clone(), y.clone())
    p = torch.sigmoid(z)
    _compare(
        "bce_logit_grad(z, y)",
        answer,
        ref,
        n=6,
        extra=[
            (
                -(y / p - (1 - y) / (1 - p)) / 6,
                "you stopped at dL/dp: the loss reaches z through p = sigmoid(z), so multiply "
                "by sigma'(z) = p (1 - p) (chain rule), and simplify.",
            ),
            (p / 6, "the target is missing: the gradient is (p - y) / N, not p / N."),
            (
                (p - y) * p * (1 - p) / 6,
                "you multiplied by sigma'(z) = p (1 - p) once too "
                "often: the 1 / (p (1 - p)) of the cross-entropy cancels it, leaving (p - y) / N.",
            ),
        ],
    )
    correct("dL/dz = (sigmoid(z) - y) / N, the same form as softmax + cross-entropy.")


# --- exercise: find the bug in a backward pass -------------------------------------------------


def _tiny_case(seed: int | None) -> dict[str, torch.Tensor]:
    from helpers.backprop_example import tiny_network

    net = tiny_network()
    if seed is not None:  # a second, random network, so that no answer is right by coincidence
        g = torch.Generator().manual_seed(seed)
        for key in ("W1", "b1", "W2", "b2"):
            net[key] = torch.randn(net[key].shape, generator=g, dtype=torch.float64)
    return net


def _tiny_reference(net: dict[str, torch.Tensor]) -> tuple[tuple, tuple]:
    """The cache (x, h, r, W2) and autograd's four gradients of the tiny network with a
    *sigmoid* hidden layer (the exercise's variant of the notebook's tanh network)."""
    leaves = [net[k].clone().requires_grad_(True) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = leaves
    x, y = net["x"], net["y"]
    h = torch.sigmoid(x[:, None] @ W1.T + b1)
    r = (h @ W2.T + b2)[:, 0] - y
    loss = (r**2).mean()
    grads = torch.autograd.grad(loss, leaves)
    cache = (x, h.detach(), r.detach(), net["W2"].clone())
    return cache, grads


def check_fixed_backward(backward_fixed: Callable) -> None:
    """Check ``backward_fixed(cache) -> (dL/dW1, dL/db1, dL/dW2, dL/db2)`` for the tiny network
    with a sigmoid hidden layer, ``h = sigmoid(x W1^T + b1)``.

    ``cache = (x, h, r, W2)`` as the notebook's ``forward`` returns it. Checked against autograd on
    the notebook's weights and on random weights.
    """
    names = ("dL/dW1", "dL/db1", "dL/dW2", "dL/db2")
    for seed in (None, 3):
        cache, ref = _tiny_reference(_tiny_case(seed))
        x, h, r, W2 = cache
        result = _call("backward_fixed", backward_fixed, tuple(t.clone() for t in cache))
        got = _pair("backward_fixed", result, 4)
        dh = (2 * r / len(r))[:, None] @ W2
        wrong = {  # a local derivative of the activation -> its diagnosis
            "tanh": (
                1 - h**2,
                "the bug is still there: 1 - h² is the derivative of tanh, copied from the "
                "tanh network; this layer is a sigmoid, whose derivative is "
                "sigma'(z) = sigma(z) (1 - sigma(z)) = h (1 - h).",
            ),
            "twice": (
                torch.sigmoid(h) * (1 - torch.sigmoid(h)),
                "h is already sigmoid(z): sigmoid(h) applies it twice. With h stored, "
                "sigma'(z) = h (1 - h).",
            ),
            "value": (
                h,
                "you multiplied by the activation h itself, not by its derivative "
                "sigma'(z) = h (1 - h).",
            ),
        }
        for k, name in enumerate(names):
            extra = []
            if k < 2:
                for act_grad, why in wrong.values():
                    dz = dh * act_grad
                    extra.append(((dz.T @ x[:, None], dz.sum(0))[k], why))
            _compare(name, got[k], ref[k], n=len(r), extra=extra)
    correct("all four gradients match autograd: the sigmoid's local derivative is h (1 - h).")


# --- exercise: weight decay ---------------------------------------------------------------------


_PARAMETER_NAMES = ("W1", "b1", "W2", "b2")


def _plain_grad_W1() -> tuple[torch.Tensor, torch.Tensor]:
    """The notebook's W1 and autograd's gradient of the tiny network's (tanh) loss with respect
    to it, computed here from :func:`~helpers.backprop_example.tiny_network`."""
    from helpers.backprop_example import tiny_network

    net = tiny_network()
    W1 = net["W1"].clone().requires_grad_(True)
    h = torch.tanh(net["x"][:, None] @ W1.T + net["b1"])
    r = (h @ net["W2"].T + net["b2"])[:, 0] - net["y"]
    (grad,) = torch.autograd.grad((r**2).mean(), W1)
    return W1.detach(), grad


def check_weight_decay_grad(
    grad_W1: object, changed: object, lam: float, grads: Sequence[torch.Tensor] | None = None
) -> None:
    """Check the gradient of ``L + lam * ||W1||²`` with respect to the tiny network's ``W1``, and
    which of its four gradients the penalty changes.

    The reference is computed here, from :func:`~helpers.backprop_example.tiny_network` and
    autograd, so an answer that changed the notebook's tensors in place cannot move it.

    Args:
        grad_W1: the student's gradient with respect to ``W1``.
        changed: the student's answer to "which gradients change?": a set (or list, tuple) of
            names among ``"W1"``, ``"b1"``, ``"W2"``, ``"b2"``.
        lam: the penalty's coefficient.
        grads: the notebook's hand gradients ``(dL/dW1, dL/db1, dL/dW2, dL/db2)``, if given, to
            diagnose an answer that changed ``grads[0]`` in place.

    Raises:
        TypeError: if ``lam`` is not a number or ``grads`` not a sequence of tensors.
    """
    if isinstance(lam, bool) or not isinstance(lam, int | float):
        raise TypeError(f"lam must be a number, got {type(lam).__name__}")
    if grads is not None and (
        not isinstance(grads, Sequence) or not all(isinstance(t, torch.Tensor) for t in grads)
    ):
        raise TypeError("grads must be a sequence of torch.Tensors (the notebook's grads)")
    W1, grad_plain = _plain_grad_W1()
    ref = grad_plain + 2 * lam * W1
    if grads is not None and grads[0].shape == grad_plain.shape:
        if not _close(grads[0].detach().double(), grad_plain):
            if isinstance(grad_W1, torch.Tensor) and (
                grad_W1.untyped_storage().data_ptr() == grads[0].untyped_storage().data_ptr()
            ):
                raise ExerciseError(
                    "grad_W1 is grads[0] itself, changed in place: grad_W1 = grads[0] gives the "
                    "same tensor a second name, and += then changes grads[0] too (run the cell "
                    "again and the penalty is added twice). Rerun the cell that computes grads, "
                    "then write grad_W1 = grads[0] + 2 * lam * W1, which makes a new tensor."
                )
            raise ExerciseError(
                "grads[0] no longer holds the loss's gradient: it was changed in place, by this "
                "cell or an earlier run of it. Rerun the cell that computes grads, and compute "
                "grad_W1 as a new tensor (grads[0] + ..., not +=)."
            )
    _compare(
        "grad_W1",
        grad_W1,
        ref,
        n=1,
        extra=[
            (
                grad_plain + lam * W1,
                "a factor 2 is missing: the derivative of lam * w² is "
                "2 * lam * w (lam * w belongs to the penalty (lam / 2) * w²).",
            ),
            (
                grad_plain - 2 * lam * W1,
                "the penalty's gradient has the wrong sign: the penalty "
                "grows with |w|, so its gradient points along w (+2 * lam * W1).",
            ),
            (2 * lam * W1, "the gradient of the loss itself is missing: the penalty adds to it."),
            (grad_plain, "the penalty's gradient is missing: add 2 * lam * W1."),
        ],
    )
    require_filled("changed", changed)
    if isinstance(changed, str):
        changed = {changed}
    if not isinstance(changed, set | frozenset | list | tuple) or not all(
        isinstance(name, str) for name in changed
    ):
        raise ExerciseError(
            'changed should be a set of names, such as {"b1", "W2"}, got '
            f"{type(changed).__name__}."
        )
    unknown = sorted(set(changed) - set(_PARAMETER_NAMES))
    if unknown:
        raise ExerciseError(
            f"changed names {unknown}, which are not weights of the tiny network; use the names "
            '"W1", "b1", "W2", "b2".'
        )
    if set(changed) != {"W1"}:
        extra = sorted(set(changed) - {"W1"}, key=_PARAMETER_NAMES.index)
        if extra:
            raise ExerciseError(
                f"changed: the gradients of {', '.join(extra)} do not change. The penalty "
                "lam * ||W1||² does not depend on them, so its derivative with respect to them "
                "is 0, and the loss's own part is the same function as before."
            )
        raise ExerciseError(
            'changed: the gradient of W1 changes (it gains 2 * lam * W1): include "W1".'
        )
    correct("the penalty adds 2 * lam * W1 to W1's gradient and leaves b1, W2 and b2's unchanged.")
