"""Draw the computational graphs of notebook 01's tiny network and embed them in the notebook.

    python tools/draw_graphs.py

Takes the data and weights of the tiny network of ``notebooks/01_backpropagation.ipynb`` from
:func:`helpers.backprop_example.tiny_network` (the function the notebook imports, so the figures
cannot drift from it: ``tests/test_draw_graphs.py``), recomputes the forward and backward pass in
float64 with the notebook's formulas, draws three figures with matplotlib (the network as
neurons; values flowing forward; gradients flowing back), saves them as
``images/01_network.png``, ``images/01_forward_graph.png`` and ``images/01_backward_graph.png``
and refreshes the copies
embedded in the notebook as markdown cell attachments (``![...](attachment:01_...png)``), which
render in JupyterLab, on GitHub and in Colab, where relative image links do not resolve.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_backpropagation.ipynb"
IMAGES = ROOT / "images"
sys.path.insert(0, str(ROOT))  # run from a clone: import the repository's helpers

from helpers.backprop_example import tiny_network  # noqa: E402
from helpers.style import PALETTE, use_course_style  # noqa: E402

FORWARD_COLOUR, BACKWARD_COLOUR = PALETTE[0], PALETTE[1]


def passes() -> tuple[dict, dict]:
    """Every intermediate value of the forward pass and every gradient of the backward pass.

    The data and weights come from :func:`helpers.backprop_example.tiny_network`, the same
    function notebook 01 calls; the formulas are the notebook's.
    """
    net = tiny_network()
    x, y, W1, b1, W2, b2 = (net[k] for k in ("x", "y", "W1", "b1", "W2", "b2"))
    z = x[:, None] @ W1.T + b1
    h = torch.tanh(z)
    yhat = (h @ W2.T + b2)[:, 0]
    r = yhat - y
    loss = (r**2).mean()
    d_r = 2 * r / len(x)
    d_yhat = d_r * 1.0
    d_h = d_yhat[:, None] @ W2
    d_z = d_h * (1 - h**2)
    forward = {
        "x": x, "W1": W1.T, "b1": b1, "z": z, "h": h, "W2": W2, "b2": b2,
        "yhat": yhat, "y": y, "r": r, "L": loss,
    }  # fmt: skip
    backward = {
        "L": torch.tensor(1.0),
        "r": d_r,
        "yhat": d_yhat,
        "W2": d_yhat[None, :] @ h,
        "b2": d_yhat.sum(),
        "h": d_h,
        "z": d_z,
        "W1": (d_z.T @ x[:, None]).T,  # shown as a row, like W1 in the forward figure
        "b1": d_z.sum(0),
    }
    return forward, backward


def fmt(t: torch.Tensor) -> str:
    """A matrix row by row (a data vector as a column), two decimals."""
    t = t.detach()
    if t.dim() == 0 or t.numel() == 1:
        return f"{t.item():+.3f}"
    if t.dim() == 1 and len(t) == 4:
        t = t[:, None]
    t = t.reshape(-1, t.shape[-1])
    return "\n".join(" ".join(f"{v:+.2f}" for v in row) for row in t.tolist())


# name: (column, row, forward label, symbol of its gradient). Boxes of data-sized tensors (x, z,
# h, yhat, y, r) have one row per data point i; in z and h, column j is hidden unit j.
NODES = {
    "x": (0, 0, r"$x$  ($N$)", None),
    "W1": (0, 1.2, r"$W^{(1)\top}$  (row: $j$)", r"$\bar W^{(1)\top}$"),
    "b1": (0, -1.2, r"$b^{(1)}$", r"$\bar b^{(1)}$"),
    "z": (1.15, 0, r"$z = x W^{(1)\top} + b^{(1)}$", r"$\bar z$"),
    "h": (2.75, 0, r"$h = \tanh(z)$", r"$\bar h$"),
    "W2": (2.75, 1.2, r"$W^{(2)}$", r"$\bar W^{(2)}$"),
    "b2": (2.75, -1.2, r"$b^{(2)}$", r"$\bar b^{(2)}$"),
    "yhat": (4.05, 0, r"$\hat y = h W^{(2)\top} + b^{(2)}$", r"$\bar{\hat y}$"),
    "y": (4.05, 1.2, r"$y$ (targets)", None),
    "r": (5.1, 0, r"$r = \hat y - y$", r"$\bar r$"),
    "L": (6.15, 0, r"$L = \sum_i r_i^2 / N$", r"$\bar L$"),
}
# (from, to, what the backward pass computes along the edge, in the notebook's notation)
EDGES = [
    ("x", "z", ""),
    ("W1", "z", r"$(\bar z^\top x)^\top$"),  # the box shows the transpose, as a row
    ("b1", "z", r"$\sum_i \bar z_{ij}$"),
    ("z", "h", r"$\bar h \odot (1-h^2)$"),
    ("h", "yhat", r"$\bar{\hat y}\, W^{(2)}$"),
    ("W2", "yhat", r"$\bar{\hat y}^\top h$"),
    ("b2", "yhat", r"$\sum_i \bar{\hat y}_i$"),
    ("yhat", "r", r"$\bar r \cdot 1$"),
    ("y", "r", ""),
    ("r", "L", r"$\bar L \cdot 2r/N$"),
]


def graph_figure(values: dict, backward: bool) -> tuple[plt.Figure, dict, list]:
    """One graph figure: the forward values, or (``backward``) the gradients and edge formulas.

    Returns the figure, its node boxes (name -> text artist) and its edge labels (text artists).
    """
    fig, ax = plt.subplots(figsize=(12, 4.6))
    ax.set_xlim(-0.55, 6.6)
    ax.set_ylim(-1.75, 1.75)
    ax.axis("off")
    color = BACKWARD_COLOUR if backward else FORWARD_COLOUR
    boxes, labels = {}, []
    for name, (col, row, label, grad_label) in NODES.items():
        if backward and grad_label is None:  # data: no gradient needed
            text, face = f"{label}\n(data: no gradient)", "0.93"
        elif backward:
            text, face = f"{grad_label}\n{fmt(values[name])}", "white"
        else:
            text, face = f"{label}\n{fmt(values[name])}", "white"
        boxes[name] = ax.text(
            col, row, text, ha="center", va="center", family="DejaVu Sans Mono", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc=face, ec=color),
        )  # fmt: skip
    fig.canvas.draw()
    for a, b, formula in EDGES:
        src, dst = (b, a) if backward else (a, b)
        if backward and NODES[a][3] is None:
            continue
        ax.annotate(
            "", xy=(0.5, 0.5), xycoords=boxes[dst], xytext=(0.5, 0.5), textcoords=boxes[src],
            arrowprops=dict(
                arrowstyle="-|>", color=color, lw=1.3, shrinkA=2, shrinkB=2,
                patchA=boxes[src].get_bbox_patch(), patchB=boxes[dst].get_bbox_patch(),
            ),
        )  # fmt: skip
        if backward and formula:
            (ca, ra, *_), (cb, rb, *_) = NODES[a], NODES[b]
            diagonal = ra != rb  # diagonal arrows: label to the right of the midpoint
            label = ax.text(
                (ca + cb) / 2 + (0.18 if diagonal else 0),
                (ra + rb) / 2 + (0 if diagonal else 0.1),
                formula,
                ha="left" if diagonal else "center",
                va="center" if diagonal else "bottom",
                fontsize=11,
                color=color,
                zorder=4,  # above the arrows, on a white ground: no line crosses a label
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"),
            )
            labels.append(label)
    title = (
        "Backward pass: each box holds $\\partial L/\\partial$(node); "
        "each arrow is labelled with what the backward pass computes"
        if backward
        else "Forward pass: values flow from the input and the weights to the loss"
    )
    ax.set_title(title, fontsize=12)
    return fig, boxes, labels


def draw(values: dict, backward: bool, path: Path) -> None:
    """Save :func:`graph_figure` as a PNG at ``path``."""
    fig, _, _ = graph_figure(values, backward)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def draw_network(path: Path) -> None:
    """The 1 -> 3 -> 1 network as neurons: hidden unit j computes column j of z and h."""
    net = tiny_network()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.set_xlim(-0.6, 3.6)
    ax.set_ylim(-1.5, 1.5)
    ax.axis("off")
    hidden_y = [1.0, 0.0, -1.0]
    spots = {"x": (0, 0), "out": (3, 0)} | {j: (1.5, hy) for j, hy in enumerate(hidden_y, 1)}
    for j, (hx, hy) in ((j, spots[j]) for j in (1, 2, 3)):
        for (ax0, ay0), (ax1, ay1), weight, sym in (
            ((0, 0), (hx, hy), net["W1"][j - 1, 0].item(), f"$W^{{(1)}}_{j}$"),
            ((hx, hy), (3, 0), net["W2"][0, j - 1].item(), f"$W^{{(2)}}_{j}$"),
        ):
            ax.annotate(
                "", xy=(ax1, ay1), xytext=(ax0, ay0),
                arrowprops=dict(arrowstyle="-|>", color=PALETTE[0], lw=1.2, shrinkA=22, shrinkB=22),
            )  # fmt: skip
            t = 0.42 if ax0 == 0 else 0.58
            # on the arrow itself, on a white ground drawn over it: no line crosses the label
            ax.text(
                ax0 + t * (ax1 - ax0), ay0 + t * (ay1 - ay0), f"{sym} = {weight:+.1f}",
                ha="center", va="center", fontsize=10, zorder=5,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"),
            )  # fmt: skip
    for key, (px, py) in spots.items():
        ax.add_patch(plt.Circle((px, py), 0.2, fc="white", ec=PALETTE[0], lw=1.5, zorder=3))
        label = {"x": "$x_i$", "out": r"$\hat y_i$"}.get(key, f"$j={key}$")
        ax.text(px, py, label, ha="center", va="center", fontsize=11, zorder=4)
    for j in (1, 2, 3):
        hx, hy = spots[j]
        ax.text(
            hx, hy - 0.3, f"$z_{{ij}}$, $h_{{ij}}$: column {j} of $z$, $h$", ha="center",
            va="top", fontsize=9, color=PALETTE[6],
        )  # fmt: skip
    b1 = ", ".join(f"{v:+.1f}" for v in net["b1"].tolist())
    ax.text(1.5, 1.42, f"hidden layer, tanh; biases $b^{{(1)}}$ = ({b1})", ha="center", fontsize=9)
    ax.text(3, 0.3, f"$b^{{(2)}}$ = {net['b2'].item():+.1f}", ha="center", fontsize=9)
    ax.text(0, -0.35, "input", ha="center", va="top", fontsize=9)
    ax.text(3, -0.35, "output", ha="center", va="top", fontsize=9)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def embed(notebook: Path, images: list[Path]) -> bool:
    """Refresh the attachments of the markdown cells that link ``attachment:<image name>``."""
    if not notebook.exists():
        return False
    nb = nbformat.read(notebook, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        for image in images:
            if cell.cell_type == "markdown" and f"attachment:{image.name}" in cell.source:
                data = base64.b64encode(image.read_bytes()).decode("ascii")
                cell.setdefault("attachments", {})[image.name] = {"image/png": data}
    changed = nbformat.writes(nb) != before
    if changed:
        nbformat.write(nb, notebook)
    return changed


def main() -> None:
    use_course_style()
    forward, backward = passes()
    paths = [IMAGES / f"01_{name}.png" for name in ("network", "forward_graph", "backward_graph")]
    draw_network(paths[0])
    draw(forward, False, paths[1])
    draw(backward, True, paths[2])
    for path in paths:
        print(f"wrote {path.parent.name}/{path.name} ({path.stat().st_size // 1024} kB)")
    if embed(NOTEBOOK, paths):
        print(f"refreshed the attachments of {NOTEBOOK.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
