"""The course's figure style: ``use_course_style()`` in each notebook's first cell.

Every figure of the course uses one style (``course.mplstyle`` beside this file): the Okabe-Ito
palette, which readers with red-green colour blindness can tell apart, a dash pattern per series
so that curves also differ in greyscale, text of at least 9 pt, and a figure size that fits the
notebook column. ``integer_ticks`` puts whole-number ticks on an axis that counts something
(layers, epochs, units), where matplotlib would otherwise label "2.5".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported only when a figure is drawn: `import helpers` stays fast
    from matplotlib.axes import Axes

STYLE_FILE = Path(__file__).with_name("course.mplstyle")

# The Okabe-Ito colours, in the order the style cycles through them (hex, as matplotlib reads).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: faint on white, for fills rather than lines)
)


def use_course_style() -> None:
    """Apply the course's matplotlib style to every figure drawn after this call.

    Call it once, after importing ``matplotlib.pyplot``, in a notebook's first code cell::

        from helpers import use_course_style
        use_course_style()
    """
    import matplotlib.pyplot as plt

    plt.style.use(STYLE_FILE)


def integer_ticks(ax: Axes, axis: str = "x") -> None:
    """Put only whole-number ticks on ``axis`` ("x", "y" or "both") of ``ax``.

    For axes that count things (layer 1, 2, 3; epoch 10, 20), where a tick at 2.5 would be
    meaningless.
    """
    from matplotlib.axes import Axes as _Axes
    from matplotlib.ticker import MaxNLocator

    if not isinstance(ax, _Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if axis not in ("x", "y", "both"):
        raise ValueError(f'axis must be "x", "y" or "both", got {axis!r}')
    if axis in ("x", "both"):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if axis in ("y", "both"):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
