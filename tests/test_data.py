"""The toy data helpers are seeded, shaped as documented, and split without overlap."""

from __future__ import annotations

import math
import random

import pytest
import torch

from helpers import make_loaders, make_regression, set_seed


def test_make_regression_shapes_dtype_and_range():
    X, y = make_regression(50, low=-1.0, high=2.0, seed=3)
    assert X.shape == (50, 1) and y.shape == (50,)
    assert X.dtype == y.dtype == torch.float32
    assert X.min() >= -1.0 and X.max() < 2.0


def test_make_regression_is_reproducible_and_independent_of_the_global_seed():
    torch.manual_seed(1)
    first = make_regression(20, seed=7)
    torch.manual_seed(2)
    second = make_regression(20, seed=7)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[1], make_regression(20, seed=8)[1])


def test_make_regression_noise_free_follows_the_function():
    X, y = make_regression(30, noise=0.0, function=lambda x: 2 * x + 1)
    assert torch.allclose(y, 2 * X.squeeze(1) + 1)


def test_make_loaders_splits_without_overlap_and_keeps_every_sample():
    X = torch.arange(20.0).unsqueeze(1)
    train, valid = make_loaders(X, X.squeeze(1), valid_fraction=0.25, batch_size=4)
    train_x = torch.cat([xb for xb, _ in train]).flatten().tolist()
    valid_x = torch.cat([xb for xb, _ in valid]).flatten().tolist()
    assert len(valid_x) == 5 and len(train_x) == 15
    assert sorted(train_x + valid_x) == list(range(20))


def test_training_batches_are_reshuffled_reproducibly():
    X = torch.arange(40.0).unsqueeze(1)
    order = [
        [xb.flatten().tolist() for xb, _ in make_loaders(X, X.squeeze(1), seed=5)[0]]
        for _ in range(2)
    ]
    assert order[0] == order[1]
    train, _ = make_loaders(X, X.squeeze(1), seed=5)
    epochs = [torch.cat([xb for xb, _ in train]).flatten().tolist() for _ in range(2)]
    assert epochs[0] != epochs[1]


def test_set_seed_seeds_python_and_torch():
    set_seed(11)
    a = (random.random(), torch.rand(1).item())
    set_seed(11)
    assert (random.random(), torch.rand(1).item()) == a


def test_iterating_the_loaders_leaves_the_global_random_stream_alone():
    X, y = make_regression(20)
    train, valid = make_loaders(X, y, batch_size=4)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    list(train), list(valid)
    assert torch.equal(torch.rand(3), expected)


DATA = make_regression(10)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: make_regression(2.5), TypeError, "n"),
        (lambda: make_regression(True), TypeError, "n"),
        (lambda: make_regression(0), ValueError, "n"),
        (lambda: make_regression(10, noise="0.1"), TypeError, "noise"),
        (lambda: make_regression(10, noise=-0.1), ValueError, "noise"),
        (lambda: make_regression(10, noise=math.nan), ValueError, "noise"),
        (lambda: make_regression(10, low=None), TypeError, "low"),
        (lambda: make_regression(10, high=math.inf), ValueError, "high"),
        (lambda: make_regression(10, low=1.0, high=1.0), ValueError, "low"),
        (lambda: make_loaders([[0.0]], torch.zeros(1)), TypeError, "X"),
        (lambda: make_loaders(torch.zeros(4, 1), [0.0] * 4), TypeError, "y"),
        (lambda: make_loaders(*make_regression(10), batch_size=2.0), TypeError, "batch_size"),
        (lambda: make_loaders(*make_regression(10), batch_size=0), ValueError, "batch_size"),
        (lambda: make_loaders(*DATA, valid_fraction="0.3"), TypeError, "valid_fraction"),
        (lambda: make_loaders(*DATA, valid_fraction=0.0), ValueError, "valid_fraction"),
        (lambda: make_loaders(*DATA, valid_fraction=1.0), ValueError, "valid_fraction"),
        (lambda: make_loaders(*make_regression(10), seed=1.0), TypeError, "seed"),
    ],
)
def test_bad_arguments_are_refused_with_the_right_error_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
