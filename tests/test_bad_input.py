"""Every public helper refuses bad input, naming the argument: a wrong type raises TypeError,
a wrong value ValueError (the convention of helpers/_checks.py).

Wrong types, empty or mismatched loaders, non-finite numbers, a loss that is not a scalar,
functions and data that would make the result silently wrong. Also: no unit test can reach the
network (tests/conftest.py blocks sockets).
"""

from __future__ import annotations

import inspect
import math
import socket

import matplotlib
import pytest
import torch
from pytest_socket import SocketBlockedError
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import helpers
from helpers import make_loaders, make_regression, match_shape, plot_loss, set_seed, trainer

matplotlib.use("Agg")
NAN, INF = math.nan, math.inf


def loader(n=8, batch_size=4, features=1):
    inputs = torch.linspace(-1, 1, n * features).reshape(n, features)
    dataset = TensorDataset(inputs, torch.ones(n, 1))
    return DataLoader(dataset, batch_size=batch_size)


def call_trainer(**overrides):
    """Call trainer with good arguments, some of them replaced."""
    torch.manual_seed(0)
    model = overrides.pop("model", None) or nn.Linear(1, 1)
    arguments = {
        "model": model,
        "criterion": nn.MSELoss(),
        "optimizer": torch.optim.SGD(
            (model if isinstance(model, nn.Module) else nn.Linear(1, 1)).parameters(), lr=0.1
        ),
        "trainloader": loader(),
        "validloader": loader(),
        "epochs": 2,
        "verbose": False,
    }
    for key, value in overrides.items():
        arguments[key] = value(model) if callable(value) and key == "optimizer" else value
    return trainer(**arguments)


class Triples:
    def __iter__(self):
        yield torch.zeros(2, 1), torch.zeros(2), torch.zeros(2)


class NotTensors:
    def __iter__(self):
        yield [[0.0], [1.0]], [0.0, 1.0]


class Mismatched:
    def __iter__(self):
        yield torch.zeros(4, 1), torch.zeros(3)


class Scalars:
    def __iter__(self):
        yield torch.tensor(1.0), torch.tensor(1.0)


def frozen():
    model = nn.Linear(1, 1)
    model.requires_grad_(False)
    return model


TRAINER_CASES = [
    # model
    ({"model": "a model"}, TypeError, "model"),
    ({"model": frozen()}, ValueError, "model"),
    # criterion
    ({"criterion": None}, TypeError, "criterion"),
    ({"criterion": nn.MSELoss}, TypeError, "criterion"),  # the class, not an instance
    ({"criterion": nn.MSELoss(reduction="none")}, ValueError, "criterion"),
    ({"criterion": lambda p, t: ((p.detach() - t) ** 2).mean().item()}, ValueError, "criterion"),
    # optimizer
    ({"optimizer": "sgd"}, TypeError, "optimizer"),
    (
        {"optimizer": lambda m: torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)},
        ValueError,
        "optimizer",
    ),
    # loaders: wrong type, empty, mismatched
    ({"trainloader": 5}, TypeError, "trainloader"),
    ({"validloader": None}, TypeError, "validloader"),
    ({"trainloader": []}, ValueError, "trainloader"),
    ({"validloader": loader(n=0)}, ValueError, "validloader"),
    ({"trainloader": loader(n=0)}, ValueError, "trainloader"),
    ({"trainloader": iter([])}, ValueError, "trainloader"),
    ({"trainloader": Triples()}, ValueError, "trainloader"),
    ({"validloader": NotTensors()}, TypeError, "validloader"),
    ({"trainloader": Mismatched()}, ValueError, "trainloader"),
    ({"validloader": Mismatched()}, ValueError, "validloader"),
    ({"trainloader": Scalars()}, ValueError, "trainloader"),
    # a (N, 1) output against (N,) targets: MSELoss would broadcast them to (N, N)
    (
        {"trainloader": DataLoader(TensorDataset(torch.zeros(4, 1), torch.zeros(4)))},
        ValueError,
        "targets",
    ),  # fmt: skip
    # hyper-parameters: types and finiteness
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 2.0}, TypeError, "epochs"),
    ({"epochs": True}, TypeError, "epochs"),
    ({"epochs": "3"}, TypeError, "epochs"),
    ({"patience": 0}, ValueError, "patience"),
    ({"patience": 1.5}, TypeError, "patience"),
    ({"min_delta": NAN}, ValueError, "min_delta"),
    ({"min_delta": INF}, ValueError, "min_delta"),
    ({"min_delta": -0.1}, ValueError, "min_delta"),
    ({"min_delta": "0"}, TypeError, "min_delta"),
    ({"clip_grad_norm": NAN}, ValueError, "clip_grad_norm"),
    ({"clip_grad_norm": INF}, ValueError, "clip_grad_norm"),
    ({"clip_grad_norm": 0.0}, ValueError, "clip_grad_norm"),
    ({"stopping": "early"}, ValueError, "stopping"),
]


@pytest.mark.parametrize(("overrides", "error", "name"), TRAINER_CASES)
def test_trainer_rejects_bad_input_naming_the_argument(overrides, error, name):
    with pytest.raises(error, match=name):
        call_trainer(**overrides)


def test_trainer_accepts_good_input():
    train_loss, valid_loss = call_trainer()
    assert len(train_loss) == len(valid_loss) == 2


def test_trainer_rejects_before_training():
    """A bad hyper-parameter is refused before any weight changes."""
    model = nn.Linear(1, 1)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="min_delta"):
        call_trainer(
            model=model, optimizer=lambda m: torch.optim.SGD(m.parameters(), lr=1.0), min_delta=NAN
        )
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: match_shape([1.0], torch.zeros(1)), TypeError, "prediction"),
        (lambda: match_shape(torch.zeros(1), None), TypeError, "target"),
    ],
)
def test_match_shape_rejects_non_tensors(call, error, name):
    with pytest.raises(error, match=name):
        call()


