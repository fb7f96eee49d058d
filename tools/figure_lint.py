"""The figure lint: every figure a notebook shows is checked against the course's figure rules.

    python -m tools.figure_lint notebooks/03_*.ipynb   # run notebooks, print each violation

Rules (the name in brackets is what a failure prints):

- ``[axis-label]`` every axis that shows tick labels has a label (its own, one of an axes it
  shares that axis with, or the figure's ``supxlabel``/``supylabel``).
- ``[series-style]`` no two labelled series of one axes share colour, marker and line style.
- ``[legend-visible]`` every legend entry's artist is visible and has data inside the axes' view.
- ``[font-size]`` legend text and tick labels are at least 8 pt.
- ``[colour]`` lines, markers, patches and text use ``helpers.style.PALETTE`` or a neutral
  (black, grey, white); a fill (patch, ``fill_between``) with alpha below 1 may use any colour.
- ``[colormap]`` a colour-mapped artist uses viridis, cividis, plasma, inferno or magma (or its
  ``_r``); markers and lines coloured by it keep both ends readable on the axes' background
  (contrast >= 3:1, WCAG's threshold for graphics, or an opaque edge that has it).
- ``[integer-ticks]`` an axis whose data (every line and scatter point with data coordinates on
  it) are integers, with at least two distinct values, has only integer ticks.
- ``[text-overflow]`` no text reaches more than one pixel outside the figure after layout.

How it runs: ``tools/figure_lint_ipython`` is an IPython directory whose startup file loads this
module into the kernel (:func:`load_ipython_extension`) when ``IPYTHONDIR`` points to it, as
``make test`` (tests/conftest.py) and this module's command line set it. In the kernel, every
figure that IPython displays (``plt.show()``, the inline backend's end-of-cell flush,
``display(fig)``, a widget's output) is linted right after it is drawn; at the end of the cell
the violations become a ``FigureLintError`` that fails the cell: nbval fails it (in every mode,
``nbval-ignore-output`` cells too) and names notebook and cell; nbclient stops at it, so that a
``make outputs`` run with ``IPYTHONDIR`` set stores nothing. A figure never displayed (closed
before the cell ends) is not linted. A single notebook under nbval (``pytest notebooks/NN.ipynb``)
does not load tests/conftest.py: prefix ``IPYTHONDIR=$PWD/tools/figure_lint_ipython`` (absolute:
the kernel runs in notebooks/), or use the command above, to lint it there too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported when a figure is linted, not when a kernel starts
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

IPYTHON_DIR = Path(__file__).resolve().with_name("figure_lint_ipython")
MIN_FONT_PT = 8.0
OVERFLOW_PX = 1.0
MIN_CONTRAST = 3.0  # WCAG 2.1, 1.4.11 (non-text contrast)
ALLOWED_CMAPS = frozenset(
    name + suffix
    for name in ("viridis", "cividis", "plasma", "inferno", "magma")
    for suffix in ("", "_r")
)
RULES = (
    "axis-label",
    "series-style",
    "legend-visible",
    "font-size",
    "colour",
    "colormap",
    "integer-ticks",
    "text-overflow",
)
ERROR_NAME = "FigureLintError"


class FigureLintError(Exception):
    """A cell showed a figure that breaks the course's figure rules (the message lists them)."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` (one of :data:`RULES`), where in the figure, and what is wrong."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}"


# --- colours -----------------------------------------------------------------------------------


def _palette() -> list[tuple[float, float, float]]:
    from matplotlib.colors import to_rgb

    from helpers.style import PALETTE

    return [to_rgb(c) for c in PALETTE]


def _is_neutral(rgb: Iterable[float]) -> bool:
    r, g, b = list(rgb)[:3]
    return max(r, g, b) - min(r, g, b) <= 0.02


def _in_palette(rgb: Iterable[float], palette: list[tuple[float, float, float]]) -> bool:
    rgb = tuple(rgb)[:3]
    return any(max(abs(a - b) for a, b in zip(rgb, p, strict=True)) <= 0.01 for p in palette)


