"""``trainer``: notebook 04's hand-written training loop, plus early stopping, as one function.

Each epoch does what the notebook's loop does, with the same plain torch calls:

1. ``model.train()``, then for every training batch ``optimizer.zero_grad()``, forward pass,
   loss, ``loss.backward()``, ``optimizer.step()``;
2. ``model.eval()`` and ``torch.no_grad()`` for a pass over the validation batches;
3. record each epoch's loss, each batch's loss weighted by its size, so that the number is the
   loss over the whole data set (a plain mean of batch losses over-weights a short last batch).

On top of that it stops early by the standard rule (no improvement on the best validation loss
for ``patience`` epochs) and restores the weights of the best epoch; ``stopping="consecutive"``
gives the lecture's rule for comparison. It can clip gradients, stops cleanly on a NaN or infinite
loss, moves each batch to the model's device, and refuses the mistakes that would make its numbers
wrong without an error: a loss class instead of an instance, an optimizer over another model's
parameters, a loss that is not a scalar, batches that are not ``(inputs, targets)`` pairs, and
an output of shape ``(N, 1)`` against targets of shape ``(N,)`` (see ``match_shape``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import torch
from torch import nn

from helpers._checks import check_int, check_number

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def trainer(
    model: nn.Module,
    criterion: Loss,
    optimizer: torch.optim.Optimizer,
    trainloader: Iterable,
    validloader: Iterable,
    epochs: int = 5,
    patience: int | None = 5,
    *,
    min_delta: float = 0.0,
    stopping: Literal["best", "consecutive"] = "best",
    restore_best: bool | None = None,
    clip_grad_norm: float | None = None,
    verbose: bool = True,
) -> tuple[list[float], list[float]]:
    """Train ``model`` and return the per-epoch training and validation losses.

    Args:
        model: the network to train; it must have parameters that require gradients.
        criterion: the loss, an instance such as ``nn.MSELoss()``, called as
            ``criterion(prediction, target)``. It must return the batch's *mean* loss as a scalar
            (``reduction="mean"``, PyTorch's default): the trainer weights it by the batch size.
        optimizer: an optimizer over ``model``'s parameters.
        trainloader: yields ``(inputs, targets)`` batches for training, e.g. a ``DataLoader``.
        validloader: yields ``(inputs, targets)`` batches for validation.
        epochs: the most epochs to run (at least 1).
        patience: stop after this many epochs without improvement (at least 1); ``None`` runs
            all ``epochs``.
        min_delta: with ``stopping="best"``, an epoch improves only if its validation loss is
            below the best so far by more than this.
        stopping: ``"best"`` stops after ``patience`` epochs without improvement on the best
            validation loss (the rule of Keras and PyTorch Lightning); ``"consecutive"`` is the
            lecture's rule: stop after ``patience`` consecutive epochs in which the validation
            loss rose.
        restore_best: at the end, load the weights of the best epoch (with ``min_delta > 0``:
            of the last epoch that improved by more than ``min_delta``). ``None``, the default,
            restores them when early stopping is on (``patience`` given) and keeps the last
            weights when it is off, as the hand-written loop does.
        clip_grad_norm: if given, rescale the gradients so that their total 2-norm is at most
            this, between ``backward()`` and ``step()``.
        verbose: print one line when training stops early or on a non-finite loss.

    Returns:
        ``(train_loss, valid_loss)``: two lists of floats, one entry per completed epoch, each
        the mean loss over that epoch's whole data set.

    Raises:
        TypeError: an argument of the wrong type (e.g. ``nn.MSELoss`` instead of
            ``nn.MSELoss()``), or batches that are not pairs of tensors.
        ValueError: a wrong value, an empty loader, an optimizer over another model's
            parameters, or a criterion that does not return a scalar.

    Example:
        >>> train_loss, valid_loss = trainer(model, criterion, optimizer,
        ...                                  trainloader, validloader, epochs=201, patience=3)
    """
    device = _check_arguments(model, criterion, optimizer, trainloader, validloader)
    _check_settings(epochs, patience, min_delta, stopping, clip_grad_norm)
    if restore_best is None:
        restore_best = patience is not None
    if stopping == "consecutive":
        min_delta = 0.0  # the lecture's rule compares each epoch with the one before
    train_loss: list[float] = []
    valid_loss: list[float] = []
    best_loss, best_epoch, best_state = math.inf, 0, None
    waited = 0  # epochs without improvement ("best") or consecutive rises ("consecutive")
    message = ""

    for epoch in range(1, epochs + 1):
        # Training: one step per batch, on that batch's gradient only.
        model.train()
        total, count = 0.0, 0
        for inputs, targets in _batches(trainloader, "trainloader", device):
            optimizer.zero_grad()
            loss = _scalar(criterion(match_shape(model(inputs), targets), targets))
            value = loss.item()
            if not math.isfinite(value):  # stop before stepping with it
                message = f"Stopped at epoch {epoch}: the training loss is {value}"
                break
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            total += value * len(targets)
            count += len(targets)
        if message:
            break
        epoch_train = total / count

        # Validation: dropout off, batch norm on its running statistics, no graph.
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for inputs, targets in _batches(validloader, "validloader", device):
                loss = _scalar(criterion(match_shape(model(inputs), targets), targets))
                total += loss.item() * len(targets)
                count += len(targets)
        epoch_valid = total / count
        if not math.isfinite(epoch_valid):
            message = f"Stopped at epoch {epoch}: the validation loss is {epoch_valid}"
            break
        train_loss.append(epoch_train)
        valid_loss.append(epoch_valid)

        # Early stopping.
        if epoch_valid < best_loss - min_delta:
            best_loss, best_epoch = epoch_valid, epoch
            if restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if stopping == "best":
            waited = 0 if best_epoch == epoch else waited + 1
        else:
            rose = len(valid_loss) > 1 and valid_loss[-1] > valid_loss[-2]
            waited = waited + 1 if rose else 0
        if patience is not None and waited >= patience:
            message = _early_stop_message(
                epoch, patience, stopping, min_delta, best_epoch, best_loss
            )
            break

    model.train()
    if message.startswith("Stopped"):  # a non-finite loss
        message += f"; kept the history of the {len(valid_loss)} completed epochs"
        if restore_best and best_state is not None:
            message += f" and restored the weights of epoch {best_epoch}"
    elif message and restore_best:  # stopped early
        message += ", weights restored"
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    if verbose and message:
        print(message + ".")
    return train_loss, valid_loss


def _early_stop_message(
    epoch: int, patience: int, stopping: str, min_delta: float, best_epoch: int, best_loss: float
) -> str:
    if stopping == "consecutive":
        reason = f"the validation loss rose in {patience} consecutive epochs; best epoch"
    elif min_delta > 0:  # the restored epoch need not have the lowest loss
        reason = (
            f"no improvement by more than min_delta={min_delta:g} for {patience} epochs; "
            "the last such improvement was epoch"
        )
    else:
        reason = f"no improvement on the best validation loss for {patience} epochs; best epoch"
    return (
        f"Early stopping at epoch {epoch}: {reason} {best_epoch} (validation loss {best_loss:.4f})"
    )


def match_shape(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Refuse the ``(N, 1)`` versus ``(N,)`` broadcasting bug; return ``prediction`` unchanged.

    A regression network outputs shape ``(N, 1)`` while the targets are often ``(N,)``: then
    ``nn.MSELoss()`` broadcasts the pair to ``(N, N)``, compares every prediction with every
    target, and returns a meaningless loss (PyTorch only warns). ``trainer`` calls this on every
    batch. Other pairs of shapes, e.g. classification logits ``(N, C)`` with labels ``(N,)``,
    pass.

    Raises:
        TypeError: if ``prediction`` or ``target`` is not a tensor.
        ValueError: for a prediction of shape ``(N, 1)`` with targets of shape ``(N,)``; the
            message says how to fix it.
    """
    if not isinstance(prediction, torch.Tensor):
        raise TypeError(f"prediction must be a tensor, got {type(prediction).__name__}")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a tensor, got {type(target).__name__}")
    if prediction.ndim == target.ndim + 1 and prediction.shape[-1] == 1:
        n = len(target)
        raise ValueError(
            f"the model's output has shape {tuple(prediction.shape)} but the targets "
            f"{tuple(target.shape)}: a loss such as nn.MSELoss() would broadcast them to "
            f"({n}, {n}) and compare every prediction with every target, a wrong loss with no "
            "error. Give the targets the output's shape, y.view(-1, 1) (e.g. when you build the "
            "data set), or drop the output's last dimension, model(x).squeeze(-1)."
        )
    return prediction


def _batches(loader: Iterable, name: str, device: torch.device) -> Iterator[tuple]:
    """Yield ``loader``'s ``(inputs, targets)`` batches on ``device``, checking each one."""
    empty = True
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError(f"{name} must yield (inputs, targets) pairs, got {batch!r:.80}")
        inputs, targets = batch
        if not (isinstance(inputs, torch.Tensor) and isinstance(targets, torch.Tensor)):
            raise TypeError(f"{name} must yield pairs of tensors")
        if inputs.ndim == 0 or targets.ndim == 0 or len(inputs) != len(targets):
            raise ValueError(
                f"{name} must yield inputs and targets with the same first (batch) dimension, "
                f"got shapes {tuple(inputs.shape)} and {tuple(targets.shape)}"
            )
        empty = False
        yield inputs.to(device), targets.to(device)
    if empty:
        raise ValueError(f"{name} yielded no batches")


def _scalar(loss: object) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(
            f"criterion must return a scalar tensor, got {shape}; use reduction='mean'"
        )
    return loss


def _check_arguments(model, criterion, optimizer, trainloader, validloader) -> torch.device:
    """Check the five objects ``trainer`` works with; return the device of the model."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no parameters that require gradients")
    if isinstance(criterion, type) or not callable(criterion):
        raise TypeError(f"criterion must be a loss such as torch.nn.MSELoss(), got {criterion!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    own = {id(p) for p in params}
    if not any(id(p) in own for group in optimizer.param_groups for p in group["params"]):
        raise ValueError("optimizer updates none of model's parameters: use model.parameters()")
    for name, loader in (("trainloader", trainloader), ("validloader", validloader)):
        if not isinstance(loader, Iterable):
            raise TypeError(f"{name} must be iterable, got {type(loader).__name__}")
        if hasattr(loader, "__len__") and len(loader) == 0:
            raise ValueError(f"{name} is empty")
    return params[0].device


def _check_settings(epochs, patience, min_delta, stopping, clip_grad_norm) -> None:
    check_int("epochs", epochs, minimum=1)
    if patience is not None:
        check_int("patience", patience, minimum=1)
    check_number("min_delta", min_delta, minimum=0.0, strict=False)
    if stopping not in ("best", "consecutive"):
        raise ValueError(f"stopping must be 'best' or 'consecutive', got {stopping!r}")
    if clip_grad_norm is not None:
        check_number("clip_grad_norm", clip_grad_norm, minimum=0.0, strict=True)
