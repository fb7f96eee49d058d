"""The checks of notebook 02's exercises: the reference solution passes, seeded mistakes fail.

Each wrong answer below is a mistake a student makes; the test asserts that the check refuses it
with the diagnosis meant for it, not just that it raises.
"""

import math
import warnings

import pytest
import torch

from helpers.checks import ExerciseError
from helpers.checks.autograd import (
    check_linear_function,
    check_silu_backward,
    check_two_layer_backward,
    check_value_exp,
    two_layer_forward,
)

# --- Exercise 1: a second hidden layer by hand ---------------------------------------------------


def reference_two_layers(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = (dL_dyhat[:, None] @ W3) * (1 - h2**2)
    dL_dz1 = (dL_dz2 @ W2) * (1 - h1**2)
    return (
        dL_dz1.T @ x[:, None],
        dL_dz1.sum(0),
        dL_dz2.T @ h1,
        dL_dz2.sum(0),
        dL_dyhat[None, :] @ h2,
        dL_dyhat.sum(0, keepdim=True),
    )


def forgot_tanh_prime_of_layer_2(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = dL_dyhat[:, None] @ W3
    dL_dz1 = (dL_dz2 @ W2) * (1 - h1**2)
    return (
        dL_dz1.T @ x[:, None],
        dL_dz1.sum(0),
        dL_dz2.T @ h1,
        dL_dz2.sum(0),
        dL_dyhat[None, :] @ h2,
        dL_dyhat.sum(0, keepdim=True),
    )


def forgot_tanh_prime_of_layer_1(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = (dL_dyhat[:, None] @ W3) * (1 - h2**2)
    dL_dz1 = dL_dz2 @ W2
    return (
        dL_dz1.T @ x[:, None],
        dL_dz1.sum(0),
        dL_dz2.T @ h1,
        dL_dz2.sum(0),
        dL_dyhat[None, :] @ h2,
        dL_dyhat.sum(0, keepdim=True),
    )


def transposed_W2(cache):
    grads = list(reference_two_layers(cache))
    grads[2] = grads[2].T
    return tuple(grads)


def sum_instead_of_mean(cache):
    x, h1, h2, r, W2, W3 = cache
    return reference_two_layers((x, h1, h2, r * len(r), W2, W3))


def wrong_sign(cache):
    return tuple(-g for g in reference_two_layers(cache))


def used_W2_transposed_going_back(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = (dL_dyhat[:, None] @ W3) * (1 - h2**2)
    dL_dz1 = (dL_dz2 @ W2[:, :3]) * (1 - h1**2) * 1.5  # a made-up wrong step into layer 1
    return (
        dL_dz1.T @ x[:, None],
        dL_dz1.sum(0),
        dL_dz2.T @ h1,
        dL_dz2.sum(0),
        dL_dyhat[None, :] @ h2,
        dL_dyhat.sum(0, keepdim=True),
    )


def bias_1_as_a_mean(cache):
    grads = list(reference_two_layers(cache))
    grads[1] = grads[1] / len(cache[0])  # dL/dz1.mean(0) instead of .sum(0)
    return tuple(grads)


def bias_1_summed_over_units(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    dL_dz2 = (dL_dyhat[:, None] @ W3) * (1 - h2**2)
    dL_dz1 = (dL_dz2 @ W2) * (1 - h1**2)
    grads = list(reference_two_layers(cache))
    grads[1] = dL_dz1.sum(1)  # over the units, not the data points: shape (N,)
    return tuple(grads)


def bias_2_summed_over_units(cache):
    x, h1, h2, r, W2, W3 = cache
    dL_dyhat = 2 * r / len(r)
    grads = list(reference_two_layers(cache))
    grads[3] = ((dL_dyhat[:, None] @ W3) * (1 - h2**2)).sum(1)
    return tuple(grads)


def bias_3_not_summed(cache):
    x, h1, h2, r, W2, W3 = cache
    grads = list(reference_two_layers(cache))
    grads[5] = 2 * r / len(r)  # dL/dy_hat itself, one number per data point
    return tuple(grads)


def dropped_two_over_n(cache):
    x, h1, h2, r, W2, W3 = cache
    return reference_two_layers((x, h1, h2, r * len(r) / 2, W2, W3))  # dL/dy_hat = r


def test_the_reference_two_layer_backward_passes(capsys):
    check_two_layer_backward(reference_two_layers)
    assert capsys.readouterr().out.startswith("Correct: all six gradients match autograd")


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (forgot_tanh_prime_of_layer_2, r"the factor tanh'\(z2\) = 1 - h2\*\*2 is missing"),
        (forgot_tanh_prime_of_layer_1, r"the factor tanh'\(z1\) = 1 - h1\*\*2 is missing"),
        (transposed_W2, r"dL/dW2 has shape \(3, 4\), expected \(4, 3\)\. It is transposed"),
        (sum_instead_of_mean, r"dL/dW3 is off by a factor N = 5: the loss is a mean"),
        (wrong_sign, r"dL/dW3 has the wrong sign"),
        (bias_1_as_a_mean, r"dL/db1 is the mean over the data points: .* not dL/dz\.mean\(0\)"),
        (
            bias_1_summed_over_units,
            r"dL/db1 has shape \(5,\), expected \(3,\)\. You summed over the units \(dim 1\)",
        ),
        (bias_2_summed_over_units, r"dL/db2 has shape \(5,\), expected \(4,\)\. You summed over"),
        (bias_3_not_summed, r"dL/db3 has shape \(5,\), expected \(1,\)\. Sum over the data points"),
        (dropped_two_over_n, r"dL/dW3 is off by a factor N/2 = 2\.5: dL/dy_hat = 2 r / N, not r"),
        (
            used_W2_transposed_going_back,
            r"dL/dW1 is wrong \(largest difference .*\) "
            r"while dL/dW2, dL/db2, dL/dW3, dL/db3 are right",
        ),
    ],
)
def test_a_wrong_two_layer_backward_is_refused_with_its_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_two_layer_backward(answer)


def test_an_unfilled_two_layer_backward_says_to_fill_it_in():
    with pytest.raises(ExerciseError, match=r"backward_two_layers\(cache\) is not filled in yet"):
        check_two_layer_backward(lambda cache: None)
    with pytest.raises(ExerciseError, match=r"dL/dW2 is not filled in yet"):
        check_two_layer_backward(
            lambda cache: (*reference_two_layers(cache)[:2], ..., ..., ..., ...)
        )


def test_the_two_layer_check_wants_six_gradients_and_a_callable():
    with pytest.raises(ExerciseError, match="return 6 gradients"):
        check_two_layer_backward(lambda cache: reference_two_layers(cache)[:4])
    with pytest.raises(TypeError, match="backward must be callable"):
        check_two_layer_backward("not a function")


def test_two_layer_forward_is_the_mse_of_the_two_layer_network():
    x, y = torch.tensor([0.5, -1.0]), torch.tensor([1.0, 0.0])
    params = [
        torch.ones(3, 1),
        torch.zeros(3),
        torch.ones(4, 3),
        torch.zeros(4),
        torch.ones(1, 4),
        torch.zeros(1),
    ]
    loss, cache = two_layer_forward(x, y, *params)
    y_hat = 4 * torch.tanh(3 * torch.tanh(x))
    assert torch.allclose(loss, ((y_hat - y) ** 2).mean())
    assert len(cache) == 6


# --- Exercise 2: find the bug in a backward ------------------------------------------------------


class GivenSiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * x * s * (1 - s)


class FixedSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * (s + x * s * (1 - s))


class OnlySigmoidSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.saved_tensors[1]


class NoGradOutputSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return s + x * s * (1 - s)


class SigmoidPrimeSignSlipSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * (s + x * s * (s - 1))


class NegatedSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return -grad_output * (s + x * s * (1 - s))


class GradOutputOnFirstTermSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * s + x * s * (1 - s)  # the precedence slip: no parentheses


class GradOutputOnSecondTermSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return s + grad_output * x * s * (1 - s)


class UnfilledSiLU(GivenSiLU):
    @staticmethod
    def backward(ctx, grad_output): ...


def test_the_fixed_silu_passes_with_gradcheck(capsys):
    check_silu_backward(FixedSiLU)
    out = capsys.readouterr().out
    assert out.startswith("Correct: SiLU's backward matches") and "gradcheck: True" in out


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        (GivenSiLU, "this is still the given backward"),
        (OnlySigmoidSiLU, r"the product rule's second term x \* sigmoid'\(x\) .* is missing"),
        (NoGradOutputSiLU, "the backward ignores grad_output"),
        (SigmoidPrimeSignSlipSiLU, r"sigmoid'\(x\) = s \(1 - s\), not s \(s - 1\)"),
        (NegatedSiLU, "the whole gradient has the wrong sign"),
        (GradOutputOnFirstTermSiLU, r"grad_output multiplies only one of the two terms.*parenth"),
        (GradOutputOnSecondTermSiLU, r"grad_output multiplies only one of the two terms"),
        (UnfilledSiLU, r"SiLU.backward is not filled in yet"),
    ],
)
def test_a_wrong_silu_backward_is_refused_with_its_diagnosis(answer, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_silu_backward(answer)


def test_the_silu_check_wants_an_autograd_function():
    with pytest.raises(TypeError, match="SiLU must be a subclass of torch.autograd.Function"):
        check_silu_backward(torch.sigmoid)


# --- Exercise 3: your own Function, with gradcheck -----------------------------------------------


def linear_function(backward):
    """An autograd.Function for x W^T + b with the given backward (ctx, grad_out) -> grads."""

    class LinearFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, W, b):
            ctx.save_for_backward(x, W)
            return x @ W.T + b

    LinearFunction.backward = staticmethod(backward)
    return LinearFunction


def right_backward(ctx, g):
    x, W = ctx.saved_tensors
    return g @ W, g.T @ x, g.sum(0)


def bias_not_summed(ctx, g):
    x, W = ctx.saved_tensors
    return g @ W, g.T @ x, g


def weight_transposed(ctx, g):
    x, W = ctx.saved_tensors
    return g @ W, x.T @ g, g.sum(0)


def bias_mean(ctx, g):
    x, W = ctx.saved_tensors
    return g @ W, g.T @ x, g.mean(0)


def bias_summed_over_features(ctx, g):
    x, W = ctx.saved_tensors
    return g @ W, g.T @ x, g.sum(1)


def only_weight(ctx, g):
    x, W = ctx.saved_tensors
    return g.T @ x


def run_gradcheck(function):
    """The reference answer: float64 inputs that require grad, gradcheck's verdict returned."""
    generator = torch.Generator().manual_seed(0)
    inputs = [
        torch.randn(s, generator=generator, dtype=torch.float64).requires_grad_(True)
        for s in ((4, 3), (2, 3), (2,))
    ]
    return torch.autograd.gradcheck(function.apply, inputs, raise_exception=False)


def run_gradcheck_raising(function):
    """The same with gradcheck's default raise_exception=True."""
    inputs = [
        torch.randn(s, dtype=torch.float64).requires_grad_(True) for s in ((4, 3), (2, 3), (2,))
    ]
    return torch.autograd.gradcheck(function.apply, inputs)


def run_gradcheck_float32(function, raise_exception=False):
    inputs = [torch.randn(s).requires_grad_(True) for s in ((4, 3), (2, 3), (2,))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gradcheck warns that the inputs are not float64
        return torch.autograd.gradcheck(function.apply, inputs, raise_exception=raise_exception)


def run_gradcheck_without_requires_grad(function):
    inputs = [torch.randn(s, dtype=torch.float64) for s in ((4, 3), (2, 3), (2,))]
    return torch.autograd.gradcheck(function.apply, inputs, raise_exception=False)


def run_gradcheck_only_x_requires_grad(function):
    """Only x requires grad: gradcheck then checks grad_x alone and passes a doubled grad_W."""
    x = torch.randn(4, 3, dtype=torch.float64).requires_grad_(True)
    W, b = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    return torch.autograd.gradcheck(function.apply, (x, W, b), raise_exception=False)


def run_gradcheck_b_without_requires_grad(function):
    x, W = (torch.randn(s, dtype=torch.float64).requires_grad_(True) for s in ((4, 3), (2, 3)))
    b = torch.randn(2, dtype=torch.float64)
    return torch.autograd.gradcheck(function.apply, (x, W, b), raise_exception=False)


def test_gradcheck_itself_passes_a_doubled_weight_gradient_when_only_x_requires_grad():
    # What the diagnosis below tells the student: gradcheck skips inputs without requires_grad.
    def doubled_weight(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, 2 * g.T @ x, g.sum(0)

    assert run_gradcheck_only_x_requires_grad(linear_function(doubled_weight)) is True
    assert run_gradcheck(linear_function(doubled_weight)) is False


def test_the_reference_linear_function_passes(capsys):
    check_linear_function(linear_function(right_backward), run_gradcheck)
    assert capsys.readouterr().out.startswith("Correct: grad_x = g W, grad_W = g^T x")
    check_linear_function(linear_function(right_backward), run_gradcheck_raising)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize(
    ("backward", "diagnosis"),
    [
        (
            bias_not_summed,
            r"grad_b has shape \(5, 2\), one row per example: sum grad_output.*"
            r"gradcheck alone passes this mistake",
        ),
        (weight_transposed, r"grad_W is transposed: shape \(3, 2\), expected \(2, 3\)"),
        (bias_mean, "grad_b is the mean over the batch: it is the sum"),
        (
            bias_summed_over_features,
            r"grad_b has shape \(5,\), expected \(2,\): you summed grad_output over the "
            r"features \(dim 1\); sum over the batch \(dim 0\)",
        ),
        (only_weight, r"one gradient per input of forward: \(grad_x, grad_W, grad_b\)"),
    ],
)
@pytest.mark.parametrize("runner", [run_gradcheck, run_gradcheck_raising])
def test_a_wrong_linear_backward_is_diagnosed_before_gradcheck_runs(backward, diagnosis, runner):
    # The student's gradcheck (even with raise_exception=True) must not pre-empt the diagnosis.
    with pytest.raises(ExerciseError, match=diagnosis):
        check_linear_function(linear_function(backward), runner)


def test_gradcheck_itself_misses_an_unsummed_bias_gradient():
    # What the diagnosis above tells the student: autograd sums a broadcastable gradient.
    assert run_gradcheck(linear_function(bias_not_summed)) is True


@pytest.mark.parametrize(
    ("runner", "diagnosis"),
    [
        (lambda function: True, "returned True without running the Function it was given"),
        (
            lambda function: run_gradcheck(linear_function(right_backward)),
            "returned True without running the Function it was given",
        ),
        (
            lambda function: run_gradcheck(function) or True,
            "returned True for a linear layer whose grad_W is doubled",
        ),
        (
            run_gradcheck_float32,
            r"False for your right backward because its inputs are torch\.float32",
        ),
        (
            lambda function: run_gradcheck_float32(function, raise_exception=True),
            r"refused your right backward because its inputs are torch\.float32",
        ),
        (run_gradcheck_without_requires_grad, r"raised ValueError: .*requires_grad=True\)\?"),
        (
            run_gradcheck_only_x_requires_grad,
            r"only x requires grad among run_gradcheck's inputs, so gradcheck never checks "
            r"grad_W or grad_b: it checks only the gradients of inputs with requires_grad=True",
        ),
        (
            run_gradcheck_b_without_requires_grad,
            r"only x and W require grad .* never checks grad_b: .* Give b requires_grad=True",
        ),
        (lambda function: 1, "should return what torch.autograd.gradcheck returns"),
        (lambda function: None, r"run_gradcheck\(LinearFunction\) is not filled in yet"),
    ],
)
def test_a_wrong_run_gradcheck_is_refused_with_its_diagnosis(runner, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_linear_function(linear_function(right_backward), runner)


def test_the_linear_check_wants_the_backward_filled_and_the_right_types():
    with pytest.raises(ExerciseError, match="LinearFunction.backward is not filled in yet"):
        check_linear_function(linear_function(lambda ctx, g: None), run_gradcheck)
    with pytest.raises(ExerciseError, match="grad_W is not filled in yet"):
        check_linear_function(
            linear_function(lambda ctx, g: (g @ ctx.saved_tensors[1], ..., ...)), run_gradcheck
        )
    with pytest.raises(TypeError, match="run_gradcheck must be callable"):
        check_linear_function(linear_function(right_backward), True)
    with pytest.raises(TypeError, match="LinearFunction must be a subclass"):
        check_linear_function(torch.nn.Linear, run_gradcheck)


# --- Exercise 4: one more operation for the engine -----------------------------------------------


def make_value_class():
    """A fresh copy of the notebook's scalar engine, trimmed to what the exercise 4 check uses."""

    class Value:
        def __init__(self, data):
            self.data, self.grad, self.parents, self.local = float(data), 0.0, (), ()
            self._backward = lambda: None

        @staticmethod
        def _node(data, parents, local):
            out = Value(data)
            out.parents, out.local = parents, local

            def _backward():
                for parent, d in zip(parents, local, strict=True):
                    parent.grad += d * out.grad

            out._backward = _backward
            return out

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value._node(self.data + other.data, (self, other), (1.0, 1.0))

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value._node(self.data * other.data, (self, other), (other.data, self.data))

        def backward(self):
            order, seen = [], set()

            def visit(v):
                if v not in seen:
                    seen.add(v)
                    for parent in v.parents:
                        visit(parent)
                    order.append(v)

            visit(self)
            self.grad = 1.0
            for v in reversed(order):
                v._backward()

    return Value


def engine_with_exp(local_derivative, parents=lambda a: (a,), local=lambda d: (d,)):
    """A Value class whose exp uses the given local derivative (a function of a.data); parents
    and local build the two fields from the input and the derivative (a tuple when right)."""

    value_class = make_value_class()

    def exp(self):
        e = math.exp(self.data)
        return value_class._node(e, parents(self), local(local_derivative(self.data)))

    value_class.exp = exp
    return value_class


missing_comma_in_local = (
    r"local is a float, not a tuple of local derivatives, one per parent: write \(e,\) with a "
    r"trailing comma; \(e\) without the comma is just e in parentheses"
)


def test_the_reference_exp_passes(capsys):
    check_value_exp(engine_with_exp(math.exp))
    out = capsys.readouterr().out
    assert out.startswith("Correct: exp's local derivative is exp(a)")


@pytest.mark.parametrize(
    ("value_class", "diagnosis"),
    [
        (engine_with_exp(lambda a: 1.0), "1 is the local derivative of an addition"),
        (engine_with_exp(lambda a: a), "a.data is the input, not the derivative"),
        (engine_with_exp(lambda a: a * math.exp(a - 1)), "the power rule, which does not apply"),
        (engine_with_exp(math.exp, parents=lambda a: ()), r"parents should be \(a,\)"),
        (
            engine_with_exp(math.exp, parents=lambda a: a),
            r"parents is a Value, not a tuple of the inputs: write \(self,\) with a trailing comma",
        ),
        (engine_with_exp(math.exp, local=lambda d: d), missing_comma_in_local),
        (make_value_class(), "Value has no method exp"),
    ],
)
def test_a_wrong_exp_is_refused_with_its_diagnosis(value_class, diagnosis):
    with pytest.raises(ExerciseError, match=diagnosis):
        check_value_exp(value_class)


def test_an_unfilled_exp_says_to_fill_it_in_and_a_non_class_is_a_type_error():
    unfilled = make_value_class()
    unfilled.exp = lambda self: None
    with pytest.raises(ExerciseError, match=r"value_exp\(a\) is not filled in yet"):
        check_value_exp(unfilled)
    with pytest.raises(TypeError, match="value_class must be a class"):
        check_value_exp(make_value_class()(1.0))
