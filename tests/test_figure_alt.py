"""Alt text for the notebooks' figures, derived from the figures' own titles and labels."""

import nbformat
import pytest
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_notebook

from rnnbook.figure_alt import describe_figure, set_alt_text
from rnnbook.workbook import execute_notebook


def test_description_names_the_title_panels_axes_and_legend():
    fig = Figure()
    fig.suptitle("loss by epoch")
    left, right = fig.subplots(1, 2)
    left.plot([1, 2], label="train")
    left.plot([2, 1], label="validation")
    left.set(title="GRU", xlabel="epoch", ylabel="nats/char")
    left.legend()
    right.set_title("LSTM")
    assert describe_figure(fig) == (
        "A figure of 2 panels, loss by epoch. panel 1: GRU; x axis: epoch; y axis: nats/char; "
        "legend: train, validation. panel 2: LSTM.")


def test_a_bare_figure_says_it_has_no_labels_and_an_explicit_text_wins():
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    assert describe_figure(fig) == "A figure without titles or labels."
    set_alt_text(fig, "  A rising line.  ")
    assert describe_figure(fig) == "A rising line."
    with pytest.raises(ValueError, match="alt text must say what the figure shows"):
        set_alt_text(fig, " ")


def test_a_colour_bar_is_not_counted_as_a_panel():
    fig = Figure()
    ax = fig.add_subplot()
    image = ax.imshow([[0, 1], [1, 0]])
    fig.colorbar(image, ax=ax, label="count")
    ax.set_title("confusion matrix")
    assert describe_figure(fig) == "A figure. confusion matrix."


def _alt_texts_of_second_cell(tmp_path, first: str, second: str) -> list[str]:
    """Run a two-cell notebook in a kernel; the alt text of each PNG the second cell shows."""
    source = tmp_path / "00_alt.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(first), new_code_cell(second)]), source)
    run = execute_notebook(source, tmp_path / "out.ipynb", timeout_s=300)
    assert run.ok, run.error
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[1].outputs
    return [o.metadata.get("image/png", {}).get("alt") for o in outputs
            if "image/png" in o.get("data", {})]


def test_figures_shown_after_setup_carry_their_alt_text_in_the_output(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNBOOK_PROFILE", "smoke")
    alts = _alt_texts_of_second_cell(
        tmp_path,
        "%matplotlib inline\nfrom matplotlib.figure import Figure\n"
        "from rnnbook.config import setup\nprofile = setup()",
        "fig = Figure()\nax = fig.add_subplot()\nax.plot([0, 1])\n"
        "ax.set(title='a line', xlabel='x', ylabel='y')\nfig")
    assert alts == ["A figure. a line; x axis: x; y axis: y."], "one PNG, shown once, with alt"


def test_a_pyplot_figure_drawn_after_setup_gets_alt_text_too(tmp_path, monkeypatch):
    """Notebook 00's way: pyplot with the inline backend named by MPLBACKEND (as `rnnbook run`
    does), loaded at the first figure, after setup(): loading it registers the PNG printer anew."""
    monkeypatch.setenv("RNNBOOK_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    alts = _alt_texts_of_second_cell(
        tmp_path,
        "from matplotlib import pyplot as plt\nfrom rnnbook.config import setup\nprofile = setup()",
        "fig, ax = plt.subplots()\nax.bar(['a', 'b'], [1, 2])\n"
        "ax.set(title='bars', ylabel='count')\nplt.close(fig)\nfig")
    assert alts == ["A figure. bars; y axis: count."]
