"""The shared part of the exercise checks: unfilled answers and the confirmation line."""

import re

import pytest

from helpers.checks import ExerciseError, correct, require_filled, show_failed_checks_briefly


@pytest.mark.parametrize("value", [..., None])
def test_an_unfilled_answer_is_refused_with_a_message_that_says_to_fill_it(value):
    with pytest.raises(ExerciseError, match=r"lr_max is not filled in yet: replace the `\.\.\.`"):
        require_filled("lr_max", value)


def test_a_function_that_returned_none_is_asked_about_its_return():
    with pytest.raises(
        ExerciseError, match=r"step\(\.\.\.\) is not filled in yet \(it is None: .*`return`"
    ):
        require_filled("step(...)", None)
    with pytest.raises(ExerciseError, match=r"lr_max is not filled in yet: replace"):
        require_filled("lr_max", None)  # a variable, not a function's result


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


@pytest.fixture
def shell(ipython_shell):
    return ipython_shell


def check_that_fails():
    raise ExerciseError("dL/dW has the wrong sign")


def test_in_a_notebook_a_failed_check_shows_its_message_alone(shell, capsys):
    assert show_failed_checks_briefly()
    shell.user_ns["check_that_fails"] = check_that_fails
    result = shell.run_cell("check_that_fails()")
    shown = capsys.readouterr().out
    assert isinstance(result.error_in_exec, ExerciseError), "the cell still fails"
    assert "ExerciseError" in shown and "dL/dW has the wrong sign" in shown
    assert "raise ExerciseError" not in shown and "Traceback" not in shown, shown


def test_other_errors_keep_their_traceback(shell, capsys):
    assert show_failed_checks_briefly()
    shell.run_cell("def broken():\n    return 1 / 0\nbroken()")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # without the colours
    assert "ZeroDivisionError" in shown and "return 1 / 0" in shown


def test_someone_else_s_handler_is_left_alone(shell):
    def theirs(self, etype, value, tb, tb_offset=None):
        return ["theirs"]

    shell.set_custom_exc((KeyError,), theirs)
    assert not show_failed_checks_briefly()
    assert shell.custom_exceptions == (KeyError,)