def _luminance(rgb: Iterable[float]) -> float:
    """Relative luminance (WCAG 2.1) of an sRGB colour with channels in [0, 1]."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in list(rgb)[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: Iterable[float], b: Iterable[float]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _hex(rgba: Iterable[float]) -> str:
    from matplotlib.colors import to_hex

    return to_hex(tuple(rgba)[:3])


# --- what a figure holds -----------------------------------------------------------------------


def _describe(fig: Figure, ax: Axes) -> str:
    index = fig.axes.index(ax) + 1
    name = ax.get_title() or ax.get_ylabel() or ax.get_label()
    return f"axes {index}" + (f" ({name!r})" if name and not name.startswith("<") else "")


def _axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if ax.get_visible()]


def _in_view(axis: Axis, locs: Any) -> Any:
    """A mask of the tick locations ``locs`` that lie in ``axis``'s view (in the axis's scale)."""
    import numpy as np

    scale = axis.get_transform()
    with np.errstate(all="ignore"):
        low, high = sorted(scale.transform(np.asarray(axis.get_view_interval(), dtype=float)))
        at = scale.transform(np.asarray(locs, dtype=float).reshape(-1))
    tol = (high - low) * 1e-9
    return np.isfinite(at) & (at >= low - tol) & (at <= high + tol)


def _shown_ticklabels(axis: Axis, cache: dict[int, list[Any]] | None = None) -> list[Any]:
    """The tick labels ``axis`` draws: visible, not empty, at ticks inside the view.

    ``cache`` (one dict per lint of a figure) keeps each axis's answer: finding ticks is most of
    the lint's cost.
    """
    if cache is not None and id(axis) in cache:
        return cache[id(axis)]
    if not axis.get_visible():
        return []
    shown = []
    for which in ("major", "minor"):
        axis.get_ticklabels(which=which)  # sets the labels' text for the current view
        locs = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
        ticks = (
            axis.get_major_ticks(len(locs)) if which == "major" else axis.get_minor_ticks(len(locs))
        )
        for inside, tick in zip(_in_view(axis, locs), ticks, strict=True):
            if inside:
                shown.extend(
                    t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text()
                )
    return shown


def _visible(artist: Any) -> bool:
    alpha = artist.get_alpha()
    return bool(artist.get_visible()) and (alpha is None or alpha > 0)


def _is_mapped(artist: Any) -> bool:
    """Whether ``artist`` takes its colours from a colormap."""
    get_array = getattr(artist, "get_array", None)
    if get_array is None or getattr(artist, "get_cmap", None) is None:
        return False
    array = get_array()
    return array is not None and getattr(array, "ndim", 2) <= 2


def _points_inside(points: Any, bbox: Bbox) -> bool:
    import numpy as np

    points = np.asarray(points, dtype=float).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    tol = OVERFLOW_PX
    inside = (
        (points[:, 0] >= bbox.x0 - tol)
        & (points[:, 0] <= bbox.x1 + tol)
        & (points[:, 1] >= bbox.y0 - tol)
        & (points[:, 1] <= bbox.y1 + tol)
    )
    return bool(inside.any())


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return a.x0 <= b.x1 and a.x1 >= b.x0 and a.y0 <= b.y1 and a.y1 >= b.y0


def _has_data_in_view(artist: Any, ax: Axes) -> bool:
    """Whether ``artist`` (a line, collection, patch or container) draws anything inside ``ax``."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.container import Container
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.path import Path as MplPath

    bbox = ax.bbox
    if isinstance(artist, Container):
        return any(_has_data_in_view(a, ax) for a in artist.get_children() if a is not None)
    if not _visible(artist):
        return False
    if isinstance(artist, Line2D):
        points = artist.get_transform().transform(artist.get_xydata())
        points = points[np.isfinite(points).all(axis=1)]
        if len(points) == 0:
            return False
        if artist.get_linestyle() in ("None", "") or len(points) == 1:
            return _points_inside(points, bbox)
        grown = bbox.expanded(1 + 2 * OVERFLOW_PX / max(bbox.width, 1), 1)
        return _points_inside(points, bbox) or MplPath(points).intersects_bbox(grown, filled=False)
    if isinstance(artist, Collection):
        offsets = artist.get_offsets()
        paths = artist.get_paths()
        if len(offsets) and not paths or type(artist).__name__ == "PathCollection":
            return _points_inside(artist.get_offset_transform().transform(offsets), bbox)
        transform = artist.get_transform()
        return any(_overlaps(p.get_extents(transform), bbox) for p in paths if len(p.vertices))
    if isinstance(artist, Patch):
        return _overlaps(artist.get_window_extent(), bbox)
    return True  # an artist of another kind: not judged


