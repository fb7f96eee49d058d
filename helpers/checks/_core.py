"""What every exercise check shares: the error it raises and the two messages it starts from."""

from __future__ import annotations


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
        raise ExerciseError(
            f"{name} is not filled in yet: replace the `...` with your answer, then run the cell."
        )


def correct(message: str) -> None:
    """Print the one-line confirmation of a right answer: ``Correct: <message>``."""
    print(f"Correct: {message}")
