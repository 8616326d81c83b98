"""Alt text for every matplotlib figure a notebook shows, from what the figure already says.

A PNG in a notebook has no text alternative unless its output carries one
(``metadata["image/png"]["alt"]``, which nbconvert and JupyterLab put on the ``<img>``). Writing
one by hand for each figure goes stale when the figure changes, so :func:`enable_alt_text` asks
IPython to add, to every ``Figure`` it displays, a sentence built from the figure's own title,
panel titles, axis labels and legend entries. A figure can carry its own text instead:
``set_alt_text(fig, "...")``.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

__all__ = ["describe_figure", "enable_alt_text", "set_alt_text"]

_ALT_ATTRIBUTE = "_rnnbook_alt_text"


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Give ``fig`` its own alt text (used instead of :func:`describe_figure`); returns ``fig``."""
    if not text.strip():
        raise ValueError("alt text must say what the figure shows, got an empty string")
    setattr(fig, _ALT_ATTRIBUTE, text.strip())
    return fig


def _label(text: Any) -> str:
    return " ".join(str(text).split()) if text else ""


def describe_figure(fig: Figure) -> str:
    """One sentence from the figure's title, each panel's title, axis labels and legend."""
    explicit = getattr(fig, _ALT_ATTRIBUTE, None)
    if explicit:
        return explicit
    parts = []
    title = _label(fig._suptitle.get_text()) if fig._suptitle is not None else ""
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for number, ax in enumerate(panels, start=1):
        bits = []
        name = _label(ax.get_title())
        if name:
            bits.append(name)
        if _label(ax.get_xlabel()):
            bits.append(f"x axis: {_label(ax.get_xlabel())}")
        if _label(ax.get_ylabel()):
            bits.append(f"y axis: {_label(ax.get_ylabel())}")
        legend = ax.get_legend()
        if legend is not None:
            entries = [_label(t.get_text()) for t in legend.get_texts() if _label(t.get_text())]
            if entries:
                bits.append("legend: " + ", ".join(entries))
        if bits:
            prefix = f"panel {number}: " if len(panels) > 1 else ""
            parts.append(prefix + "; ".join(bits))
    kind = "A figure" if len(panels) <= 1 else f"A figure of {len(panels)} panels"
    head = f"{kind}, {title}" if title else kind
    return (head + (". " + ". ".join(parts) if parts else " without titles or labels")) + "."


def enable_alt_text() -> bool:
    """In IPython, make every displayed ``Figure``'s PNG carry :func:`describe_figure` as alt text.

    Returns False outside IPython (nothing to do). It wraps the shell's display formatter rather
    than the PNG printer for figures, because matplotlib's inline backend registers that printer
    again whenever it is loaded (with pyplot, at the first figure).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter
    if getattr(formatter.format, "_adds_alt_text", False):
        return True
    original = formatter.format

    def format_with_alt(obj: Any, include: Any = None, exclude: Any = None):
        data, metadata = original(obj, include=include, exclude=exclude)
        if isinstance(obj, Figure) and "image/png" in data:
            png = dict(metadata.get("image/png") or {})
            png["alt"] = describe_figure(obj)
            metadata = {**metadata, "image/png": png}
        return data, metadata

    format_with_alt._adds_alt_text = True
    formatter.format = format_with_alt
    return True