# --- the rules ---------------------------------------------------------------------------------


def check_axis_labels(fig: Figure, cache: dict[int, list[Any]] | None = None) -> list[Violation]:
    """``[axis-label]``: an axis that shows tick labels has a label."""
    out = []
    sup = {
        "x": getattr(fig, "_supxlabel", None) is not None,
        "y": getattr(fig, "_supylabel", None) is not None,
    }
    for ax in _axes(fig):
        if not ax.axison:
            continue
        for name, axis, shared in (
            ("x", ax.xaxis, ax.get_shared_x_axes()),
            ("y", ax.yaxis, ax.get_shared_y_axes()),
        ):
            if axis.get_label_text().strip() or sup[name] or not _shown_ticklabels(axis, cache):
                continue
            siblings = [s for s in shared.get_siblings(ax) if s is not ax]
            if any(getattr(s, f"{name}axis").get_label_text().strip() for s in siblings):
                continue
            out.append(Violation("axis-label", _describe(fig, ax), f"the {name} axis has no label"))
    return out


def _series_key(artist: Any) -> tuple[Any, ...] | None:
    import numpy as np
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    if isinstance(artist, Line2D):
        marker = artist.get_marker()
        marker = None if marker in (None, "None", "", " ", "none") else str(marker)
        pattern = getattr(artist, "_unscaled_dash_pattern", None)
        if pattern is None:
            pattern = artist.get_linestyle()
        else:
            offset, dashes = pattern
            pattern = (round(float(offset), 3), tuple(round(float(d), 3) for d in dashes or ()))
        if artist.get_linestyle() in ("None", ""):
            pattern = None
        return ("line", _hex(_rgba(artist.get_color())), marker, pattern)
    if isinstance(artist, PathCollection) and not _is_mapped(artist):
        faces = tuple(sorted({_hex(c) for c in artist.get_facecolor()}))
        paths = tuple(np.round(p.vertices, 3).tobytes() for p in artist.get_paths())
        return ("markers", faces, paths)
    return None


def _rgba(colour: Any, alpha: float | None = None) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


def check_series_styles(fig: Figure) -> list[Violation]:
    """``[series-style]``: labelled series of one axes differ in colour, marker or line style."""
    out = []
    for ax in _axes(fig):
        seen: dict[tuple[Any, ...], str] = {}
        for artist in [*ax.lines, *ax.collections]:
            label = str(artist.get_label())
            if label.startswith("_") or not _visible(artist):
                continue
            key = _series_key(artist)
            if key is None:
                continue
            if key in seen:
                out.append(
                    Violation(
                        "series-style",
                        _describe(fig, ax),
                        f"series {seen[key]!r} and {label!r} have the same colour, marker and "
                        "line style",
                    )
                )
            else:
                seen[key] = label
    return out


def _legends(fig: Figure) -> Iterator[tuple[Any, list[Axes], str]]:
    for ax in _axes(fig):
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            yield legend, [ax], _describe(fig, ax)
    for i, legend in enumerate(fig.legends, 1):
        if legend.get_visible():
            yield legend, _axes(fig), f"figure legend {i}"


def check_legend_entries(fig: Figure) -> list[Violation]:
    """``[legend-visible]``: each legend entry's artist draws data inside its axes' view.

    An entry is matched by its label to the artists of the legend's axes (of every axes for a
    figure legend); an entry with no such artist (a proxy drawn only for the legend) is skipped.
    """
    out = []
    for legend, axes, where in _legends(fig):
        artists: dict[str, list[tuple[Any, Axes]]] = {}
        for ax in axes:
            handles, labels = ax.get_legend_handles_labels()
            for handle, label in zip(handles, labels, strict=True):
                artists.setdefault(label, []).append((handle, ax))
        for text in legend.get_texts():
            label = text.get_text()
            if label not in artists:
                continue
            if not any(_has_data_in_view(artist, ax) for artist, ax in artists[label]):
                out.append(
                    Violation(
                        "legend-visible",
                        where,
                        f"legend entry {label!r} has no visible data inside the axes limits",
                    )
                )
    return out


