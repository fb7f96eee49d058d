"""``plot_loss``: training and validation curves, with the best epoch marked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from helpers._checks import check_int
from helpers.style import PALETTE, integer_ticks

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn: `import helpers` stays fast
    from matplotlib.axes import Axes


def plot_loss(
    train_loss: Sequence[float],
    valid_loss: Sequence[float] | None = None,
    *,
    ax: Axes | None = None,
    log_scale: bool = False,
    mark_best: bool = True,
    title: str | None = None,
    ylabel: str = "Loss",
    best_epoch: int | None = None,
    label: str | None = None,
) -> Axes:
    """Plot per-epoch losses against the epoch number (1, 2, ...) and return the Axes.

    The curves take the colours and dash patterns of the current style (the course style after
    ``use_course_style()``), and a new figure its default size.

    Args:
        train_loss: the training loss of each epoch, as returned by ``trainer``.
        valid_loss: the validation loss of each epoch (same length), or ``None``.
        ax: draw into this Axes instead of a new figure.
        log_scale: use a logarithmic loss axis (useful when the loss falls by decades).
        mark_best: mark the epoch with the lowest validation loss (first one on ties).
        title: an optional title.
        ylabel: the label of the loss axis.
        best_epoch: the epoch to mark (counting from 1) instead of the lowest validation loss,
            e.g. the epoch whose weights ``trainer`` restored when ``min_delta > 0``.
        label: a name for this run, added to each legend entry ("training loss (label)"), so
            that several runs can share one Axes.

    Returns:
        The matplotlib Axes, so that a notebook can add to it.
    """
    train = _as_floats("train_loss", train_loss)
    valid = None if valid_loss is None else _as_floats("valid_loss", valid_loss)
    if valid is not None and len(valid) != len(train):
        raise ValueError(
            f"train_loss and valid_loss differ in length: {len(train)} != {len(valid)}"
        )
    _check_options(ax, title, ylabel)
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a str or None, got {type(label).__name__}")
    if best_epoch is not None:
        check_int("best_epoch", best_epoch, minimum=1)
        if valid is None or best_epoch > len(valid):
            raise ValueError(f"best_epoch must be an epoch of valid_loss (1..n), got {best_epoch}")
    if log_scale and min(train + (valid or [])) <= 0:
        raise ValueError("log_scale=True needs losses > 0; train_loss or valid_loss has one <= 0")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    suffix = "" if label is None else f" ({label})"
    epochs = range(1, len(train) + 1)
    ax.plot(epochs, train, label="training loss" + suffix)
    if valid is not None:
        ax.plot(epochs, valid, label="validation loss" + suffix)
        if mark_best:
            if best_epoch is None:  # the first of tied minima
                best_epoch = 1 + min(range(len(valid)), key=valid.__getitem__)
            black = PALETTE[6]
            ax.axvline(best_epoch, color=black, linestyle=":", linewidth=1, alpha=0.6)
            ax.plot(
                [best_epoch],
                [valid[best_epoch - 1]],
                marker="o",
                linestyle="none",
                color=black,
                label=f"best epoch ({best_epoch})" + suffix,
            )
    ax.set_xlabel("Epoch")
    integer_ticks(ax, "x")
    ax.set_ylabel(ylabel)
    if log_scale:
        ax.set_yscale("log")
    if title is not None:
        ax.set_title(title)
    ax.legend()
    return ax


def _check_options(ax: object, title: object, ylabel: object) -> None:
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a str, got {type(ylabel).__name__}")
    if not ylabel.strip():
        raise ValueError("ylabel must not be empty: every axis needs a label")


def _as_floats(name: str, values: Sequence[float]) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    if len(values) == 0:
        raise ValueError(f"{name} is empty")
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers") from error
    if not all(math.isfinite(v) for v in floats):
        raise ValueError(f"{name} holds a NaN or infinite value")
    return floats
