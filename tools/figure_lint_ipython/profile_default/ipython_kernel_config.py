# The IPython directory of kernels run under the figure lint (tools/figure_lint.py): no history
# file, so that running a notebook writes nothing into the repository.
c = get_config()  # noqa: F821
c.HistoryManager.enabled = False