def check_font_sizes(fig: Figure, cache: dict[int, list[Any]] | None = None) -> list[Violation]:
    """``[font-size]``: legend text and tick labels are at least 8 pt."""
    out = []
    for legend, _, where in _legends(fig):
        texts = [*legend.get_texts(), legend.get_title()]
        sizes = [t.get_fontsize() for t in texts if t.get_text()]
        if sizes and min(sizes) < MIN_FONT_PT:
            out.append(
                Violation("font-size", where, f"legend text of {min(sizes):.3g} pt (minimum 8 pt)")
            )
    for ax in _axes(fig):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            sizes = [t.get_fontsize() for t in _shown_ticklabels(axis, cache)]
            if sizes and min(sizes) < MIN_FONT_PT:
                out.append(
                    Violation(
                        "font-size",
                        _describe(fig, ax),
                        f"{name} tick labels of {min(sizes):.3g} pt (minimum 8 pt)",
                    )
                )
    return out


def _colours_of(artist: Any) -> Iterator[tuple[str, tuple[float, float, float, float], bool]]:
    """(what, rgba, may_be_any_colour) for each colour ``artist`` draws with."""
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, Line2D):
        yield "line", _rgba(artist.get_color(), artist.get_alpha()), False
        if artist.get_marker() not in (None, "None", "", " ", "none"):
            for what, colour in (
                ("marker face", artist.get_markerfacecolor()),
                ("marker edge", artist.get_markeredgecolor()),
            ):
                if not (isinstance(colour, str) and colour.lower() == "none"):
                    yield what, _rgba(colour, artist.get_alpha()), False
        return
    if isinstance(artist, Patch):
        face = artist.get_facecolor() if artist.get_fill() else (0.0, 0.0, 0.0, 0.0)
        yield "fill", tuple(face), face[3] < 1
        if artist.get_linewidth() > 0:
            edge = artist.get_edgecolor()
            yield "edge", tuple(edge), edge[3] < 1
        return
    is_fill = isinstance(artist, PolyCollection)
    is_line = isinstance(artist, LineCollection)
    if not is_line:
        for rgba in artist.get_facecolor():
            yield "fill" if is_fill else "marker face", tuple(rgba), is_fill and rgba[3] < 1
    widths = artist.get_linewidth()
    if len(widths) and max(widths) > 0:
        for rgba in artist.get_edgecolor():
            yield "line" if is_line else "edge", tuple(rgba), is_fill and rgba[3] < 1


def check_colours(fig: Figure) -> list[Violation]:
    """``[colour]``: the palette or a neutral; fills with alpha below 1 may use any colour."""
    palette = _palette()
    out = []
    for ax in _axes(fig):
        bad: dict[str, str] = {}
        for artist in [*ax.lines, *ax.collections, *ax.patches]:
            if not _visible(artist) or _is_mapped(artist):
                continue
            for what, rgba, any_colour in _colours_of(artist):
                if rgba[3] == 0 or any_colour or _is_neutral(rgba) or _in_palette(rgba, palette):
                    continue
                label = str(artist.get_label())
                bad.setdefault(_hex(rgba), f"{what} of {label!r}" if label[:1] != "_" else what)
        for text in _texts_of_axes(ax):
            rgba = _rgba(text.get_color())
            if not (_is_neutral(rgba) or _in_palette(rgba, palette)):
                bad.setdefault(_hex(rgba), f"text {text.get_text()[:20]!r}")
        for colour, what in bad.items():
            out.append(
                Violation(
                    "colour",
                    _describe(fig, ax),
                    f"{what} is {colour}, not from helpers.style.PALETTE or a grey",
                )
            )
    return out


def _texts_of_axes(ax: Axes) -> list[Any]:
    return [t for t in ax.texts if t.get_visible() and t.get_text()]


