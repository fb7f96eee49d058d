"""Scripts that author, check and measure the course; run each from the repository root as a
module, e.g. ``python -m tools.sync_notebooks``. Imports between them, and from the tests, go
through this package (``from tools import sync_notebooks``).

Authoring: ``sync_notebooks`` (Colab badges and setup cells), ``run_notebooks`` (``make
outputs``), ``draw_graphs`` (notebook 01's graph figures).
Checking: ``gpu_check`` (the trainer on a CUDA GPU against the CPU).
Performance (``make bench``): ``bench``, with ``bench_trainer`` and ``bench_widgets`` (whose probe,
run inside a notebook's kernel, is ``widget_probe``).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # the course, in order
