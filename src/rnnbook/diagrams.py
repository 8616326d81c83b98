"""The course's diagrams, drawn by code: the unrolled RNN, the LSTM and GRU cells, stacked and
bidirectional layers, and the encoder–decoder with attention.

Each ``draw_*`` function returns a ``matplotlib.figure.Figure``; :func:`write_all` saves them as
small SVG files (text kept as text, no timestamp, fixed ids) so that regenerating them gives the
same bytes, and the notebooks show them with a markdown image and its alt text (:data:`ALT`).
Regenerate with ``python -m rnnbook.diagrams notebooks/figures``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["ALT", "DIAGRAMS", "draw_encoder_decoder", "draw_gru_cell", "draw_lstm_cell",
           "draw_stacked_bidirectional", "draw_unrolled_rnn", "write_all"]

_INPUT, _CELL, _OUTPUT, _GATE, _ATTN = "#dbe9f6", "#fde7c8", "#dff2df", "#f6d6d6", "#e6dcf2"


def _canvas(width: float, height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width * 10)
    ax.set_ylim(0, height * 10)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x: float, y: float, text: str, *, w: float = 6, h: float = 4, color: str = _CELL,
         size: float = 11, round_: bool = True) -> None:
    """A labelled box centred at (x, y)."""
    style = "round,pad=0.02,rounding_size=0.8" if round_ else "square,pad=0.02"
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, fc=color,
                                ec="#333333", lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], *, color: str = "#333333",
           lw: float = 1.3, rad: float = 0.0, style: str = "-|>", ls: str = "-") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=11, color=color,
                                 lw=lw, ls=ls, connectionstyle=f"arc3,rad={rad}",
                                 shrinkA=0, shrinkB=0))


def _label(ax, x: float, y: float, text: str, *, size: float = 10, color: str = "#333333",
           **kw) -> None:
    ax.text(x, y, text, ha=kw.pop("ha", "center"), va=kw.pop("va", "center"), fontsize=size,
            color=color, **kw)


def draw_unrolled_rnn(steps: int = 4) -> Figure:
    """The folded SimpleRNN cell with its loop, and the same cell unrolled over ``steps``."""
    fig, ax = _canvas(9.6, 3.6)
    # folded
    _box(ax, 8, 18, "RNN\ncell", w=7, h=6)
    _arrow(ax, (8, 6), (8, 15))
    _box(ax, 8, 5, "$x_t$", w=4, h=3, color=_INPUT)
    _arrow(ax, (8, 21), (8, 28))
    _box(ax, 8, 30, "$h_t$", w=4, h=3, color=_OUTPUT)
    _arrow(ax, (11.5, 19.5), (11.5, 16.5), rad=-2.2)
    _label(ax, 17.5, 18, "$h_{t-1}$", size=10)
    _label(ax, 22, 18, "=", size=22)
    # unrolled
    x0, dx = 32, 16
    for t in range(steps):
        x = x0 + t * dx
        _box(ax, x, 18, "RNN\ncell", w=7, h=6)
        _box(ax, x, 5, f"$x_{t + 1}$", w=4, h=3, color=_INPUT)
        _box(ax, x, 30, f"$h_{t + 1}$", w=4, h=3, color=_OUTPUT)
        _arrow(ax, (x, 6.5), (x, 15))
        _arrow(ax, (x, 21), (x, 28.5))
        start = x - dx + 3.5 if t else x - 9
        _arrow(ax, (start, 18), (x - 3.5, 18))
        _label(ax, x - dx / 2, 20, f"$h_{t}$", size=9)
    _label(ax, x0 + (steps - 1) * dx / 2, 34.5,
            "the same weights $W$, $b$ at every step:  $h_t = \\tanh(W[h_{t-1}, x_t] + b)$",
            size=10)
    return fig


def _line(ax, points: list[tuple[float, float]], *, arrow: bool = True, color: str = "#333333",
          lw: float = 1.3) -> None:
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1] if arrow else xs, ys[:-1] if arrow else ys, color=color, lw=lw)
    if arrow:
        _arrow(ax, points[-2], points[-1], color=color, lw=lw)


def _op(ax, x: float, y: float, text: str) -> None:
    ax.add_patch(matplotlib.patches.Circle((x, y), 1.5, fc="white", ec="#333333", lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _gated_cell(width: float, state: tuple[str, str], times_x: float, plus_x: float
                ) -> tuple[Figure, object, float, float]:
    """A gated cell's frame and its state line along the top, through a product at ``times_x``
    and a sum at ``plus_x``; returns the figure, its axes and the top and bottom rows."""
    fig, ax = _canvas(8.0, 4.6)
    ax.add_patch(FancyBboxPatch((10, 6), width, 30, boxstyle="round,pad=0.02,rounding_size=2",
                                fc="#fbf6ee", ec="#999999", lw=1))
    top, bottom = 32, 10
    _label(ax, 4, top, state[0])
    _line(ax, [(7, top), (times_x - 1.5, top)])
    _op(ax, times_x, top, "×")
    _line(ax, [(times_x + 1.5, top), (plus_x - 1.5, top)])
    _op(ax, plus_x, top, "+")
    _line(ax, [(plus_x + 1.5, top), (73, top)])
    _label(ax, 76, top, state[1])
    return fig, ax, top, bottom


def draw_lstm_cell() -> Figure:
    """The LSTM cell: the cell state runs along the top through a product and a sum only."""
    fig, ax, top, bottom = _gated_cell(58, ("$c_{t-1}$", "$c_t$"), times_x=24, plus_x=44)
    # inputs
    _label(ax, 4, bottom, "$h_{t-1}$")
    _label(ax, 30, 2, "$x_t$")
    _line(ax, [(7, bottom), (62, bottom)], arrow=False)
    _line(ax, [(30, 4), (30, bottom)], arrow=False)
    gates = [(20, "$\\sigma$", "forget $f_t$"), (32, "$\\sigma$", "input $i_t$"),
             (40, "tanh", "candidate $\\tilde c_t$"), (56, "$\\sigma$", "output $o_t$")]
    for x, text, name in gates:
        _line(ax, [(x, bottom), (x, 16)])
        _box(ax, x, 18, text, w=5, h=4, color=_GATE, size=10, round_=False)
        _label(ax, x - 0.8, 23.3, name, size=8, ha="right")
    _line(ax, [(20, 20), (20, 26), (24, 26), (24, top - 1.5)])
    _op(ax, 36, 26, "×")
    _line(ax, [(32, 20), (32, 26), (34.5, 26)])
    _line(ax, [(40, 20), (40, 26), (37.5, 26)])
    _line(ax, [(36, 27.5), (44, 27.5), (44, top - 1.5)])
    # output
    _box(ax, 62, 27, "tanh", w=5, h=3, color="white", size=9)
    _line(ax, [(62, top), (62, 28.5)])
    _op(ax, 62, 20.5, "×")
    _line(ax, [(62, 25.5), (62, 22)])
    _line(ax, [(56, 20), (56, 20.5), (60.5, 20.5)])
    _line(ax, [(63.5, 20.5), (66, 20.5), (66, 42)])
    _label(ax, 66, 44, "$h_t$")
    _line(ax, [(66, 20.5), (66, 10), (73, 10)])
    _label(ax, 76, 10, "$h_t$")
    _label(ax, 40, 39.5, "cell state: $c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t$  "
                         "(no weight matrix, no squashing)", size=9)
    return fig


def draw_gru_cell() -> Figure:
    """The GRU cell: the state is a gated mix of the old state and a candidate."""
    fig, ax, top, bottom = _gated_cell(56, ("$h_{t-1}$", "$h_t$"), times_x=38, plus_x=52)
    _label(ax, 30, 2, "$x_t$")
    _line(ax, [(14, top), (14, bottom), (52, bottom)], arrow=False)
    _line(ax, [(30, 4), (30, bottom)], arrow=False)
    for x, text, name in [(20, "$\\sigma$", "reset $r_t$"), (32, "$\\sigma$", "update $z_t$"),
                          (52, "tanh", "candidate $\\hat h_t$")]:
        _line(ax, [(x, bottom), (x, 16)])
        _box(ax, x, 18, text, w=5, h=4, color=_GATE, size=10, round_=False)
        where = {20: (17.3, 22.3, "right"), 32: (34.8, 21.8, "left"), 52: (55, 14.5, "left")}[x]
        _label(ax, where[0], where[1], name, size=8, ha=where[2])
    # reset gate: r * (U h_{t-1}) feeds the candidate
    _op(ax, 40, 14, "×")
    _line(ax, [(20, 20), (20, 25), (27, 25), (27, 14), (38.5, 14)])
    _line(ax, [(40, bottom), (40, 12.5)])
    _line(ax, [(41.5, 14), (46, 14), (46, 18), (49.5, 18)])
    # update gate: z * h_{t-1} + (1 - z) * candidate
    _line(ax, [(32, 20), (32, 27), (38, 27), (38, top - 1.5)])
    _label(ax, 35, 28.5, "$z_t$", size=8)
    _line(ax, [(38, 27), (44, 27)])
    _box(ax, 46, 27, "$1-$", w=4, h=2.6, color="white", size=8)
    _op(ax, 52, 27, "×")
    _line(ax, [(48, 27), (50.5, 27)])
    _line(ax, [(52, 20), (52, 25.5)])
    _line(ax, [(52, 28.5), (52, top - 1.5)])
    _line(ax, [(60, top), (60, 42)])
    _label(ax, 60, 44, "$h_t$")
    _label(ax, 38, 39.5, "$h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\hat h_t$: "
                         "keep ($z\\approx1$) or replace ($z\\approx0$)", size=9)
    return fig


def draw_stacked_bidirectional(steps: int = 3) -> Figure:
    """Left: two stacked layers; right: a bidirectional layer, outputs concatenated per step."""
    fig, ax = _canvas(10.0, 4.4)
    dx = 11
    for t in range(steps):  # stacked
        x = 8 + t * dx
        _box(ax, x, 4, f"$x_{t + 1}$", w=4, h=3, color=_INPUT)
        _box(ax, x, 15, "layer 1", w=7, h=4, size=8)
        _box(ax, x, 27, "layer 2", w=7, h=4, size=8)
        _box(ax, x, 38, f"$y_{t + 1}$", w=4, h=3, color=_OUTPUT)
        for y0, y1 in ((5.5, 13), (17, 25), (29, 36.5)):
            _arrow(ax, (x, y0), (x, y1))
        if t:
            _arrow(ax, (x - dx + 3.5, 15), (x - 3.5, 15))
            _arrow(ax, (x - dx + 3.5, 27), (x - 3.5, 27))
    _label(ax, 8 + dx, 42.5, "stacked: layer 2 reads layer 1's states", size=9)
    for t in range(steps):  # bidirectional
        x = 56 + t * dx
        _box(ax, x, 4, f"$x_{t + 1}$", w=4, h=3, color=_INPUT)
        _box(ax, x, 13, "forward", w=7, h=3.6, size=8)
        _box(ax, x, 22, "backward", w=7, h=3.6, size=8, color="#e3e3f7")
        _box(ax, x, 31, "concat", w=6, h=3, size=8, color="white", round_=False)
        _box(ax, x, 38.5, f"$y_{t + 1}$", w=4, h=3, color=_OUTPUT)
        _arrow(ax, (x, 5.5), (x, 11.2))
        _arrow(ax, (x + 3.6, 5.5), (x + 3.6, 20.2), rad=0.0)
        ax.plot([x, x + 3.6], [5.5, 5.5], color="#333333", lw=1.3)
        _arrow(ax, (x - 3.6, 14.8), (x - 2.5, 29.5), rad=0.25)
        _arrow(ax, (x, 23.8), (x, 29.5))
        _arrow(ax, (x, 32.5), (x, 37))
        if t:
            _arrow(ax, (x - dx + 3.5, 13), (x - 3.5, 13))
            _arrow(ax, (x - 3.5, 22), (x - dx + 3.5, 22))
    _label(ax, 56 + dx, 42.5, "bidirectional: one pass each way, $y_t = [\\vec h_t; "
                              "\\overleftarrow{h}_t]$", size=9)
    return fig


def draw_encoder_decoder(src: int = 4, tgt: int = 3) -> Figure:
    """An encoder over the source, a decoder over the target, and attention from one decoder
    step to every encoder state."""
    fig, ax = _canvas(10.0, 5.0)
    dx, y_enc, y_dec = 10, 14, 14
    enc_x = [8 + i * dx for i in range(src)]
    dec_x = [enc_x[-1] + 16 + i * dx for i in range(tgt)]
    for i, x in enumerate(enc_x):
        _box(ax, x, 4, f"$x_{i + 1}$", w=4, h=3, color=_INPUT)
        _box(ax, x, y_enc, f"$s_{i + 1}$", w=6, h=4)
        _arrow(ax, (x, 5.5), (x, y_enc - 2))
        if i:
            _arrow(ax, (x - dx + 3, y_enc), (x - 3, y_enc))
    _label(ax, (enc_x[0] + enc_x[-1]) / 2, 9.2, "encoder (source)", size=9)
    inputs = ["<s>", "$y_1$", "$y_2$"]
    for i, x in enumerate(dec_x):
        _box(ax, x, 4, inputs[i] if i < len(inputs) else f"$y_{i}$", w=4.6, h=3, color=_INPUT,
             size=9)
        _box(ax, x, y_dec, f"$h_{i + 1}$", w=6, h=4, color="#fff3d6")
        _box(ax, x, 40, f"$y_{i + 1}$", w=4, h=3, color=_OUTPUT)
        _arrow(ax, (x, 5.5), (x, y_dec - 2))
        if i:
            _arrow(ax, (x - dx + 3, y_dec), (x - 3, y_dec))
    _arrow(ax, (enc_x[-1] + 3, y_enc), (dec_x[0] - 3, y_dec), ls="--")
    _label(ax, (enc_x[-1] + dec_x[0]) / 2, y_enc + 2.3, "last state", size=7)
    _label(ax, (dec_x[0] + dec_x[-1]) / 2, 9.2, "decoder (target so far)", size=9)
    # attention from the second decoder step
    query = dec_x[1]
    _box(ax, query, 30, "context $c_2$", w=11, h=3.6, color=_ATTN, size=8)
    weights = [0.1, 0.6, 0.2, 0.1]
    for x, w in zip(enc_x, weights, strict=False):
        _arrow(ax, (x, y_enc + 2), (query - 5.5, 29.5), color="#7a5ca8", lw=0.6 + 4 * w, rad=-0.15)
        _label(ax, x, y_enc + 3.6, f"{w:.1f}", size=7, color="#7a5ca8")
    _arrow(ax, (query, y_dec + 2), (query, 28.2), color="#7a5ca8")
    _label(ax, query + 1, 22.5, "scores $e_{2j}$ →\nweights $\\alpha_{2j}$", size=7,
           color="#7a5ca8", ha="left")
    for x in dec_x:
        _arrow(ax, (x, y_dec + 2) if x != query else (query, 31.8), (x, 38.5))
    _label(ax, 50, 47, "attention: $c_t = \\sum_j \\alpha_{tj} s_j$, "
                       "$\\alpha_t = \\mathrm{softmax}_j(\\mathrm{score}(h_t, s_j))$", size=9)
    return fig


DIAGRAMS: dict[str, Callable[[], Figure]] = {
    "rnn_unrolled": draw_unrolled_rnn,
    "lstm_cell": draw_lstm_cell,
    "gru_cell": draw_gru_cell,
    "stacked_bidirectional": draw_stacked_bidirectional,
    "encoder_decoder_attention": draw_encoder_decoder,
}

#: Alt text for each diagram, used by the notebooks' markdown image cells.
ALT: dict[str, str] = {
    "rnn_unrolled": "An RNN cell with a loop from its output back to its input, equal to the same "
                    "cell copied over four time steps: each copy reads x_t and the previous state "
                    "h_{t-1} and outputs h_t, with the same weights at every step.",
    "lstm_cell": "The LSTM cell: the cell state runs along the top, multiplied by the forget gate "
                 "and added to the input gate times the candidate; the output gate times tanh of "
                 "the cell state gives h_t. Gates are sigmoid boxes fed by h_{t-1} and x_t.",
    "gru_cell": "The GRU cell: the reset gate scales the old state inside the candidate; the "
                "update gate z mixes the old state (z) and the candidate (1 - z) into h_t.",
    "stacked_bidirectional": "Left: two recurrent layers stacked, the second reading the first's "
                             "state at every step. Right: a bidirectional layer, a forward pass "
                             "left to right and a backward pass right to left, their states "
                             "concatenated at every step.",
    "encoder_decoder_attention": "An encoder reads the source into states s_1..s_4; its last "
                                 "state starts the decoder, which reads <s>, y_1, y_2. At decoder "
                                 "step 2, attention weights over all encoder states (thicker "
                                 "arrows for larger weights) form a context vector used to "
                                 "predict y_2.",
}


def write_all(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Save every diagram as ``out_dir/<name>.svg`` (byte-stable) and return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    rc = {"svg.hashsalt": "rnnbook", "svg.fonttype": "none", "font.family": "DejaVu Sans",
          "mathtext.fontset": "dejavusans"}
    with matplotlib.rc_context(rc):
        for name, draw in DIAGRAMS.items():
            fig = draw()
            path = out / f"{name}.svg"
            fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
            paths.append(path)
    return paths


if __name__ == "__main__":  # python -m rnnbook.diagrams notebooks/figures
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "notebooks/figures"):
        print(f"written: {written}")