PLOT_CASES = [
    ({"train_loss": None}, TypeError, "train_loss"),
    ({"train_loss": "1, 2"}, TypeError, "train_loss"),
    ({"train_loss": []}, ValueError, "train_loss"),
    ({"train_loss": [1.0, INF]}, ValueError, "train_loss"),
    ({"valid_loss": [1.0, NAN]}, ValueError, "valid_loss"),
    ({"valid_loss": [1.0]}, ValueError, "valid_loss"),
    ({"valid_loss": 3.0}, TypeError, "valid_loss"),
    ({"ax": "left"}, TypeError, "ax"),
    ({"log_scale": True, "train_loss": [1.0, 0.0]}, ValueError, "log_scale"),
    ({"title": 3}, TypeError, "title"),
    ({"ylabel": None}, TypeError, "ylabel"),
    ({"ylabel": " "}, ValueError, "ylabel"),
    ({"valid_loss": [1.0, "x"]}, TypeError, "valid_loss"),
    ({"best_epoch": 0}, ValueError, "best_epoch"),
    ({"best_epoch": 3}, ValueError, "best_epoch"),  # two epochs
    ({"best_epoch": 2.0}, TypeError, "best_epoch"),
    ({"label": 3}, TypeError, "label"),
]


@pytest.mark.parametrize(("overrides", "error", "name"), PLOT_CASES)
def test_plot_loss_rejects_bad_input_naming_the_argument(overrides, error, name):
    import matplotlib.pyplot as plt

    arguments = {"train_loss": [1.0, 0.5], "valid_loss": [1.2, 0.7], **overrides}
    try:
        with pytest.raises(error, match=name):
            plot_loss(**arguments)
    finally:
        plt.close("all")


DATA_CASES = [
    (lambda: set_seed("0"), TypeError, "seed"),
    (lambda: set_seed(None), TypeError, "seed"),
    (lambda: set_seed(1.5), TypeError, "seed"),
    (lambda: make_regression(0), ValueError, "n"),
    (lambda: make_regression(2.5), TypeError, "n"),
    (lambda: make_regression(10, noise=NAN), ValueError, "noise"),
    (lambda: make_regression(10, noise=-1.0), ValueError, "noise"),
    (lambda: make_regression(10, low="a"), TypeError, "low"),
    (lambda: make_regression(10, high=INF), ValueError, "high"),
    (lambda: make_regression(10, low=2.0, high=1.0), ValueError, "low"),
    (lambda: make_regression(10, low=1.0, high=1.0), ValueError, "low"),
    (lambda: make_regression(10, function="sin"), TypeError, "function"),
    (lambda: make_regression(10, function=torch.Tensor), TypeError, "function"),
    (lambda: make_regression(10, function=lambda x: x.sum()), ValueError, "function"),
    (lambda: make_regression(10, function=lambda x: 1.0), TypeError, "function"),
    (lambda: make_regression(10, function=torch.log), ValueError, "function"),  # log(x < 0)
    (lambda: make_regression(10, seed=1.5), TypeError, "seed"),
    (lambda: make_loaders([[0.0]], [0.0]), TypeError, "X"),
    (lambda: make_loaders(torch.tensor(1.0), torch.tensor(1.0)), ValueError, "X"),
    (lambda: make_loaders(torch.zeros(0, 1), torch.zeros(0)), ValueError, "valid_fraction"),
    (lambda: make_loaders(torch.zeros(10, 1), torch.zeros(9)), ValueError, "length"),
    (lambda: make_loaders(torch.full((10, 1), NAN), torch.zeros(10)), ValueError, "X"),
    (lambda: make_loaders(torch.zeros(10, 1), torch.full((10,), INF)), ValueError, "y"),
    (lambda: make_loaders(*make_regression(10), valid_fraction=NAN), ValueError, "valid_fraction"),
    (lambda: make_loaders(*make_regression(4), valid_fraction=1.0), ValueError, "valid_fraction"),
    (lambda: make_loaders(*make_regression(2), valid_fraction=0.1), ValueError, "valid_fraction"),
    (lambda: make_loaders(*make_regression(10), valid_fraction="0.3"), TypeError, "valid_fraction"),
    (lambda: make_loaders(*make_regression(10), batch_size=0), ValueError, "batch_size"),
    (lambda: make_loaders(*make_regression(10), batch_size=2.0), TypeError, "batch_size"),
    (lambda: make_loaders(*make_regression(10), seed="0"), TypeError, "seed"),
]


@pytest.mark.parametrize(("call", "error", "name"), DATA_CASES)
def test_data_helpers_reject_bad_input_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def public_functions():
    return [
        (name, getattr(helpers, name))
        for name in helpers.__all__
        if inspect.isfunction(getattr(helpers, name))
        and inspect.signature(getattr(helpers, name)).parameters  # use_course_style() takes none
    ]


@pytest.mark.parametrize(
    ("name", "function"), public_functions(), ids=[name for name, _ in public_functions()]
)
def test_every_public_helper_names_its_first_argument_when_given_garbage(name, function):
    """A catch-all over helpers.__all__: object() as the first and every required argument."""
    positional = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert positional, f"{name} takes no positional argument to test"
    count = max(
        [1] + [i + 1 for i, p in enumerate(positional) if p.default is inspect.Parameter.empty]
    )
    with pytest.raises((TypeError, ValueError), match=positional[0].name):
        function(*[object() for _ in range(count)])


# --- no network -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_unit_tests_cannot_open_sockets():
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1, never routable
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(SocketBlockedError):
        socket.getaddrinfo("example.org", 443)
