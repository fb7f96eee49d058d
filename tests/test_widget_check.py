"""tools/widget_check.py, which colab-check and the site run in a notebook's kernel: it finds the
demos' controls, moves them, and records what each move shows. Tested in an IPython shell of this
process (the kernel's display machinery without a kernel)."""

import ipywidgets
import pytest
from IPython.display import display

from tools import widget_check


@pytest.fixture
def shell(ipython_shell):
    yield ipython_shell
    for widget in widget_check.live_widgets():
        widget.close()


def shows(text):
    display({"text/plain": text, "image/png": text}, raw=True)


def test_a_control_that_redraws_passes_and_one_that_shows_nothing_is_named(shell):
    drawn = ipywidgets.IntSlider(min=0, max=10, value=5, description="drawn")
    drawn.observe(lambda change: shows(f"n = {change['new']}"), names="value")
    idle = ipywidgets.FloatSlider(min=0.0, max=1.0, value=0.5, description="idle")
    idle.observe(lambda change: None, names="value")
    result = widget_check.check_controls()
    assert result["controls"] == 2
    assert len(result["problems"]) == 1 and "FloatSlider('idle')" in result["problems"][0]
    assert (drawn.value, idle.value) == (5, 0.5), "each control is set back to its start"


def test_an_unobserved_control_is_not_a_demo(shell):
    ipywidgets.IntSlider(description="loose")
    assert widget_check.check_controls()["controls"] == 0


def test_frames_give_one_image_per_value_of_each_control_of_a_demo(shell):
    demo = ipywidgets.interactive(
        lambda k, shape: shows(f"{shape} {k}"),
        k=ipywidgets.IntSlider(min=0, max=3, value=1),
        shape=ipywidgets.Dropdown(options=["sine", "step"]),
    )
    found = widget_check.frames(demo.model_id)
    assert [control["label"] for control in found] == ["k", "shape"]
    k, shape = found
    assert k["values"] == ["0", "1", "2", "3"] and k["start"] == 1
    assert k["frames"] == ["sine 0", "sine 1", "sine 2", "sine 3"]
    assert shape["frames"] == ["sine 1", "step 1"], "the start value's frame is drawn too"


@pytest.mark.parametrize(
    ("control", "count", "ends"),
    [
        (ipywidgets.IntSlider(min=0, max=100, step=1), 12, ("0", "100")),
        (ipywidgets.FloatLogSlider(min=-3, max=0, step=1), 4, ("0.001", "1")),
        (ipywidgets.SelectionSlider(options=["a", "b", "c"]), 3, ("a", "c")),
        (ipywidgets.Checkbox(), 2, ("off", "on")),
    ],
)
def test_sweep_values_span_the_range_with_at_most_most_values(shell, control, count, ends):
    labels = [label for _, _, label in widget_check.sweep_values(control, most=12)]
    assert len(labels) == count and (labels[0], labels[-1]) == ends


def test_frames_draw_no_picture_they_do_not_keep(shell):
    drawn = []

    class Figure:  # stands for a matplotlib figure: its PNG costs a render
        def __init__(self, text):
            self.text = text

        def _repr_png_(self):
            drawn.append(self.text)
            return self.text.encode()

    demo = ipywidgets.interactive(
        lambda k: display(Figure(f"k {k}")), k=ipywidgets.IntSlider(min=0, max=3, value=0)
    )
    drawn.clear()  # the demo's first drawing, at k = 0
    (k,) = widget_check.frames(demo.model_id)
    assert len(k["frames"]) == 4 and all(k["frames"])
    assert drawn == ["k 0", "k 1", "k 2", "k 3"], "the moves away from and back to k = 0 draw none"
    assert demo.kwargs_widgets[0].value == 0
