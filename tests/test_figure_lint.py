"""The figure lint (tools/figure_lint.py): each rule fails on a figure that breaks it and passes
one that keeps it; the kernel hook fails the cell that shows a bad figure (so nbval fails it and
`make outputs` stores nothing); the command line names notebook, cell and rule."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.style
import nbformat
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers.style import PALETTE, STYLE_FILE, integer_ticks
from tools import figure_lint as fl


@pytest.fixture(autouse=True)
def course_style():
    """Every figure of these tests is drawn in the course style, as the notebooks' are."""
    with matplotlib.style.context(STYLE_FILE):
        yield


def new_axes(nrows: int = 1, **kwargs) -> tuple[Figure, object]:
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, **kwargs)


def labelled(ax, x: str = "x", y: str = "y"):
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return ax


def broken(fig: Figure, rule: str) -> list[str]:
    """The messages of ``rule``'s violations in ``fig`` (every rule is linted)."""
    return [v.message for v in fl.lint_figure(fig) if v.rule == rule]


X = np.linspace(0.0, 1.0, 11)  # not integer-valued: no integer-ticks rule in play


def clean_figure() -> Figure:
    fig, ax = new_axes()
    ax.plot(X, X**2, label="square")
    ax.plot(X, X, label="identity")
    ax.axhline(0.5, color="grey", linestyle="--")
    ax.fill_between(X, X**2, X, color="#D62728", alpha=0.2)  # any colour, with alpha
    labelled(ax, "input", "output")
    ax.legend()
    return fig


def test_a_figure_in_the_course_style_passes_every_rule():
    assert fl.lint_figure(clean_figure()) == []


def test_lint_figure_takes_only_a_figure():
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        fl.lint_figure("not a figure")


def test_every_rule_has_a_check_and_a_name():
    assert set(fl.RULES) == {
        "axis-label",
        "series-style",
        "legend-visible",
        "font-size",
        "colour",
        "colormap",
        "integer-ticks",
        "text-overflow",
    }
    assert str(fl.Violation("colour", "axes 1", "red")) == "[colour] axes 1: red"


# --- axis-label ---


def test_axis_label_fails_an_unlabelled_axis():
    fig, ax = new_axes()
    ax.plot(X, X)
    ax.set_xlabel("x")
    assert broken(fig, "axis-label") == ["the y axis has no label"]


def test_axis_label_accepts_shared_axes_a_figure_label_and_axes_without_ticks():
    fig, axes = new_axes(2, sharex=True)
    for ax in axes:
        ax.plot(X, X)
    axes[1].set_xlabel("x")  # the upper axes shares it
    fig.supylabel("y")
    assert broken(fig, "axis-label") == []
    fig, ax = new_axes()
    ax.plot(X, X)
    ax.set_axis_off()
    assert broken(fig, "axis-label") == []


# --- series-style ---


def test_series_style_fails_two_series_drawn_alike():
    fig, ax = new_axes()
    ax.plot(X, X, color=PALETTE[0], linestyle="-", label="train")
    ax.plot(X, X**2, color=PALETTE[0], linestyle="-", label="valid")
    labelled(ax)
    assert broken(fig, "series-style") == [
        "series 'train' and 'valid' have the same colour, marker and line style"
    ]


def test_series_style_accepts_the_cycle_a_marker_and_unlabelled_lines():
    fig, ax = new_axes()
    ax.plot(X, X, label="train")
    ax.plot(X, X**2, label="valid")  # the cycle: another colour and dash pattern
    ax.plot(X, X**3, color=PALETTE[0], linestyle="-", marker="o", label="test")
    for k in range(3):  # an ensemble of unlabelled samples may share one style
        ax.plot(X, X + k, color="grey", linewidth=0.5)
    labelled(ax)
    assert broken(fig, "series-style") == []


# --- legend-visible ---


