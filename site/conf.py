"""Sphinx configuration of the course's website (``make site``; built by tools/site.py).

The pages are the committed notebooks with their stored, tested outputs: nothing is executed
here (``nb_execution_mode = "off"``). Everything a page loads is on the site: MathJax is a local
copy (``_static/mathjax``, put there by tools/site.py), the theme's fonts and scripts ship with it.
"""

import tomllib
from pathlib import Path

_pyproject = tomllib.loads((Path(__file__).resolve().parent / "pyproject.toml").read_text())
_repository = _pyproject["project"]["urls"]["Repository"].rstrip("/")
_branch = _pyproject["tool"]["course"]["branch"]

project = "Training Neural Networks"
author = "The Training Neural Networks authors"
copyright = "the authors; text and figures CC BY 4.0, code MIT"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "student/*.ipynb", "pyproject.toml"]
root_doc = "index"

nb_execution_mode = "off"  # the stored outputs are the tested ones
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]  # widget views: replaced by kernel-free demos

html_theme = "sphinx_book_theme"
html_title = "Training Neural Networks"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_css_files = ["course.css"]
html_js_files = ["demos.js"]
mathjax_path = "mathjax/tex-chtml.js"
html_theme_options = {
    "repository_url": _repository,
    "repository_branch": _branch,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "show_toc_level": 2,
}
html_context = {"default_mode": "light"}  # without it the theme logs an error in the console
html_show_sourcelink = False
html_last_updated_fmt = None
