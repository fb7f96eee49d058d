"""Load the course's figure lint (tools/figure_lint.py) into this kernel.

IPython runs this file when a kernel starts with IPYTHONDIR set to tools/figure_lint_ipython, as
`make test` (tests/conftest.py) and `python -m tools.figure_lint` set it. The module is loaded
from its file, so the kernel need not have the repository on its path.
"""


def _load_course_figure_lint() -> None:
    import importlib.util
    import sys
    from pathlib import Path

    from IPython import get_ipython

    name = "_course_figure_lint"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[3] / "figure_lint.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    sys.modules[name].load_ipython_extension(get_ipython())


_load_course_figure_lint()
del _load_course_figure_lint
