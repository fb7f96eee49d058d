"""tools/site.py's pieces that need no build: figure captions as text alternatives."""

from nbformat.v4 import new_code_cell, new_markdown_cell

from tools.site import caption_after, plain_text


def test_the_caption_s_first_paragraph_is_the_text_alternative():
    cells = [
        new_code_cell("plt.show()"),
        new_markdown_cell(
            "*Figure:* the loss falls to **0.12** by epoch $t = 40$.\n"
            "See [the table](#table).\n\n## Next section\n\nMore lesson."
        ),
    ]
    assert caption_after(cells, 0) == "the loss falls to 0.12 by epoch t = 40. See the table."


def test_no_caption_when_the_next_markdown_cell_is_not_one():
    cells = [new_code_cell("plt.show()"), new_markdown_cell("Some text.\n\n*Figure:* later")]
    assert caption_after(cells, 0) is None
    assert caption_after([new_code_cell("x = 1")], 0) is None


def test_plain_text_drops_markdown_and_keeps_the_words():
    assert plain_text("*a* `b` [c](d) $e^2$\n  f") == "a b c e^2 f"