def check_colormaps(fig: Figure) -> list[Violation]:
    """``[colormap]``: an allowed colormap; mapped markers and lines readable at both ends."""
    import numpy as np
    from matplotlib.collections import LineCollection, PathCollection

    out = []
    for ax in _axes(fig):
        background = _rgba(ax.get_facecolor())
        for artist in [*ax.images, *ax.collections]:
            if not _visible(artist) or not _is_mapped(artist):
                continue
            cmap = artist.get_cmap()
            if cmap.name not in ALLOWED_CMAPS:
                out.append(
                    Violation(
                        "colormap",
                        _describe(fig, ax),
                        f"colormap {cmap.name!r} is not one of viridis, cividis, plasma, inferno, "
                        "magma (or their _r)",
                    )
                )
                continue
            on_background = isinstance(artist, PathCollection | LineCollection) or (
                type(artist).__name__ == "ContourSet" and not getattr(artist, "filled", True)
            )
            if not on_background:
                continue
            values = np.asarray(artist.get_array(), dtype=float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            edges = [c for c in artist.get_edgecolor() if c[3] == 1]
            widths = artist.get_linewidth()
            edged = isinstance(artist, PathCollection) and len(widths) and max(widths) > 0
            for end in (values.min(), values.max()):
                rgba = cmap(artist.norm(end))
                if contrast(rgba, background) >= MIN_CONTRAST:
                    continue
                if edged and edges and all(contrast(e, background) >= MIN_CONTRAST for e in edges):
                    continue
                out.append(
                    Violation(
                        "colormap",
                        _describe(fig, ax),
                        f"the colour {_hex(rgba)} for value {end:.3g} has contrast "
                        f"{contrast(rgba, background):.2f}:1 with the background (needs "
                        f"{MIN_CONTRAST:g}:1): limit the colour range (vmin/vmax) or draw edges",
                    )
                )
    return out


def _axis_data(ax: Axes, name: str) -> list[Any]:
    """The data on axis ``name`` of the lines and scatter points of ``ax`` drawn in data units."""
    import numpy as np
    from matplotlib.collections import PathCollection

    col = 0 if name == "x" else 1
    data = []
    for line in ax.lines:
        if _visible(line) and line.get_transform().contains_branch_seperately(ax.transData)[col]:
            data.append(np.asarray(line.get_xydata(), dtype=float)[:, col])
    for coll in ax.collections:
        if not (isinstance(coll, PathCollection) and _visible(coll)):
            continue
        if coll.get_offset_transform().contains_branch_seperately(ax.transData)[col]:
            data.append(np.asarray(coll.get_offsets(), dtype=float).reshape(-1, 2)[:, col])
    return data


def check_integer_ticks(fig: Figure, cache: dict[int, list[Any]] | None = None) -> list[Violation]:
    """``[integer-ticks]``: an axis whose data are all integers (>= 2 values) has integer ticks."""
    import numpy as np

    out = []
    for ax in _axes(fig):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            data = _axis_data(ax, name)
            if not data or not _shown_ticklabels(axis, cache):
                continue
            values = np.concatenate(data)
            values = values[np.isfinite(values)]
            if values.size == 0 or not np.all(values == np.round(values)):
                continue
            if np.unique(values).size < 2:
                continue
            locs = axis.get_majorticklocs()
            ticks = [t for t, inside in zip(locs, _in_view(axis, locs), strict=True) if inside]
            fractional = [t for t in ticks if abs(t - round(t)) > 1e-9 * max(1.0, abs(t))]
            if fractional:
                out.append(
                    Violation(
                        "integer-ticks",
                        _describe(fig, ax),
                        f"the {name} data are integers ({values.min():g} to {values.max():g}) "
                        f"but it has ticks at {', '.join(f'{t:g}' for t in fractional[:3])}: "
                        f'use helpers.integer_ticks(ax, "{name}")',
                    )
                )
    return out


def _figure_texts(fig: Figure, cache: dict[int, list[Any]] | None = None) -> list[Any]:
    """Every text the figure draws (tick labels only at ticks inside the view)."""
    from matplotlib.axis import Tick
    from matplotlib.text import Text

    texts = []
    stack = [fig]
    while stack:  # every artist but the ticks, whose labels are taken from the view below
        artist = stack.pop()
        if isinstance(artist, Text) and artist.get_visible() and artist.get_text():
            texts.append(artist)
        stack.extend(a for a in artist.get_children() if not isinstance(a, Tick))
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            texts.extend(_shown_ticklabels(ax.xaxis, cache) + _shown_ticklabels(ax.yaxis, cache))
    return texts


def check_text_overflow(
    fig: Figure, renderer: RendererBase, cache: dict[int, list[Any]] | None = None
) -> list[Violation]:
    """``[text-overflow]``: no text reaches more than a pixel outside the figure."""
    out = []
    width, height = fig.bbox.width, fig.bbox.height
    for text in _figure_texts(fig, cache):
        if text.get_clip_on() and (text.get_clip_box() or text.get_clip_path()):
            continue
        box = text.get_window_extent(renderer)
        over = max(-box.x0, -box.y0, box.x1 - width, box.y1 - height)
        if over > OVERFLOW_PX:
            out.append(
                Violation(
                    "text-overflow",
                    "figure",
                    f"text {text.get_text()[:40]!r} reaches {over:.0f} px outside the figure",
                )
            )
    return out


def lint_figure(fig: Figure, draw: bool = True) -> list[Violation]:
    """Every violation of the course's figure rules in ``fig``.

    Args:
        fig: a matplotlib figure.
        draw: lay ``fig`` out and draw it (without rendering) first, so that ticks and text
            positions are final; pass False only right after the figure was drawn (the kernel
            hook lints a figure just after IPython drew it for display).

    Returns:
        The violations, rule by rule in the order of :data:`RULES`; empty if ``fig`` passes.

    Raises:
        TypeError: if ``fig`` is not a matplotlib Figure.
    """
    from matplotlib.figure import Figure as _Figure

    if not isinstance(fig, _Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if draw:
        fig.draw_without_rendering()
    # The renderer of the last draw, if its dpi is the figure's: text sizes do not depend on the
    # canvas size, and its caches hold every text's layout (mathtext is slow to lay out again).
    renderer = getattr(fig.canvas, "renderer", None)
    if draw or renderer is None or getattr(renderer, "dpi", None) != fig.dpi:
        get_renderer = getattr(fig.canvas, "get_renderer", None)
        renderer = get_renderer() if get_renderer is not None else fig._get_renderer()
    cache: dict[int, list[Any]] = {}
    return [
        *check_axis_labels(fig, cache),
        *check_series_styles(fig),
        *check_legend_entries(fig),
        *check_font_sizes(fig, cache),
        *check_colours(fig),
        *check_colormaps(fig),
        *check_integer_ticks(fig, cache),
        *check_text_overflow(fig, renderer, cache),
    ]


# --- the kernel hook ---------------------------------------------------------------------------


class _Hook:
    """Lints each figure IPython displays; fails the cell that showed a figure with violations."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.format = shell.display_formatter.format
        self.figures: list[Any] = []  # shown in this cell (kept so that ids stay unique)
        self.problems: list[str] = []
        self.linted = 0  # figures linted since the kernel started, and the seconds it took
        self.seconds = 0.0

    def display_format(self, obj: Any, include: Any = None, exclude: Any = None) -> Any:
        result = self.format(obj, include=include, exclude=exclude)
        figure_module = sys.modules.get("matplotlib.figure")
        if figure_module is not None and isinstance(obj, figure_module.Figure):
            if not any(f is obj for f in self.figures):
                self.figures.append(obj)
                start = time.perf_counter()
                n = len(self.figures)
                try:
                    found = [str(v) for v in lint_figure(obj, draw=False)]
                except Exception as error:  # a bug of the lint's: say so, do not break display
                    found = [f"the lint itself failed ({type(error).__name__}: {error})"]
                self.seconds += time.perf_counter() - start
                self.linted += 1
                self.problems.extend(f"figure {n} of this cell: {v}" for v in found)
        return result

    def pre_run_cell(self, info: Any = None) -> None:
        self.figures.clear()
        self.problems.clear()

    def post_run_cell(self, result: Any) -> None:
        self.figures.clear()
        if not self.problems:
            return
        lines = "\n".join(f"  {p}" for p in self.problems)
        self.problems.clear()
        error = FigureLintError(
            f"the figure breaks the course's figure rules (tools/figure_lint.py):\n{lines}"
        )
        self.shell.showtraceback((FigureLintError, error, None), exception_only=True)
        if result is not None and result.error_in_exec is None:
            result.error_in_exec = error  # the execute reply says "error": nbclient stops


def load_ipython_extension(shell: Any) -> None:
    """Install the figure lint into an IPython shell (``%load_ext`` or the startup file)."""
    if getattr(shell, "_course_figure_lint", None) is not None:
        return
    hook = _Hook(shell)
    shell.display_formatter.format = hook.display_format
    shell.events.register("pre_run_cell", hook.pre_run_cell)
    shell.events.register("post_run_cell", hook.post_run_cell)
    shell._course_figure_lint = hook


# --- running notebooks -------------------------------------------------------------------------


def kernel_env() -> dict[str, str]:
    """The environment for a kernel that loads the figure lint (``IPYTHONDIR``)."""
    return {**os.environ, "IPYTHONDIR": str(IPYTHON_DIR)}


def notebook_violations(nb: Any) -> list[tuple[int, str]]:
    """(cell index, message) for each figure lint failure stored in an executed notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error" and output.get("ename") == ERROR_NAME:
                found.append((index, str(output.get("evalue", ""))))
    return found


_COST_CELL = "_h = get_ipython()._course_figure_lint\nprint(f'{_h.linted} {_h.seconds:.3f}')"


def lint_notebook(path: Path, timeout: int = 120) -> tuple[list[str], dict[str, float]]:
    """Execute the notebook at ``path`` in a fresh kernel that lints every figure it shows.

    Returns:
        One line per violation (``path, cell N (nbval Cell M: its first line): [rule] ...``), N
        counting every cell from 0 and M the code cells as nbval does, and one per
        other cell error, and the cost: ``seconds`` (the whole run), ``figures`` (how many were
        linted) and ``lint_seconds`` (the time the lint took inside the kernel).
    """
    import nbformat

    from tools.run_notebooks import client_for

    nb = nbformat.read(path, as_version=4)
    n_cells = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(_COST_CELL))
    failed: list[int] = []
    client = client_for(
        nb,
        path,
        timeout,
        allow_errors=True,  # run every cell, to list every violation
        on_cell_error=lambda cell, cell_index, execute_reply: failed.append(cell_index),
    )
    # The kernel inherits this process's environment: the lint's IPython directory, and the
    # thread count and hash seed of `make outputs` unless they are set.
    env = {
        "IPYTHONDIR": str(IPYTHON_DIR),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    cost = {"seconds": time.perf_counter() - start, "figures": 0.0, "lint_seconds": 0.0}
    last = nb.cells.pop()
    text = "".join(o.get("text", "") for o in last.outputs if o.get("output_type") == "stream")
    if text.split():
        cost["figures"], cost["lint_seconds"] = (float(x) for x in text.split()[:2])
    lines = []
    code_index = -1
    for index, cell in enumerate(nb.cells[:n_cells]):
        if cell.cell_type != "code":
            continue
        code_index += 1  # nbval's "Cell N" counts code cells only
        first = cell.source.strip().splitlines()[0][:40] if cell.source.strip() else ""
        where = f"{path}, cell {index} (nbval Cell {code_index}: {first!r})"
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == ERROR_NAME:
                for line in str(output.get("evalue", "")).splitlines()[1:]:
                    lines.append(f"{where}: {line.strip()}")
            else:
                lines.append(f"{where}: {output.get('ename')}: {output.get('evalue')}")
        if index in failed and not any(o.get("output_type") == "error" for o in cell.outputs):
            lines.append(f"{where}: the cell failed without an error output")
    return lines, cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.figure_lint",
        description="Run notebooks in fresh kernels and list every figure that breaks the "
        "course's figure rules (cells are numbered from 0, markdown included).",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks:
        lines, cost = lint_notebook(path, args.timeout)
        for line in lines:
            print(line, flush=True)
        print(
            f"{path}: {len(lines)} problem(s); ran in {cost['seconds']:.1f} s, of which "
            f"{cost['lint_seconds']:.2f} s linting {cost['figures']:.0f} figure(s)",
            file=sys.stderr,
            flush=True,
        )
        failed += bool(lines)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