def test_legend_visible_fails_an_entry_outside_the_view_or_hidden():
    fig, ax = new_axes()
    ax.plot(X, X, label="shown")
    ax.plot(X + 5, X, label="off to the right")
    (hidden,) = ax.plot(X, X**2, label="hidden")
    hidden.set_visible(False)
    ax.set_xlim(0, 1)
    ax.legend()
    labelled(ax)
    assert broken(fig, "legend-visible") == [
        "legend entry 'off to the right' has no visible data inside the axes limits",
        "legend entry 'hidden' has no visible data inside the axes limits",
    ]


def test_legend_visible_accepts_lines_crossing_the_view_bars_and_reference_lines():
    fig, ax = new_axes()
    ax.plot([-1.0, 2.0], [0.5, 0.5], label="crosses the view, no vertex inside")
    ax.bar([0.2, 0.6], [0.3, 0.4], width=0.1, label="bars")
    ax.axhline(0.8, color="grey", label="reference")
    ax.scatter([0.5], [0.2], label="point")
    ax.set_xlim(0, 1)
    ax.legend()
    labelled(ax)
    assert broken(fig, "legend-visible") == []


# --- font-size ---


def test_font_size_fails_small_legend_and_tick_text():
    fig, ax = new_axes()
    ax.plot(X, X, label="a")
    ax.legend(fontsize=6)
    ax.tick_params(axis="x", labelsize=7)
    labelled(ax)
    assert broken(fig, "font-size") == [
        "legend text of 6 pt (minimum 8 pt)",
        "x tick labels of 7 pt (minimum 8 pt)",
    ]


def test_font_size_accepts_8_pt():
    fig, ax = new_axes()
    ax.plot(X, X, label="a")
    ax.legend(fontsize=8)
    ax.tick_params(labelsize=8)
    labelled(ax)
    assert broken(fig, "font-size") == []


# --- colour ---


def test_colour_fails_a_colour_outside_the_palette():
    fig, ax = new_axes()
    ax.plot(X, X, color="tab:red", label="red")
    ax.bar([0.5], [0.5], width=0.1, color="tab:green")
    ax.text(0.1, 0.9, "note", color="magenta")
    labelled(ax)
    assert broken(fig, "colour") == [
        "line of 'red' is #d62728, not from helpers.style.PALETTE or a grey",
        "fill is #2ca02c, not from helpers.style.PALETTE or a grey",
        "text 'note' is #ff00ff, not from helpers.style.PALETTE or a grey",
    ]


def test_colour_accepts_the_palette_greys_and_fills_with_alpha():
    fig, ax = new_axes()
    for i, colour in enumerate(PALETTE):
        ax.plot(X, X + i, color=colour, marker="o", markerfacecolor="white")
    ax.axvline(0.5, color="0.6")
    ax.bar([0.5], [0.5], width=0.1, color="tab:green", alpha=0.3)
    ax.text(0.1, 0.9, "note", color=PALETTE[1])
    labelled(ax)
    assert broken(fig, "colour") == []


# --- colormap ---


def test_colormap_fails_a_colormap_not_in_the_list():
    fig, ax = new_axes()
    ax.imshow(np.arange(12.0).reshape(3, 4), cmap="jet")
    labelled(ax)
    assert broken(fig, "colormap") == [
        "colormap 'jet' is not one of viridis, cividis, plasma, inferno, magma (or their _r)"
    ]


def test_colormap_fails_markers_whose_end_colour_fades_into_the_background():
    fig, ax = new_axes()
    ax.scatter(X, X, c=X, cmap="viridis")  # viridis ends in a yellow close to white
    labelled(ax)
    (message,) = broken(fig, "colormap")
    assert message.startswith("the colour #fde725 for value 1 has contrast 1.")


