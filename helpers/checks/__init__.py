"""Checks for the notebooks' exercises: they diagnose a wrong answer instead of grading it.

Each notebook has its own module (``helpers.checks.backprop`` for notebook 01, ``autograd`` for 02,
``gradients`` for 03, ``training`` for 04, ``approximation`` for 05), with one ``check_...``
function per exercise. A check computes the reference answer on the spot, compares, and either
prints one line starting ``Correct:`` or raises :class:`ExerciseError` with a message that says
what is wrong in words a student can act on ("the gradient has the wrong sign", "a factor 2 is
missing"). Nothing is sent anywhere: the checks run in the student's own kernel. In a notebook,
a failed check shows as its message alone, without a traceback through the check's code
(:func:`show_failed_checks_briefly`, called on import).
"""

from helpers.checks._core import (
    ExerciseError,
    correct,
    require_filled,
    show_failed_checks_briefly,
)

__all__ = ["ExerciseError", "correct", "require_filled", "show_failed_checks_briefly"]

show_failed_checks_briefly()
