"""Does every control of a notebook's demos change what the demo shows? Run in the kernel.

``check_controls()`` runs in the kernel of a notebook that has just run top to bottom (it uses
only ipywidgets and IPython, so it works under ipywidgets 7 and 8 alike). It finds each control
of an ``interactive`` (``interact``) and each control with an observer from notebook code, sets it
to two other values and records what the update shows: the last display it published (a
figure's PNG, text) and the value of every other widget (labels, HTML). A control whose two moves
show the same thing is reported. Each control is set back to its starting value after.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

import ipywidgets
from IPython import get_ipython

NUMERIC = (ipywidgets.IntSlider, ipywidgets.FloatSlider, ipywidgets.FloatLogSlider)
SELECTION = (
    ipywidgets.SelectionSlider,
    ipywidgets.Dropdown,
    ipywidgets.ToggleButtons,
    ipywidgets.RadioButtons,
    ipywidgets.Select,
)
BOOLEAN = (ipywidgets.Checkbox, ipywidgets.ToggleButton)
CONTROLS = NUMERIC + SELECTION + BOOLEAN


def live_widgets() -> list:
    """Every widget alive in this kernel (ipywidgets 8 keeps them in a module dict, 7 on the
    Widget class)."""
    try:
        from ipywidgets.widgets.widget import _instances
    except ImportError:
        _instances = ipywidgets.Widget.widgets
    return list(_instances.values())


def observers(widget) -> list:
    """The functions of notebook code that observe ``widget``'s value (not the widget's own
    bookkeeping, nor traitlets' links between widgets)."""
    found = []
    for trait in ("value", "index"):
        for handlers in widget._trait_notifiers.get(trait, {}).values():
            for handler in handlers:
                own = getattr(handler, "__self__", None) is widget
                if not own and not type(handler).__module__.startswith("traitlets"):
                    found.append(handler)
    return found


def has_observer(widget) -> bool:
    """Whether notebook code observes ``widget``'s value."""
    return bool(observers(widget))


def controls_of(widgets: list) -> list:
    found = []
    for widget in widgets:
        if isinstance(widget, ipywidgets.interactive):
            found += [c for c in widget.kwargs_widgets if isinstance(c, CONTROLS)]
    for widget in widgets:
        if isinstance(widget, CONTROLS) and widget not in found and has_observer(widget):
            found.append(widget)
    return found


def two_moves(control) -> list[tuple[str, object]]:
    """Two (trait, value) settings that differ from the control's value and from each other."""
    if isinstance(control, SELECTION):
        others = [i for i in range(len(control.options)) if i != control.index]
        return [("index", i) for i in dict.fromkeys(others[:1] + others[-1:])]
    if isinstance(control, BOOLEAN):
        return [("value", not control.value), ("value", control.value)]
    low, high = control.min, control.max
    points = [low + f * (high - low) for f in (0.2, 0.8)]
    if isinstance(control, ipywidgets.FloatLogSlider):
        points = [control.base**p for p in points]
    if isinstance(control, ipywidgets.IntSlider):
        points = [int(round(p)) for p in points]
    return [("value", p) for p in points]


def check_controls() -> dict:
    """Move every control twice; return ``{"controls": n, "problems": [...]}``."""
    widgets = live_widgets()
    controls = controls_of(widgets)
    shell = get_ipython()
    published: list[dict] = []
    publish = shell.display_pub.publish

    def record(data, *args, **kwargs):
        kept = ("image/png", "text/plain", "text/html")
        published.append({key: value for key, value in data.items() if key in kept})
        return publish(data, *args, **kwargs)

    def shown() -> str:
        state = [published[-1] if published else None]
        state += [getattr(w, "value", None) for w in widgets if not isinstance(w, CONTROLS)]
        return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()

    problems = []
    shell.display_pub.publish = record
    try:
        for control in controls:
            trait = "index" if isinstance(control, SELECTION) else "value"
            start = getattr(control, trait)
            seen = []
            for name, value in two_moves(control):
                setattr(control, name, value)
                for widget in widgets:  # an interact_manual demo redraws on its button
                    manual = getattr(widget, "manual", False)
                    if isinstance(widget, ipywidgets.interactive) and manual:
                        widget.update()
                seen.append(shown())
            if len(set(seen)) < 2:
                problems.append(
                    f"{type(control).__name__}({control.description!r}): moved to two other "
                    "values, what the demo shows did not change"
                )
            setattr(control, trait, start)
    finally:
        shell.display_pub.publish = publish
    return {"controls": len(controls), "problems": problems}


