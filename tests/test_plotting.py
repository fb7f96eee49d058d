"""plot_loss draws what it says: the two curves against epochs 1..n, the best epoch, the labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers import plot_loss  # noqa: E402

TRAIN = [1.0, 0.6, 0.4, 0.3, 0.25]
VALID = [1.1, 0.7, 0.5, 0.55, 0.6]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_curves_are_drawn_against_epochs_starting_at_one():
    ax = plot_loss(TRAIN, VALID)
    lines = lines_by_label(ax)
    assert list(lines["training loss"].get_xdata()) == [1, 2, 3, 4, 5]
    assert list(lines["training loss"].get_ydata()) == TRAIN
    assert list(lines["validation loss"].get_ydata()) == VALID


def test_best_validation_epoch_is_marked():
    ax = plot_loss(TRAIN, VALID)
    marker = lines_by_label(ax)["best epoch (3)"]
    assert list(marker.get_xdata()) == [3] and list(marker.get_ydata()) == [0.5]
    vertical = [line for line in ax.get_lines() if list(line.get_xdata()) == [3, 3]]
    assert len(vertical) == 1


def test_first_of_tied_minima_is_the_best_epoch():
    ax = plot_loss([1.0, 1.0, 1.0], [0.5, 0.4, 0.4])
    assert "best epoch (2)" in lines_by_label(ax)


def test_axes_are_labelled_and_legend_drawn():
    ax = plot_loss(TRAIN, VALID, title="Fit")
    assert ax.get_xlabel() == "Epoch"
    assert ax.get_ylabel() == "Loss"
    assert ax.get_title() == "Fit"
    assert ax.get_legend() is not None


def test_log_scale_and_no_marker():
    ax = plot_loss(TRAIN, VALID, log_scale=True, mark_best=False)
    assert ax.get_yscale() == "log"
    assert set(lines_by_label(ax)) == {"training loss", "validation loss"}


def test_draws_into_a_given_axes_and_returns_it():
    _, (left, right) = plt.subplots(1, 2)
    assert plot_loss(TRAIN, VALID, ax=right) is right
    assert left.get_lines() == []


def test_training_curve_alone():
    ax = plot_loss(TRAIN)
    assert set(lines_by_label(ax)) == {"training loss"}


def test_best_epoch_can_be_given_explicitly():
    ax = plot_loss(TRAIN, VALID, best_epoch=4)
    marker = lines_by_label(ax)["best epoch (4)"]
    assert list(marker.get_xdata()) == [4] and list(marker.get_ydata()) == [0.55]


def test_label_names_every_legend_entry_of_a_run():
    ax = plot_loss(TRAIN, VALID, label="run A")
    plot_loss(TRAIN, VALID, ax=ax, label="run B")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [
        "training loss (run A)",
        "validation loss (run A)",
        "best epoch (3) (run A)",
        "training loss (run B)",
        "validation loss (run B)",
        "best epoch (3) (run B)",
    ]


def test_draws_in_the_course_style_with_whole_epoch_ticks():
    from matplotlib.colors import to_hex

    from helpers.style import PALETTE, STYLE_FILE

    with plt.style.context(STYLE_FILE):
        ax = plot_loss([1.0, 0.5, 0.6], [1.1, 0.7, 0.8])  # 3 epochs: matplotlib would tick 1.25
        ax.figure.canvas.draw()
        assert tuple(ax.figure.get_size_inches()) == tuple(plt.rcParams["figure.figsize"])
    lines = lines_by_label(ax)
    assert to_hex(lines["training loss"].get_color()) == PALETTE[0].lower()
    assert to_hex(lines["validation loss"].get_color()) == PALETTE[1].lower()
    assert lines["training loss"].get_linestyle() != lines["validation loss"].get_linestyle()
    assert to_hex(lines["best epoch (2)"].get_color()) == PALETTE[6].lower()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
