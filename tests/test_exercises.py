"""The exercise format: collapsed solutions in the committed notebooks, starters in the student
edition, and the rules every exercise of every notebook follows."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.exercises import ROOT, collapse, format_problems, starter, student_edition

SOLUTION = """#@title Solution
def mse_gradient(y_hat, y):
    ### BEGIN SOLUTION
    return 2 * (y_hat - y) / len(y)
    ### END SOLUTION


check_mse_gradient(mse_gradient)"""


def exercise_notebook(*cells):
    return new_notebook(cells=[new_markdown_cell("## Exercises"), *cells])


def solution_cell(source=SOLUTION, tags=("solution",)):
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def test_a_returned_expression_becomes_return_ellipsis_and_the_def_and_check_stay():
    assert starter(SOLUTION) == (
        "#@title Solution\n"
        "def mse_gradient(y_hat, y):\n"
        "    return ...  # your answer\n\n\n"
        "check_mse_gradient(mse_gradient)"
    )


def test_loops_and_branches_become_one_ellipsis_and_a_return_of_starter_names_stays():
    source = (
        "def adam(w, g, m, t):\n"
        "    ### BEGIN SOLUTION\n"
        "    if t == 0:\n"
        "        return w, m\n"
        "    for _ in range(2):\n"
        "        g = g * 1\n"
        "    m = 0.9 * m + 0.1 * g\n"
        "    w = w - m\n"
        "    return w, m\n"
        "    ### END SOLUTION"
    )
    assert starter(source) == (
        "def adam(w, g, m, t):\n"
        "    ...  # your code here\n"
        "    m = ...  # your answer\n"
        "    w = ...  # your answer\n"
        "    return w, m"
    )
    returns_a_parameter = source.replace("    w = w - m\n", "")
    assert starter(returns_a_parameter).endswith("    return ...  # your answer")


def test_top_level_assignments_become_name_equals_ellipsis_and_the_rest_goes():
    source = (
        "eig = 4.0\n### BEGIN SOLUTION\nscale = 2.0\nlr_max, lr_safe = scale / eig, 1 / eig\n"
        "print(lr_max)\n### END SOLUTION\ncheck_lr(lr_max, lr_safe)"
    )
    assert starter(source) == (
        "eig = 4.0\nscale = ...  # your answer\nlr_max = ...  # your answer\n"
        "lr_safe = ...  # your answer\ncheck_lr(lr_max, lr_safe)"
    )


def test_an_unclosed_region_is_refused():
    with pytest.raises(ValueError, match="END SOLUTION"):
        starter("### BEGIN SOLUTION\nx = 1\n")


def test_collapse_hides_solution_and_plumbing_cells_only():
    plain = new_code_cell("x = 1")
    nb = exercise_notebook(plain, solution_cell(), solution_cell("#@title Demo\nx", ("plumbing",)))
    collapse(nb)
    assert "jupyter" not in plain.metadata and "cellView" not in plain.metadata
    for cell in nb.cells[2:]:
        assert cell.metadata["jupyter"]["source_hidden"] is True
        assert cell.metadata["cellView"] == "form"


def test_the_student_edition_shows_the_starter_open_without_outputs_and_tags_it():
    cell = solution_cell()
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Correct: yes\n")]
    nb = collapse(exercise_notebook(new_markdown_cell("### Exercise 1: the MSE gradient"), cell))
    student = student_edition(nb).cells[2]
    assert student.source.startswith("def mse_gradient") and "BEGIN" not in student.source
    assert student.outputs == [] and student.metadata["tags"] == ["starter"]
    assert "cellView" not in student.metadata and not student.metadata["jupyter"]
    assert nb.cells[2].source == SOLUTION, "the instructor edition is left as it was"


@pytest.mark.parametrize("title", ["#@title Solution", "# @title Solution"])
def test_a_well_formed_exercise_has_no_problems(title):
    source = SOLUTION.replace("#@title Solution", title)
    nb = exercise_notebook(
        new_markdown_cell("### Exercise 1: the MSE gradient"), solution_cell(source)
    )
    assert format_problems(nb) == []
    assert not student_edition(nb).cells[2].source.startswith("#")


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ([new_markdown_cell("### Exercise 1: x")], "has no solution cell"),
        ([new_markdown_cell("### Exercise 1 - x"), solution_cell()], "'### Exercise N: title'"),
        (
            [
                new_markdown_cell("### Exercise 1: x"),
                solution_cell(SOLUTION.replace("#@title", "#")),
            ],
            "starts with '# @title Solution'",
        ),
        (
            [new_markdown_cell("### Exercise 1: x"), solution_cell(SOLUTION.rsplit("\n", 1)[0])],
            "ends with a call to a check",
        ),
        (
            [new_markdown_cell("### Exercise 1: x"), solution_cell("#@title Solution\ncheck(1)")],
            "no '### BEGIN SOLUTION'",
        ),
        ([solution_cell("#@title\nx", ("plumbing",))], "plumbing cell starts with '# @title"),
        ([new_markdown_cell("Some text")], "no exercise"),
    ],
)
def test_each_broken_rule_is_named(cells, problem):
    assert any(problem in found for found in format_problems(exercise_notebook(*cells)))


def test_a_solution_outside_the_exercises_section_is_named():
    nb = new_notebook(cells=[new_markdown_cell("## Lesson"), solution_cell()])
    assert any("outside an exercise" in found for found in format_problems(nb))


NOTEBOOK_FILES = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_every_exercise_has_a_statement_a_tagged_solution_and_a_check(path):
    assert format_problems(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_solution_and_plumbing_cells_are_stored_collapsed(path):
    nb = nbformat.read(path, as_version=4)
    stored = [dict(cell.metadata) for cell in nb.cells]
    assert stored == [dict(cell.metadata) for cell in collapse(nb).cells], (
        "run tools/sync_notebooks.py: it collapses solution and plumbing cells"
    )


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_long_widget_wiring_is_a_collapsed_plumbing_cell(path):
    """A cell that shows a live widget and takes more than 12 lines to wire it is plumbing: it
    carries the tag, and a #@title line that says what the widget does."""
    nb = nbformat.read(path, as_version=4)
    long_wiring = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(WIDGET_VIEW in output.get("data", {}) for output in cell.outputs)
        and len(cell.source.splitlines()) > 12
        and "plumbing" not in cell.metadata.get("tags", [])
    ]
    assert not long_wiring, f"tag these cells 'plumbing' with a '#@title' line: {long_wiring}"