def sweep_values(control, most: int = 12) -> list[tuple[str, object, str]]:
    """Up to ``most`` (trait, value, label) settings spanning the control's range, in order."""
    if isinstance(control, SELECTION):
        labels = [str(label) for label in control._options_labels]
        picks = _spread(len(labels), most)
        return [("index", i, labels[i]) for i in picks]
    if isinstance(control, BOOLEAN):
        return [("value", False, "off"), ("value", True, "on")]
    if isinstance(control, ipywidgets.FloatLogSlider):
        steps = round((control.max - control.min) / control.step) + 1
        exps = [control.min + i * control.step for i in _spread(steps, most)]
        return [("value", control.base**e, f"{control.base**e:.3g}") for e in exps]
    steps = round((control.max - control.min) / control.step) + 1
    values = [control.min + i * control.step for i in _spread(steps, most)]
    if isinstance(control, ipywidgets.IntSlider):
        return [("value", int(v), str(int(v))) for v in values]
    return [("value", round(v, 10), f"{v:.4g}") for v in values]


def _spread(count: int, most: int) -> list[int]:
    """At most ``most`` indices from 0 to count - 1, evenly spread, both ends included."""
    if count <= most:
        return list(range(count))
    return sorted({round(k * (count - 1) / (most - 1)) for k in range(most)})


def frames(model_id: str, most: int = 12) -> list[dict]:
    """The frames of the demo displayed as widget ``model_id``: for each of its controls, the
    figure (PNG, base64) shown at each of up to ``most`` values, the other controls left at their
    starting values. Returns ``[{"label", "values", "frames", "start"}]``, one per control."""
    by_id = {w.model_id: w for w in live_widgets()}
    root = by_id[model_id]
    inside, stack = [], [root]
    while stack:
        widget = stack.pop()
        inside.append(widget)
        stack += list(getattr(widget, "children", ()))
    controls = [c for c in controls_of(live_widgets()) if c in inside]
    shell = get_ipython()
    publish = shell.display_pub.publish
    images: list[str] = []

    def record(data, *args, **kwargs):
        if "image/png" in data:
            images.append(data["image/png"])
        return publish(data, *args, **kwargs)

    found = []
    shell.display_pub.publish = record
    try:
        for control in controls:
            trait = "index" if isinstance(control, SELECTION) else "value"
            start = getattr(control, trait)
            settings = sweep_values(control, most)
            shots, labels = [], []
            for name, value, label in settings:
                if getattr(control, name) == value:  # setting it again would not redraw
                    with no_images(shell):
                        setattr(control, name, next(v for _, v, _ in settings if v != value))
                before = len(images)
                setattr(control, name, value)
                shots.append(images[-1] if len(images) > before else None)
                labels.append(label)
            with no_images(shell):
                setattr(control, trait, start)
            values = [value for _, value, _ in settings]
            start_index = min(range(len(values)), key=lambda i: _distance(values[i], start))
            found.append(
                {
                    "label": control.description or type(control).__name__,
                    "values": labels,
                    "frames": shots,
                    "start": start_index,
                }
            )
    finally:
        shell.display_pub.publish = publish
    return found


@contextmanager
def no_images(shell):
    """While inside: displays draw no PNG (a figure shows as its text), for moves whose picture
    is not kept; drawing one costs about as much as a frame."""
    png = shell.display_formatter.formatters["image/png"]
    enabled, png.enabled = png.enabled, False
    try:
        yield
    finally:
        png.enabled = enabled


def _distance(a, b) -> float:
    try:
        return abs(float(a) - float(b))
    except (TypeError, ValueError):
        return 0.0 if a == b else 1.0
