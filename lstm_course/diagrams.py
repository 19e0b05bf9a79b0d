"""Diagrams of the book, drawn with matplotlib in the book's notation.

Five pictures: an LSTM cell and a GRU cell drawn gate by gate (book/lstm.md, book/gru.md), an RNN
unrolled in time with its forward and backward (delta) flow (book/bptt.md), and the stacked and the
bidirectional layouts of recurrent layers, unrolled (book/deep_rnns.md). They are drawn from
code, not from image files, so that they use the same symbols as the equations (gate order i, f, g, o
and r, z, n of ``torch.nn``; ``c_t``, ``h_t``, ``x_t``; ``delta`` for gradients) and are regenerated
with every build.

A cell can be drawn with one *stage* highlighted: the parts that one equation adds are drawn in colour,
the rest in grey, so that a chapter can build the same picture up equation by equation. Every drawing
function returns the matplotlib ``Figure``; the elements it draws carry a ``gid`` (``"gate-f"``,
``"op-c-plus"``, ...), which the tests and the SVG output use to find them.
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

# Colours of the book's figures: sigmoid gates, tanh units, the cell state's path, backward flow.
SIGMOID = "#1f77b4"
TANH = "#d62728"
STATE = "#2ca02c"
GRADIENT = "#ff7f0e"
REVERSE = "#9467bd"  # the backward-in-time direction of a bidirectional layer
MUTED = "#c8c8c8"
INK = "#222222"

# What each stage of a cell adds, by gid; a stage is drawn in colour and the rest in grey.
LSTM_STAGES = {
    "cell": {"path-c", "op-c-plus"},  # the carousel: c_t = c_(t-1) + what is written
    "input": {"gate-i", "gate-g", "op-ig-times"},
    "forget": {"gate-f", "op-c-times"},
    "output": {"gate-o", "op-tanh-c", "op-h-times", "path-h"},
}
GRU_STAGES = {
    "reset": {"gate-r", "gate-n"},
    "update": {"gate-z", "op-keep-times", "op-one-minus", "op-write-times", "op-h-plus", "path-h"},
}


def _new_axes(width: float, height: float, figsize: tuple) -> tuple:
    fig, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(-0.7, height + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


class _Canvas:
    """Draws boxes, operators and arrows; greys out every element not in ``active`` (None: all active)."""

    def __init__(self, ax, active: Optional[set]):
        self.ax = ax
        self.active = active

    def colour(self, gid: str, colour: str) -> str:
        return colour if self.active is None or gid in self.active else MUTED

    def box(self, gid: str, x: float, y: float, text: str, colour: str, label: str = "") -> None:
        c = self.colour(gid, colour)
        self.ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.05",
                                         facecolor=c, edgecolor=c, gid=gid))
        self.ax.text(x, y, text, ha="center", va="center", color="white", fontsize=11, gid=gid + "-text")
        if label:
            self.ax.text(x + 0.55, y + 0.45, label, ha="left", va="bottom", color=c, fontsize=11)

    def op(self, gid: str, x: float, y: float, text: str, colour: str = INK) -> None:
        c = self.colour(gid, colour)
        word = len(text) > 2  # "tanh" needs a larger circle than a symbol
        self.ax.add_patch(Circle((x, y), 0.36 if word else 0.27, facecolor="white", edgecolor=c, linewidth=1.5,
                                 gid=gid))
        self.ax.text(x, y, text, ha="center", va="center", color=c, fontsize=9 if word else 12)

    def arrow(self, points: list, gid: str, colour: str = INK, style: str = "-", width: float = 1.3) -> None:
        """A polyline through ``points`` with an arrow head at its end."""
        c = self.colour(gid, colour)
        for start, end in zip(points[:-2], points[1:-1]):
            self.ax.plot(*zip(start, end), color=c, linestyle=style, linewidth=width, gid=gid,
                         solid_capstyle="round")
        self.ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=12,
                                          color=c, linestyle=style, linewidth=width, shrinkA=0, shrinkB=0,
                                          gid=gid))

    def state_line(self, gid: str, label_in: str, label_out: str, ops_at: tuple, y: float = 5.0) -> None:
        """The carried state along the top, from the left edge to the right, broken at the operators."""
        ends = [0.0] + [x for op in ops_at for x in (op - 0.25, op + 0.25)] + [10.0]
        for start, end in zip(ends[::2], ends[1::2]):
            self.arrow([(start, y), (end, y)], gid, STATE, width=2.2)
        self.text(-0.5, y + 0.25, label_in)
        self.text(9.6, y + 0.25, label_out)

    def text(self, x: float, y: float, text: str, **kwargs) -> None:
        self.ax.text(x, y, text, **{"fontsize": 12, "color": INK, **kwargs})


Stage = Union[None, str, Iterable[str]]


def _stage_elements(stages: dict, stage: Stage) -> Optional[set]:
    """The gids to draw in colour: all (None), or those of one stage or of several."""
    if stage is None:
        return None
    names = [stage] if isinstance(stage, str) else list(stage)
    for name in names:
        if name not in stages:
            raise ValueError(f"stage must be one of {sorted(stages)}, several of them, or None; got {name!r}")
    return set().union(*(stages[name] for name in names))


def lstm_cell(stage: Stage = None, figsize: tuple = (7.0, 4.2)):
    """The LSTM cell of book/lstm.md, eq-lstm-preact to eq-lstm-out, gate by gate.

    Args:
        stage: None to draw everything in colour, or one or several of ``"cell"`` (the carousel
            c_t = c_(t-1) + ..., eq-lstm-cec), ``"input"`` (the input gate and candidate that write into
            it), ``"forget"`` (eq-lstm-forget's scaling of c_(t-1)) and ``"output"`` (eq-lstm-out) to
            highlight what they add.
        figsize: the figure's size in inches.

    Returns:
        the matplotlib ``Figure``.
    """
    fig, ax = _new_axes(10, 5.6, figsize)
    d = _Canvas(ax, _stage_elements(LSTM_STAGES, stage))
    # The cell state runs along the top, the hidden state and the input along the bottom.
    d.state_line("path-c", r"$c_{t-1}$", r"$c_t$", ops_at=(3.0, 5.5))
    d.arrow([(0, 0.9), (7.5, 0.9)], "bus", INK)
    d.text(-0.5, 1.1, r"$h_{t-1}$")
    d.arrow([(1.2, -0.5), (1.2, 0.9)], "bus", INK)
    d.text(1.35, -0.55, r"$x_t$")
    for gid, x, text, colour, label in (("gate-f", 3.0, r"$\sigma$", SIGMOID, r"$f_t$"),
                                        ("gate-i", 4.4, r"$\sigma$", SIGMOID, r"$i_t$"),
                                        ("gate-g", 5.5, "tanh", TANH, r"$g_t$"),
                                        ("gate-o", 7.0, r"$\sigma$", SIGMOID, r"$o_t$")):
        d.arrow([(x, 0.9), (x, 1.95)], gid, INK)
        d.box(gid, x, 2.3, text, colour, label)
    d.op("op-c-times", 3.0, 5, r"$\times$")
    d.arrow([(3.0, 2.65), (3.0, 4.73)], "gate-f", SIGMOID)
    d.op("op-ig-times", 5.5, 3.9, r"$\times$")
    d.arrow([(4.4, 2.65), (4.4, 3.9), (5.23, 3.9)], "gate-i", SIGMOID)
    d.arrow([(5.5, 2.65), (5.5, 3.63)], "gate-g", TANH)
    d.op("op-c-plus", 5.5, 5, "+")
    d.arrow([(5.5, 4.17), (5.5, 4.73)], "op-ig-times", INK)
    # The output: tanh of the new cell state, gated by o_t.
    d.arrow([(8.3, 5), (8.3, 4.21)], "op-tanh-c", STATE)
    d.op("op-tanh-c", 8.3, 3.85, "tanh", TANH)
    d.op("op-h-times", 8.3, 2.3, r"$\times$")
    d.arrow([(8.3, 3.49), (8.3, 2.57)], "op-tanh-c", TANH)
    d.arrow([(7.45, 2.3), (8.03, 2.3)], "gate-o", SIGMOID)
    d.arrow([(8.57, 2.3), (9.3, 2.3), (9.3, 0.9), (10, 0.9)], "path-h", INK, width=1.8)
    d.text(9.6, 0.45, r"$h_t$")
    return fig


def gru_cell(stage: Stage = None, figsize: tuple = (7.0, 4.2)):
    """The GRU cell of book/gru.md in PyTorch's reset-after form, eq-gru-reset-update,
    eq-gru-candidate-after and eq-gru-interpolation, gate by gate.

    Args:
        stage: None, or one or both of ``"reset"`` (the reset gate inside the candidate) and
            ``"update"`` (the update gate's mix of the old state and the candidate) to highlight.
        figsize: the figure's size in inches.

    Returns:
        the matplotlib ``Figure``.
    """
    fig, ax = _new_axes(10, 5.6, figsize)
    d = _Canvas(ax, _stage_elements(GRU_STAGES, stage))
    d.state_line("path-h", r"$h_{t-1}$", r"$h_t$", ops_at=(4.0, 8.0))
    d.arrow([(0.6, 5), (0.6, 0.9), (6.5, 0.9)], "bus", INK)
    d.arrow([(1.4, -0.5), (1.4, 0.9)], "bus", INK)
    d.text(1.55, -0.55, r"$x_t$")
    for gid, x, text, colour, label in (("gate-r", 2.6, r"$\sigma$", SIGMOID, r"$r_t$"),
                                        ("gate-z", 4.0, r"$\sigma$", SIGMOID, r"$z_t$"),
                                        ("gate-n", 6.5, "tanh", TANH, r"$n_t$")):
        d.arrow([(x, 0.9), (x, 1.95)], gid, INK)
        d.box(gid, x, 2.3, text, colour, label)
    # The reset gate scales the recurrent term W_hn h_{t-1} + b_hn inside the candidate.
    d.arrow([(3.05, 2.3), (3.3, 2.3), (3.3, 1.5), (6.05, 1.5), (6.05, 1.95)], "gate-r", SIGMOID)
    d.text(4.45, 1.12, r"$r_t \odot (W_{hn} h_{t-1} + b_{hn})$", fontsize=9, ha="left")
    # The update gate keeps z_t of the old state and writes 1 - z_t of the candidate.
    d.op("op-keep-times", 4.0, 5, r"$\times$")
    d.arrow([(4.0, 2.65), (4.0, 4.73)], "gate-z", SIGMOID)
    d.op("op-one-minus", 5.3, 3.4, "1−", SIGMOID)
    d.arrow([(4.0, 3.4), (5.03, 3.4)], "gate-z", SIGMOID)
    d.op("op-write-times", 6.5, 3.9, r"$\times$")
    d.arrow([(5.57, 3.4), (6.5, 3.4), (6.5, 3.63)], "op-one-minus", SIGMOID)
    d.arrow([(6.95, 2.3), (7.3, 2.3), (7.3, 3.9), (6.77, 3.9)], "gate-n", TANH)
    d.op("op-h-plus", 8.0, 5, "+")
    d.arrow([(6.5, 4.17), (6.5, 4.5), (8.0, 4.5), (8.0, 4.73)], "op-write-times", INK)
    return fig


def unrolled_rnn(steps: int = 4, figsize: tuple = (8.0, 3.8)):
    """An RNN unrolled over ``steps`` steps (book/bptt.md): the forward pass x_t -> h_t -> loss l_t and
    h_{t-1} -> h_t in black, the backward pass of eq-bptt-delta (the loss's gradient into each h_t and
    W_hh^T delta_{t+1} from each step to the one before) in orange, dashed.

    Returns:
        the matplotlib ``Figure``.
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2 to show the recurrence, got {steps}")
    gap = 2.4
    width = gap * steps
    fig, ax = _new_axes(width, 4.2, figsize)
    d = _Canvas(ax, None)
    d.text(-0.45, 1.95, r"$h_0$")
    for t in range(1, steps + 1):
        x = gap * t - 0.6
        last = t == steps
        name = "T" if last and steps > 3 else str(t)
        d.box("input", x, 0.0, rf"$x_{{{name}}}$", "#7f7f7f")
        d.box("state", x, 2.0, rf"$h_{{{name}}}$", STATE)
        d.box("loss", x, 4.0, rf"$\ell_{{{name}}}$", "#7f7f7f")
        d.arrow([(x - 0.12, 0.35), (x - 0.12, 1.65)], "forward")
        d.arrow([(x - 0.12, 2.35), (x - 0.12, 3.65)], "forward")
        d.arrow([(x + 0.12, 3.65), (x + 0.12, 2.35)], "backward", GRADIENT, style="--")
        prev = x - gap
        start = 0.0 if t == 1 else prev + 0.5
        d.arrow([(start, 2.12), (x - 0.5, 2.12)], "forward")
        if t > 1:
            d.arrow([(x - 0.5, 1.88), (prev + 0.5, 1.88)], "backward", GRADIENT, style="--")
            d.text(x - gap / 2, 1.45, r"$W_{hh}^\top \delta_{" + name + "}$", fontsize=9, ha="center",
                   color=GRADIENT)
            d.text(x - gap / 2, 2.3, r"$W_{hh}$", fontsize=9, ha="center")
        d.text(x + 0.22, 2.85, r"$\partial \ell_{" + name + r"} / \partial h_{" + name + "}$", fontsize=8,
               color=GRADIENT)
    if steps > 3:
        d.text(gap * (steps - 1) - 0.6 + gap / 2 - 0.2, 3.0, r"$\cdots$")
    return fig


def stacked_rnn(layers: int = 3, steps: int = 3, figsize: tuple = (6.4, 4.6)):
    """A stack of ``layers`` recurrent layers unrolled over ``steps`` steps (book/deep_rnns.md,
    eq-var-stacked): layer k reads the hidden state of layer k - 1 at the same step (arrows ``"up"``)
    and its own state of the step before (arrows ``"recurrent"``, from h^k_0 on the left).

    Returns:
        the matplotlib ``Figure``.
    """
    if layers < 2 or steps < 2:
        raise ValueError(f"layers and steps must be at least 2 to show a stack, got {layers} and {steps}")
    gap, rise = 2.2, 1.5
    fig, ax = _new_axes(gap * steps, rise * layers + 0.4, figsize)
    d = _Canvas(ax, None)
    for k in range(1, layers + 1):
        y = rise * k
        d.text(-0.55, y + 0.15, rf"$h^{{{k}}}_0$")
        for t in range(1, steps + 1):
            x = gap * t - 0.6
            if k == 1:
                d.box("input", x, 0.0, rf"$x_{{{t}}}$", "#7f7f7f")
            d.box(f"layer-{k}", x, y, rf"$h^{{{k}}}_{{{t}}}$", STATE)
            d.arrow([(x, y - rise + 0.35), (x, y - 0.35)], "up")
            d.arrow([(0.0 if t == 1 else x - gap + 0.5, y), (x - 0.5, y)], "recurrent", STATE)
    return fig


def bidirectional_rnn(steps: int = 3, figsize: tuple = (6.4, 4.2)):
    """A bidirectional layer unrolled over ``steps`` steps (book/deep_rnns.md, eq-var-bidirectional):
    the forward direction runs left to right from its initial state (arrows ``"forward"``), the
    backward direction right to left from the state after the last step (arrows ``"backward"``, in
    purple), both read x_t (arrows ``"read"``), and y_t puts their states side by side (arrows
    ``"concat"``).

    Returns:
        the matplotlib ``Figure``.
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2 to show the two directions, got {steps}")
    gap, shift = 2.6, 0.55  # each direction's boxes sit to one side of x_t, so that the arrows pass between them
    width = gap * (steps - 1) + 3.4
    fig, ax = _new_axes(width, 4.6, figsize)
    d = _Canvas(ax, None)
    d.text(-0.55, 1.95, r"$\overrightarrow{h}_0$")
    d.text(width - 0.2, 3.35, rf"$\overleftarrow{{h}}_{{{steps + 1}}}$")
    for t in range(1, steps + 1):
        x = gap * (t - 1) + 1.7
        d.box("input", x, 0.0, rf"$x_{{{t}}}$", "#7f7f7f")
        d.box("state-forward", x - shift, 1.7, rf"$\overrightarrow{{h}}_{{{t}}}$", STATE)
        d.box("state-backward", x + shift, 3.1, rf"$\overleftarrow{{h}}_{{{t}}}$", REVERSE)
        d.box("output", x, 4.6, rf"$y_{{{t}}}$", INK)
        d.arrow([(x - 0.25, 0.35), (x - shift, 1.35)], "read")
        d.arrow([(x + shift, 0.35), (x + shift, 2.75)], "read")
        d.arrow([(x - shift, 2.05), (x - 0.2, 4.25)], "concat", STATE)
        d.arrow([(x + shift, 3.45), (x + 0.2, 4.25)], "concat", REVERSE)
        d.arrow([(0.0 if t == 1 else x - gap - shift + 0.5, 1.7), (x - shift - 0.5, 1.7)], "forward", STATE)
        d.arrow([(width if t == steps else x + gap + shift - 0.5, 3.1), (x + shift + 0.5, 3.1)], "backward",
                REVERSE)
    return fig
