"""Draw the computational graphs of notebook 01's tiny network and embed them in the notebook.

    python tools/draw_graphs.py

Recomputes the forward and backward pass of the tiny network of
``notebooks/01_backpropagation.ipynb`` (same data and weights, float64), draws two figures with
matplotlib (values flowing forward; gradients flowing back), saves them as
``images/01_forward_graph.png`` and ``images/01_backward_graph.png`` and refreshes the copies
embedded in the notebook as markdown cell attachments (``![...](attachment:01_...png)``), which
render in JupyterLab, on GitHub and in Colab, where relative image links do not resolve.
"""

from __future__ import annotations

import base64
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_backpropagation.ipynb"
IMAGES = ROOT / "images"

# The tiny network of notebook 01: 1 input, 3 tanh hidden units, 1 output, MSE on 4 points.
X = torch.tensor([-1.5, -0.5, 0.5, 1.5], dtype=torch.float64)
Y = torch.tensor([1.0, -0.2, 0.1, 0.9], dtype=torch.float64)
W1 = torch.tensor([[0.8], [-1.2], [0.5]], dtype=torch.float64)
B1 = torch.tensor([0.1, 0.3, -0.2], dtype=torch.float64)
W2 = torch.tensor([[0.6, -0.9, 0.4]], dtype=torch.float64)
B2 = torch.tensor([0.2], dtype=torch.float64)


def passes() -> tuple[dict, dict]:
    """Every intermediate value of the forward pass and every gradient of the backward pass."""
    z1 = X[:, None] @ W1.T + B1
    h = torch.tanh(z1)
    yhat = (h @ W2.T + B2)[:, 0]
    r = yhat - Y
    loss = (r**2).mean()
    d_r = 2 * r / len(X)
    d_h = d_r[:, None] @ W2
    d_z1 = d_h * (1 - h**2)
    forward = {
        "x": X,
        "W1": W1.T,
        "b1": B1,
        "z1": z1,
        "h": h,
        "W2": W2,
        "b2": B2,
        "yhat": yhat,
        "y": Y,
        "r": r,
        "L": loss,
    }
    backward = {
        "L": torch.tensor(1.0),
        "r": d_r,
        "yhat": d_r,
        "W2": d_r @ h,
        "b2": d_r.sum(),
        "h": d_h,
        "z1": d_z1,
        "W1": d_z1.T @ X,
        "b1": d_z1.sum(0),
    }
    return forward, backward


def fmt(t: torch.Tensor) -> str:
    """Rows of a matrix (or a column for a data vector) with two decimals."""
    t = t.detach()
    if t.dim() == 0 or t.numel() == 1:
        return f"{t.item():+.3f}"
    if t.dim() == 1 and len(t) == len(X):
        t = t[:, None]
    t = t.reshape(-1, t.shape[-1])
    return "\n".join(" ".join(f"{v:+.2f}" for v in row) for row in t.tolist())


# name: (column, row, label); the rows of every data-sized box are the 4 data points.
NODES = {
    "x": (0, 0, "x"),
    "W1": (0, 1.15, "W1ᵀ"),
    "b1": (0, -1.15, "b1"),
    "z1": (1.12, 0, "z1 = x W1ᵀ + b1"),
    "h": (2.55, 0, "h = tanh(z1)"),
    "W2": (2.55, 1.15, "W2"),
    "b2": (2.55, -1.15, "b2"),
    "yhat": (3.9, 0, "ŷ = h W2ᵀ + b2"),
    "y": (3.9, 1.15, "y (target)"),
    "r": (5.05, 0, "r = ŷ − y"),
    "L": (6.15, 0, "L = mean(r²)"),
}
# (from, to, local derivative ∂to/∂from, as used on the way back)
EDGES = [
    ("x", "z1", ""),
    ("W1", "z1", "·x"),
    ("b1", "z1", "Σ rows"),
    ("z1", "h", "·(1 − h²)"),
    ("h", "yhat", "·W2"),
    ("W2", "yhat", "hᵀ·"),
    ("b2", "yhat", "Σ"),
    ("yhat", "r", "·1"),
    ("y", "r", ""),
    ("r", "L", "2r / N"),
]


def draw(values: dict, backward: bool, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(12, 4.4))
    ax.set_xlim(-0.5, 6.55)
    ax.set_ylim(-1.6, 1.65)
    ax.axis("off")
    color = "tab:red" if backward else "tab:blue"
    boxes = {}
    for name, (col, row, label) in NODES.items():
        if name not in values:  # inputs and targets get no gradient
            text, face = f"{label}\n(no gradient)", "0.93"
        else:
            head = f"∂L/∂{label.split(' ')[0]}" if backward else label
            text, face = f"{head}\n{fmt(values[name])}", "white"
        boxes[name] = ax.text(
            col,
            row,
            text,
            ha="center",
            va="center",
            family="DejaVu Sans Mono",
            fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc=face, ec=color),
        )
    fig.canvas.draw()
    for a, b, local in EDGES:
        src, dst = (b, a) if backward else (a, b)
        if backward and (a not in values):
            continue
        ax.annotate(
            "",
            xy=(0.5, 0.5),
            xycoords=boxes[dst],
            xytext=(0.5, 0.5),
            textcoords=boxes[src],
            arrowprops=dict(
                arrowstyle="-|>",
                color=color,
                lw=1.3,
                shrinkA=2,
                shrinkB=2,
                patchA=boxes[src].get_bbox_patch(),
                patchB=boxes[dst].get_bbox_patch(),
            ),
        )
        if backward and local:
            (ca, ra, _), (cb, rb, _) = NODES[a], NODES[b]
            diagonal = ra != rb  # diagonal arrows: label to the right of the midpoint
            ax.text(
                (ca + cb) / 2 + (0.1 if diagonal else 0),
                (ra + rb) / 2 + (0 if diagonal else 0.08),
                local,
                ha="left" if diagonal else "center",
                va="center" if diagonal else "bottom",
                fontsize=10,
                color=color,
                style="italic",
            )
    title = (
        "Backward pass: gradients ∂L/∂(node) flow from L back to the weights"
        if backward
        else "Forward pass: values flow from the input and weights to the loss"
    )
    ax.set_title(title + " (rows = the 4 data points)", fontsize=13)
    fig.tight_layout()
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
    forward, backward = passes()
    paths = [IMAGES / "01_forward_graph.png", IMAGES / "01_backward_graph.png"]
    draw(forward, False, paths[0])
    draw(backward, True, paths[1])
    for path in paths:
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")
    if embed(NOTEBOOK, paths):
        print(f"refreshed the attachments of {NOTEBOOK.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
