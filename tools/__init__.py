"""Scripts that author, check and measure the course; run each from the repository root as a
module, e.g. ``python -m tools.sync_notebooks``. Imports between them, and from the tests, go
through this package (``from tools import sync_notebooks``).

Where the course lives: ``course`` (the repository and branches, from pyproject.toml).
Authoring: ``sync_notebooks`` (Colab badges and setup cells), ``run_notebooks`` (``make
outputs``), ``figure_lint`` (the figure rules, loaded by ``make outputs``), ``draw_graphs``
(notebook 01's graph figures), ``exercises`` (the student edition, ``make student``).
Publishing: ``site`` (``make site``), ``exercises --publish`` (``make publish-student``).
Checking: ``colab_check`` with ``colab_run`` (``make colab-check``), ``widget_check`` (run in a
notebook's kernel: its controls, and the site's frames), ``stress_kernel`` (execution stalls,
``make stress``; ``kernel_session`` is the fix every run uses), ``gpu_check`` (the trainer on a
CUDA GPU against the CPU).
Performance (``make bench``): ``bench``, with ``bench_trainer`` and ``bench_widgets`` (whose probe,
run inside a notebook's kernel, is ``widget_probe``).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # the course, in order
