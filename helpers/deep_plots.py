"""Plotting for notebook 03: per-layer curves and per-layer histograms, in the course style.

``plot_per_layer`` draws one value per layer for several networks (gradient norms, activation
spreads, update ratios) on one axes, with integer layer ticks, a distinct marker per series and
a legend that says how many layers could not be drawn (exact zeros on a log axis, inf or nan).
``plot_layer_histograms`` draws the distribution of a few layers' values as step histograms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_per_layer(
    ax: Axes,
    series: Mapping[str, Sequence[float]],
    *,
    ylabel: str,
    title: str = "",
    log: bool = True,
    xlabel: str = "layer (1 = input side)",
    legend_loc: str = "best",
) -> Axes:
    """Plot ``{label: one value per layer}`` against the layer number (1 = input side).

    Values that cannot be drawn (``0`` on a log axis, ``inf``, ``nan``) are left out and counted
    in the series' legend entry, so no series is listed without being visible. The x axis gets
    integer ticks. ``legend_loc`` is passed to ``ax.legend(loc=...)`` (e.g. ``"lower left"``,
    to keep the legend off the data). Returns ``ax``.

    Raises:
        TypeError: if ``series`` is not a mapping.
        ValueError: if ``series`` is empty.
    """
    from matplotlib.ticker import LogLocator, NullLocator

    from helpers.style import integer_ticks

    if not isinstance(series, Mapping):
        raise TypeError(f"series must be a mapping of label to values, got {type(series).__name__}")
    if not series:
        raise ValueError("series must hold at least one series")
    for k, (label, values) in enumerate(series.items()):
        values = [float(v) for v in values]
        shown = [v if math.isfinite(v) and (v > 0 or not log) else math.nan for v in values]
        zeros = sum(v == 0.0 for v in values) if log else 0
        bad = sum(not math.isfinite(v) for v in values)
        notes = [f"{zeros} exactly 0, not drawn"] if zeros else []
        notes += [f"{bad} inf/nan"] if bad else []
        ax.plot(
            range(1, len(values) + 1),
            shown,
            marker=MARKERS[k % len(MARKERS)],
            markersize=4,
            label=label + (f" ({', '.join(notes)})" if notes else ""),
        )
    if log:
        ax.set_yscale("log")
        drawn = [
            v for line in ax.get_lines() for v in line.get_ydata() if math.isfinite(v) and v > 0
        ]
        if drawn and max(drawn) > 100 * min(drawn):
            # Over many decades the minor ticks carry no labels and add nothing to read, and
            # laying them out is much of the cost of drawing the figure. (Within a decade or
            # two they carry the labels, so they stay.)
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_locator(LogLocator(numticks=6))  # a labelled tick every few decades
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    integer_ticks(ax, "x")
    ax.legend(fontsize=8, loc=legend_loc)
    return ax


def plot_layer_histograms(
    ax: Axes,
    values: Sequence[torch.Tensor],
    layers: Sequence[int],
    *,
    xlabel: str,
    title: str = "",
    bins: int = 40,
    value_range: tuple[float, float] | None = None,
    summary: str = "mean |·|",
) -> Axes:
    """Step histograms (densities) of ``values[i - 1]`` for each layer number ``i`` in ``layers``.

    ``values`` holds one tensor per layer (any shape; all its entries are counted). The legend
    names each layer with a summary of its values: ``summary="mean |·|"`` (the mean absolute
    value, for activations) or ``"mean"`` (the plain mean, e.g. of ``log10 |gradient|``, where
    ``-19`` reads as "typically 1e-19"). Returns ``ax``.

    Raises:
        ValueError: if a layer number is outside ``1 .. len(values)``, or ``summary`` is not one
            of ``"mean |·|"`` and ``"mean"``.
    """
    if summary not in ("mean |·|", "mean"):
        raise ValueError(f"summary must be 'mean |·|' or 'mean', got {summary!r}")
    for k, layer in enumerate(layers):
        if not 1 <= layer <= len(values):
            raise ValueError(f"layers must lie in 1..{len(values)}, got {layer}")
        data = values[layer - 1].detach().flatten().double()
        stat = (
            (lambda d: d.abs().mean().item())
            if summary == "mean |·|"
            else (lambda d: d.mean().item())
        )
        ax.hist(
            data.numpy(),
            bins=bins,
            range=value_range,
            density=True,
            histtype="step",
            linewidth=1.5,
            linestyle=("-", "--", "-.", ":")[k % 4],
            label=f"layer {layer} ({summary} {stat(data):.2g})",
        )
    ax.set(xlabel=xlabel, ylabel="density")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_loss_runs(
    ax: Axes,
    runs: Mapping[str, Sequence[Sequence[float]]],
    *,
    reference: float | None = None,
    reference_label: str = "var(y): predicting the mean",
    title: str = "",
    log: bool = False,
    legend_loc: str = "best",
    first_epoch: int = 1,
) -> Axes:
    """Training-loss curves over several seeds: the median per epoch and the min-max band.

    ``runs`` maps a label to one loss history per seed (one value per epoch). A history that
    ends early or holds a non-finite value diverged: the curve stops at its last finite epoch
    and the legend says in how many seeds that happened. ``reference`` draws a dotted horizontal
    line (e.g. the variance of the targets). The x axis gets integer ticks; ``legend_loc`` is passed
    to ``ax.legend(loc=...)``. ``first_epoch`` is the epoch of each history's first value: 1 for
    losses measured after each epoch, 0 when a history starts with the loss before training.
    Returns ``ax``.

    Raises:
        TypeError: if ``first_epoch`` is not an int.
        ValueError: if ``runs`` is empty, a label has no history, or ``first_epoch`` is negative.
    """
    from helpers._checks import check_int
    from helpers.style import integer_ticks

    check_int("first_epoch", first_epoch, minimum=0)

    if not runs:
        raise ValueError("runs must hold at least one label")
    for k, (label, histories) in enumerate(runs.items()):
        if not histories:
            raise ValueError(f"runs[{label!r}] holds no loss history")
        finite = [[v for v in h if math.isfinite(v)] for h in histories]
        diverged = sum(len(f) < len(h) for f, h in zip(finite, histories, strict=True))
        length = min(len(f) for f in finite)
        epochs = range(first_epoch, first_epoch + length)
        table = torch.tensor([f[:length] for f in finite], dtype=torch.float64)
        note = f" ({diverged} of {len(histories)} seeds diverged)" if diverged else ""
        seeds = f", {len(histories)} seeds" if len(histories) > 1 else ""
        if length:
            (line,) = ax.plot(
                epochs,
                table.median(dim=0).values.tolist(),
                marker=MARKERS[k % len(MARKERS)],
                markersize=3,
                label=f"{label}{seeds}{note}",
            )
            if len(histories) > 1:
                ax.fill_between(
                    epochs,
                    table.min(dim=0).values.tolist(),
                    table.max(dim=0).values.tolist(),
                    color=line.get_color(),
                    alpha=0.2,
                    linewidth=0,
                )
    if reference is not None:
        ax.axhline(reference, color="black", linestyle=":", linewidth=1.2, label=reference_label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="training loss (MSE)" + (", log scale" if log else ""))
    if title:
        ax.set_title(title)
    integer_ticks(ax, "x")
    ax.legend(fontsize=8, loc=legend_loc)
    return ax