def test_colormap_accepts_images_edged_markers_and_a_limited_range():
    fig, axes = new_axes(3)
    axes[0].imshow(np.arange(12.0).reshape(3, 4), cmap="cividis_r")
    axes[1].scatter(X, X, c=X, cmap="viridis", edgecolors="black", linewidths=0.5)
    axes[2].scatter(X, X, c=X, cmap="viridis", vmin=0.0, vmax=2.0)
    for ax in axes:
        labelled(ax)
    assert broken(fig, "colormap") == []
    assert fl.contrast((1, 1, 1), (0, 0, 0)) == pytest.approx(21.0)


# --- integer-ticks ---


def test_integer_ticks_fails_fractional_ticks_on_counted_data():
    fig, ax = new_axes()
    ax.plot([1, 2, 3], [0.1, 0.5, 0.2])
    labelled(ax, "layer", "gradient norm")
    (message,) = broken(fig, "integer-ticks")
    assert message.startswith("the x data are integers (1 to 3) but it has ticks at 1.25")


def test_integer_ticks_accepts_integer_ticks_real_data_and_one_value():
    fig, axes = new_axes(3)
    axes[0].plot([1, 2, 3], [0.1, 0.5, 0.2])
    integer_ticks(axes[0], "x")
    axes[1].plot([1.0, 1.5, 3.0], [0.1, 0.5, 0.2])  # not integers: any ticks will do
    axes[2].plot([2, 2], [0.1, 0.5])  # one value only
    axes[2].axhline(0.3, color="grey")  # axes coordinates (0 and 1) along x do not count
    for ax in axes:
        labelled(ax)
    assert broken(fig, "integer-ticks") == []


# --- text-overflow ---


def test_text_overflow_fails_text_beyond_the_figure():
    fig, ax = new_axes()
    ax.plot(X, X)
    fig.text(0.8, 0.5, "a note that runs far past the figure's right edge")  # not laid out
    labelled(ax)
    (message,) = broken(fig, "text-overflow")
    assert message.startswith('text "a note that runs far past the figure\'s r" reaches ')


def test_text_overflow_accepts_text_inside_and_clipped_text():
    fig, ax = new_axes()
    ax.plot(X, X)
    ax.text(0.05, 0.9, "a note inside", transform=ax.transAxes)
    ax.text(0.9, 0.5, "clipped to the axes, so never outside", clip_on=True)
    ax.set_title("A title that fits")
    labelled(ax)
    assert broken(fig, "text-overflow") == []


# --- the kernel hook and the command line ---


class FakeShell:
    """The parts of an IPython shell the hook uses."""

    def __init__(self):
        self.display_formatter = SimpleNamespace(format=self.format)
        self.events = SimpleNamespace(register=lambda name, f: self.callbacks.append((name, f)))
        self.callbacks = []
        self.tracebacks = []

    def format(self, obj, include=None, exclude=None):
        if isinstance(obj, Figure):
            obj.draw_without_rendering()  # as IPython's PNG formatter draws it
        return {"text/plain": repr(obj)}, {}

    def showtraceback(self, exc_tuple, exception_only=False):
        self.tracebacks.append(exc_tuple[1])


def test_the_hook_fails_the_cell_and_reports_a_crash_of_the_lint(monkeypatch):
    shell = FakeShell()
    fl.load_ipython_extension(shell)
    fl.load_ipython_extension(shell)  # a second load changes nothing
    assert [name for name, _ in shell.callbacks] == ["pre_run_cell", "post_run_cell"]
    hook = shell._course_figure_lint
    fig, ax = new_axes()
    ax.plot(X, X)
    ax.set_xlabel("x")
    hook.pre_run_cell()
    shell.display_formatter.format(fig)
    shell.display_formatter.format(fig)  # shown twice: linted once
    shell.display_formatter.format("not a figure")
    result = SimpleNamespace(error_in_exec=None)
    hook.post_run_cell(result)
    assert isinstance(result.error_in_exec, fl.FigureLintError)
    assert shell.tracebacks == [result.error_in_exec]
    assert str(result.error_in_exec).splitlines()[1:] == [
        "  figure 1 of this cell: [axis-label] axes 1: the y axis has no label"
    ]
    hook.pre_run_cell()
    monkeypatch.setattr(fl, "lint_figure", lambda fig, draw: 1 / 0)
    shell.display_formatter.format(fig)
    result = SimpleNamespace(error_in_exec=None)
    hook.post_run_cell(result)
    assert str(result.error_in_exec).splitlines()[1:] == [
        "  figure 1 of this cell: the lint itself failed (ZeroDivisionError: division by zero)"
    ]
    hook.pre_run_cell()
    hook.post_run_cell(result := SimpleNamespace(error_in_exec=None))  # no figure: no error
    assert result.error_in_exec is None


