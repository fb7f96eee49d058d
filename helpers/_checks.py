"""Argument checks shared by the helpers; each error names the argument it refuses.

The convention of every helper: an argument of the wrong type raises ``TypeError`` (``2.5`` where
an int is needed, ``"0.3"`` where a number is), one of the right type with a wrong value raises
``ValueError`` (``0`` epochs, a NaN, a negative noise level).
"""

from __future__ import annotations

import math


def check_flags(**flags: object) -> None:
    """Each keyword must be ``True`` or ``False`` (not 0, 1 or None)."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")


def check_int(name: str, value: object, minimum: int | None = None) -> None:
    """``value`` must be an int (not a bool), and at least ``minimum`` when one is given."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def check_number(name: str, value: object, minimum: float, strict: bool) -> None:
    """``value`` must be a finite int or float, ``> minimum`` if ``strict``, else ``>=``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < minimum or (strict and value == minimum):
        relation = "greater than" if strict else "at least"
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
