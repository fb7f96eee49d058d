"""Tests of helpers.deep_plots beyond those in test_deep.py: the epoch axis of plot_loss_runs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from helpers.deep_plots import plot_loss_runs


def test_plot_loss_runs_starts_the_epoch_axis_at_first_epoch():
    fig, ax = plt.subplots()
    plot_loss_runs(ax, {"from init": [[9.0, 3.0, 1.0]]}, first_epoch=0)
    plot_loss_runs(ax, {"after each epoch": [[3.0, 1.0]]})
    from_init, after_each = ax.get_lines()
    assert list(from_init.get_xdata()) == [0, 1, 2]  # the loss before training sits at epoch 0
    assert list(after_each.get_xdata()) == [1, 2]  # the default: the first value is epoch 1
    plt.close(fig)


@pytest.mark.parametrize(
    ("first_epoch", "error"), [(-1, ValueError), (0.0, TypeError), (True, TypeError)]
)
def test_plot_loss_runs_rejects_a_bad_first_epoch(first_epoch, error):
    fig, ax = plt.subplots()
    with pytest.raises(error, match="first_epoch"):
        plot_loss_runs(ax, {"a": [[1.0]]}, first_epoch=first_epoch)
    plt.close(fig)