def write_notebook(path, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


SETUP = "import matplotlib.pyplot as plt\nfrom helpers import use_course_style\nuse_course_style()"
BAD = "fig, ax = plt.subplots()\nax.plot([0.5, 0.7], [0.1, 0.2])\nax.set_xlabel('x')\n"
GOOD = BAD + "ax.set_ylabel('y')\n"


@pytest.mark.enable_socket  # the kernel talks to nbclient over local sockets
def test_the_hook_fails_each_cell_that_shows_a_bad_figure_however_it_is_shown(tmp_path):
    path = tmp_path / "figures.ipynb"
    write_notebook(
        path,
        [
            SETUP,
            GOOD + "plt.show()",  # 1: passes
            BAD + "plt.show()",  # 2: plt.show()
            BAD,  # 3: the inline backend's flush at the end of the cell
            BAD + "from IPython.display import display\ndisplay(fig)\nplt.close(fig)",  # 4
            BAD + "plt.close(fig)",  # 5: never shown, so not linted
        ],
    )
    lines, cost = fl.lint_notebook(path)
    assert lines == [
        f"{path}, cell {i} (nbval Cell {i}: 'fig, ax = plt.subplots()'): figure 1 of this cell: "
        "[axis-label] axes 1: the y axis has no label"
        for i in (2, 3, 4)
    ]
    assert cost["figures"] == 4  # cells 1 to 4; the lint's own time is measured
    assert 0 < cost["lint_seconds"] < cost["seconds"]


@pytest.mark.enable_socket
def test_a_bad_figure_stops_a_run_before_it_is_stored(tmp_path, monkeypatch):
    """`make outputs` runs notebooks with nbclient, which stops at a cell whose reply is an
    error; the hook makes a bad figure's cell such a cell (as nbval fails it)."""
    path = tmp_path / "figures.ipynb"
    write_notebook(path, [SETUP, BAD + "plt.show()", "print('never run')"])
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("IPYTHONDIR", str(fl.IPYTHON_DIR))
    client = NotebookClient(nb, timeout=60, kernel_name="python3")
    with pytest.raises(CellExecutionError, match=r"\[axis-label\] axes 1: the y axis has no label"):
        client.execute(cwd=str(tmp_path))
    assert nb.cells[2].outputs == []
    assert fl.notebook_violations(nb)[0][0] == 1


def test_the_command_line_exits_1_and_prints_each_violation(tmp_path, monkeypatch, capsys):
    path = tmp_path / "n.ipynb"
    path.write_text("{}")
    reply = ([f"{path}, cell 2 ('x'): figure 1 of this cell: [colour] axes 1: red"], {})
    monkeypatch.setattr(
        fl,
        "lint_notebook",
        lambda p, t: (reply[0], {"seconds": 1, "figures": 1, "lint_seconds": 0}),
    )
    assert fl.main([str(path)]) == 1
    assert capsys.readouterr().out == reply[0][0] + "\n"
    monkeypatch.setattr(
        fl, "lint_notebook", lambda p, t: ([], {"seconds": 1, "figures": 1, "lint_seconds": 0})
    )
    assert fl.main([str(path)]) == 0
