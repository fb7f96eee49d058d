"""The course style: its palette, its series cycle and integer ticks."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from helpers import integer_ticks, use_course_style
from helpers.style import PALETTE


@pytest.fixture
def course_style():
    with plt.style.context("default"):
        use_course_style()
        yield
    plt.close("all")


def test_the_style_cycles_the_palette_with_a_dash_pattern_per_series(course_style):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()
    assert tuple(cycle["color"]) == PALETTE
    styles = [str(style) for style in cycle["linestyle"]]
    assert len(set(styles)) == len(PALETTE), "two series of the cycle share a dash pattern"


def test_the_style_keeps_text_at_least_9_pt(course_style):
    for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize", "font.size"):
        assert float(plt.rcParams[key]) >= 9, key


def test_integer_ticks_leaves_only_whole_numbers(course_style):
    _, ax = plt.subplots()
    ax.plot([1, 2, 3], [0.1, 0.2, 0.3])
    assert any(t % 1 for t in ax.get_xticks()), "matplotlib's default would put ticks at 1.5"
    integer_ticks(ax, "x")
    assert all(t % 1 == 0 for t in ax.get_xticks())


@pytest.mark.parametrize(
    ("ax", "axis", "error"), [("not axes", "x", TypeError), (None, "z", ValueError)]
)
def test_integer_ticks_refuses_bad_input(course_style, ax, axis, error):
    if ax is None:
        _, ax = plt.subplots()
    with pytest.raises(error, match="ax"):
        integer_ticks(ax, axis)
