"""The course diagrams: regenerating them reproduces the committed SVG files byte for byte, and
each one is shown by a notebook with its alt text."""

from pathlib import Path

import nbformat
import pytest

from rnnbook.diagrams import ALT, DIAGRAMS, write_all

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "notebooks" / "figures"


def test_every_diagram_has_alt_text():
    assert set(ALT) == set(DIAGRAMS)
    assert all(len(text) > 40 for text in ALT.values())


def test_regenerating_reproduces_the_committed_files(tmp_path):
    written = write_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.svg" for n in DIAGRAMS)
    for path in written:
        committed = FIGURES / path.name
        assert committed.is_file(), f"{committed} missing: python -m rnnbook.diagrams {FIGURES}"
        assert path.read_bytes() == committed.read_bytes(), (
            f"{committed.name} is stale: python -m rnnbook.diagrams notebooks/figures")
        assert path.stat().st_size < 60_000
        text = path.read_text(encoding="utf-8")
        assert "<dc:date>" not in text  # no timestamp: regenerating is byte-stable


def _markdown_images() -> dict[str, list[str]]:
    """figure file name -> alt texts of the markdown images that show it (numbered notebooks)."""
    shown: dict[str, list[str]] = {}
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for piece in cell.source.split("![")[1:]:
                alt, _, rest = piece.partition("](")
                target = rest.split(")")[0].split()[0]
                if target.startswith("figures/"):
                    shown.setdefault(target.removeprefix("figures/"), []).append(alt)
    return shown


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_each_diagram_is_shown_with_its_alt_text(name):
    alts = _markdown_images().get(f"{name}.svg")
    assert alts, f"no notebook shows figures/{name}.svg"
    assert all(alt == ALT[name] for alt in alts)


def test_every_committed_figure_is_shown():
    shown = _markdown_images()
    for path in FIGURES.iterdir():
        assert path.name in shown, f"{path} is committed but no notebook shows it"
