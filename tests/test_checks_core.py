"""The shared part of the exercise checks: unfilled answers and the confirmation line."""

import pytest

from helpers.checks import ExerciseError, correct, require_filled


@pytest.mark.parametrize("value", [..., None])
def test_an_unfilled_answer_is_refused_with_a_message_that_says_to_fill_it(value):
    with pytest.raises(ExerciseError, match=r"lr_max is not filled in yet: replace the `\.\.\.`"):
        require_filled("lr_max", value)


@pytest.mark.parametrize("value", [(..., ...), [..., ..., ...]])
def test_a_starter_returning_only_ellipses_is_unfilled(value):
    with pytest.raises(ExerciseError, match=r"step\(\.\.\.\) is not filled in yet"):
        require_filled("step(...)", value)


@pytest.mark.parametrize("value", [0, 0.0, False, "", [], 1.5, (None, None), (..., 1.0)])
def test_a_filled_answer_passes_even_when_falsy(value):
    require_filled("x", value)  # (None, None) can be an answer; (..., 1.0) is checked part by part


def test_exercise_error_is_an_assertion_error_so_a_failed_check_reads_as_a_failed_check():
    assert issubclass(ExerciseError, AssertionError)


def test_correct_prints_one_line_starting_correct(capsys):
    correct("the gradient matches to 1e-10")
    assert capsys.readouterr().out == "Correct: the gradient matches to 1e-10\n"
