"""What every exercise check shares: the error it raises, the two messages it starts from, and
how a failed check shows in a notebook (its message, without the check's own code)."""

from __future__ import annotations

from typing import Any


class ExerciseError(AssertionError):
    """An exercise answer is wrong (or missing); the message says what to look at."""


def require_filled(name: str, value: object) -> None:
    """Raise :class:`ExerciseError` if ``value`` is still the starter's ``...`` or ``None``, or a
    tuple or list of ``...`` only (a starter's ``return w, m, v`` after ``w = ...`` and so on).

    Args:
        name: what the student was asked to fill in, as it appears in the notebook
            (``"lr_max"``, ``"mse_gradient(...)"``).
        value: the answer, or what the student's function returned.
    """
    starter_parts = isinstance(value, (tuple, list)) and value and all(v is ... for v in value)
    if value is Ellipsis or value is None or starter_parts:
        returned_nothing = (
            " (it is None: if you filled in a function, does it end with `return`?)"
            if value is None and name.endswith(")")
            else ""
        )
        raise ExerciseError(
            f"{name} is not filled in yet{returned_nothing}: replace the `...` with your answer, "
            "then run the cell."
        )


def correct(message: str) -> None:
    """Print the one-line confirmation of a right answer: ``Correct: <message>``."""
    print(f"Correct: {message}")


def _show_briefly(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
    """IPython's handler for a failed check: show ``ExerciseError: <message>`` alone."""
    brief = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}"]  # the name in red, as IPython shows it
    shell._showtraceback(etype, value, brief)
    return brief


def show_failed_checks_briefly() -> bool:
    """In a notebook (IPython 7 or later, Jupyter or Colab), show a failed check as its message
    alone: the traceback through the check's own code says nothing to a student, and pushes the
    message below 30 lines of it. Any other error keeps its full traceback.

    Does nothing outside IPython, or where a custom exception handler is already set (this must
    not replace someone else's). Returns whether the handler is now in place.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if shell.custom_exceptions not in ((), (ExerciseError,)):
        return False
    shell.set_custom_exc((ExerciseError,), _show_briefly)
    return True
