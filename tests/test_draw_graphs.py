"""tools/draw_graphs.py draws notebook 01's numbers: both take them from one place
(helpers.backprop_example.tiny_network), and the figures' values are the notebook's."""

import base64
import re

import nbformat
import torch

from helpers.backprop_example import tiny_network
from tools import ROOT, draw_graphs

NOTEBOOK = ROOT / "notebooks" / "01_backpropagation.ipynb"


def code_of(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_notebook_and_tool_import_the_one_example():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert "from helpers.backprop_example import tiny_network" in code_of(nb)
    source = (ROOT / "tools" / "draw_graphs.py").read_text()
    assert "from helpers.backprop_example import tiny_network" in source
    # No copy of the weights anywhere else: the literal of W1 appears in neither file.
    assert "0.8], [-1.2]" not in code_of(nb) and "0.8], [-1.2]" not in source


def test_tool_values_are_the_notebooks_printed_values():
    forward, backward = draw_graphs.passes()
    net = tiny_network()
    assert torch.equal(forward["x"], net["x"]) and torch.equal(forward["W1"], net["W1"].T)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    printed = "\n".join(
        out.get("text", "") for c in nb.cells if c.cell_type == "code" for out in c.outputs
    )
    loss = re.search(r"L = (\d\.\d{4})", printed)
    assert loss, "the notebook prints the loss as 'L = d.dddd'"
    assert f"{forward['L'].item():.4f}" == loss.group(1)
    grad_w2 = re.search(r"dL/dW2 = \[([^\]]*)\]", printed)
    assert grad_w2, "the notebook prints 'dL/dW2 = [...]'"
    expected = [round(v, 4) for v in backward["W2"].flatten().tolist()]
    assert [float(v) for v in grad_w2.group(1).split(",")] == expected


def test_tool_draws_the_three_figures(tmp_path, monkeypatch):
    tool = draw_graphs
    monkeypatch.setattr(tool, "IMAGES", tmp_path)
    monkeypatch.setattr(tool, "NOTEBOOK", tmp_path / "absent.ipynb")  # do not touch the notebook
    tool.main()
    for name in ("network", "forward_graph", "backward_graph"):
        path = tmp_path / f"01_{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size < 300_000


def test_edge_labels_keep_clear_of_the_boxes():
    """Every formula on an arrow of the backward graph stands at least 6 px from every box (the
    label of z <- h once touched the box of h)."""
    tool = draw_graphs
    tool.use_course_style()
    _, backward = tool.passes()
    fig, boxes, labels = tool.graph_figure(backward, True)
    try:
        fig.canvas.draw()  # lays out the boxes' frames
        renderer = fig.canvas.get_renderer()
        assert len(labels) == 8
        for label in labels:
            text_box = label.get_bbox_patch().get_window_extent(renderer).padded(6)
            for name, box in boxes.items():
                node_box = box.get_bbox_patch().get_window_extent(renderer)
                assert not text_box.overlaps(node_box), (label.get_text(), name)
    finally:
        tool.plt.close(fig)


def test_embedded_copies_are_the_committed_images():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found = set()
    for cell in nb.cells:
        for name, data in cell.get("attachments", {}).items():
            assert base64.b64decode(data["image/png"]) == (ROOT / "images" / name).read_bytes(), (
                name
            )
            found.add(name)
    assert found == {"01_network.png", "01_forward_graph.png", "01_backward_graph.png"}
