"""A caption under every figure: the cell after a code cell whose stored outputs include an image
is a markdown cell that starts with ``*Figure:*`` and then says what the reader should see (the
site and screen readers use it as the figure's text alternative). The cell holds the caption only:
one paragraph of at most 100 words, no heading; the lesson goes on in the next cell.

A live widget cell (tag ``nbval-ignore-output``, or outputs that are widget views) needs no
caption of its own: its static fallback figure, drawn in another cell, carries the caption.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

CAPTION = "*Figure:*"
MOST_WORDS = 100
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _is_live_widget(cell: nbformat.NotebookNode) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    views = any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))
    return "nbval-ignore-output" in tags or views


def _shows_image(cell: nbformat.NotebookNode) -> bool:
    return any(key in out.get("data", {}) for out in cell.get("outputs", []) for key in IMAGE_TYPES)


def caption_problems(nb: nbformat.NotebookNode) -> list[str]:
    """One line per figure without a caption, naming the cell (numbered from 0)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not _shows_image(cell) or _is_live_widget(cell):
            continue
        following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        first = cell.source.strip().splitlines()[0][:40] if cell.source.strip() else ""
        where = f"cell {index} ({first!r})"
        if following is None or following.cell_type != "markdown":
            problems.append(f"{where} shows a figure but the next cell is not a markdown caption")
            continue
        text = following.source.strip()
        if not text.startswith(CAPTION):
            problems.append(f"{where}: the markdown after its figure does not start with {CAPTION}")
        elif len(text[len(CAPTION) :].split()) < 3:
            problems.append(f"{where}: the caption says nothing after {CAPTION}")
        elif re.search(r"\n\s*\n", text) or len(text.split()) > MOST_WORDS:
            problems.append(
                f"{where}: the caption cell holds more than one paragraph of at most "
                f"{MOST_WORDS} words; put what follows the caption in a cell of its own"
            )
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_a_caption(path):
    problems = caption_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# --- the check itself, on made-up notebooks ---


def code(*outputs, tags=()):
    cell = nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nplt.show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data=d) for d in outputs]
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def md(text):
    return nbformat.v4.new_markdown_cell(text)


IMAGE = {"image/png": "iVBOR", "text/plain": "<Figure size 700x360 with 1 Axes>"}
WIDGET = {WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "interactive(...)"}


def test_caption_problems_passes_captioned_figures_and_cells_without_images():
    nb = nbformat.v4.new_notebook(
        cells=[
            code(IMAGE),
            md("*Figure:* the loss falls to 0.02 by epoch 40."),
            code({"text/plain": "3"}),  # no image: no caption needed
            code(WIDGET, IMAGE, tags=["nbval-ignore-output"]),  # live widget: the fallback's
            code(IMAGE),
            md("*Figure:* the static fallback: the same curve at width 8."),
        ]
    )
    assert caption_problems(nb) == []


def test_caption_problems_names_each_figure_without_a_caption():
    nb = nbformat.v4.new_notebook(
        cells=[
            code(IMAGE),
            md("The loss falls."),  # not a caption
            code(IMAGE),
            code(IMAGE),
            md("*Figure:*"),  # empty
            code(WIDGET, IMAGE),  # a widget view without the tag is exempt too
            code(IMAGE),
            md("*Figure:* the loss falls.\n\n## Next section\n\nThe lesson goes on."),
            code(IMAGE),
            md("*Figure:* " + "word " * 100),
            code(IMAGE),  # last cell
        ]
    )
    first = "'fig, ax = plt.subplots()'"
    long = "the caption cell holds more than one paragraph of at most 100 words"
    assert [problem.split("; put")[0] for problem in caption_problems(nb)] == [
        f"cell 0 ({first}): the markdown after its figure does not start with *Figure:*",
        f"cell 2 ({first}) shows a figure but the next cell is not a markdown caption",
        f"cell 3 ({first}): the caption says nothing after *Figure:*",
        f"cell 6 ({first}): {long}",
        f"cell 8 ({first}): {long}",
        f"cell 10 ({first}) shows a figure but the next cell is not a markdown caption",
    ]
