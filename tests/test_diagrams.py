"""The diagrams of ``lstm_course.diagrams`` render, carry the book's symbols, and highlight what each
stage adds."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstm_course import diagrams  # noqa: E402


def texts(fig) -> set:
    return {text.get_text() for text in fig.axes[0].texts}


def colours_by_gid(fig) -> dict:
    """gid -> set of edge/line colours (as hex) of every artist with that gid."""
    found = {}
    ax = fig.axes[0]
    for artist in list(ax.patches) + list(ax.lines):
        gid = artist.get_gid()
        if gid is None:
            continue
        colour = artist.get_color() if hasattr(artist, "get_xdata") else artist.get_edgecolor()
        found.setdefault(gid, set()).add(mcolors.to_hex(colour))
    return found


def render(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


@pytest.mark.parametrize("draw, symbols", [
    (diagrams.lstm_cell, {r"$c_{t-1}$", r"$c_t$", r"$h_{t-1}$", r"$h_t$", r"$x_t$", r"$f_t$", r"$i_t$", r"$g_t$",
                          r"$o_t$", "tanh"}),
    (diagrams.gru_cell, {r"$h_{t-1}$", r"$h_t$", r"$x_t$", r"$r_t$", r"$z_t$", r"$n_t$", "1−"}),
    (diagrams.unrolled_rnn, {r"$h_0$", r"$x_{1}$", r"$h_{1}$", r"$\ell_{1}$", r"$W_{hh}$", r"$W_{hh}^\top \delta_{2}$"}),
    (diagrams.stacked_rnn, {r"$x_{1}$", r"$h^{1}_0$", r"$h^{1}_{1}$", r"$h^{3}_{3}$"}),
    (diagrams.bidirectional_rnn, {r"$x_{1}$", r"$\overrightarrow{h}_0$", r"$\overleftarrow{h}_{4}$",
                                  r"$\overrightarrow{h}_{1}$", r"$\overleftarrow{h}_{3}$", r"$y_{2}$"}),
])
def test_diagram_renders_with_the_books_symbols(draw, symbols):
    fig = draw()
    assert symbols <= texts(fig)
    svg = render(fig)
    assert svg.startswith(b"<?xml") and len(svg) > 10_000


def test_lstm_cell_has_three_sigmoid_gates_and_one_tanh_candidate():
    """The candidate g is a tanh, not a gate (a common mistake in diagrams, book/variants.md)."""
    colours = colours_by_gid(diagrams.lstm_cell())
    for gate in ("gate-i", "gate-f", "gate-o"):
        assert mcolors.to_hex(diagrams.SIGMOID) in colours[gate]
    assert mcolors.to_hex(diagrams.TANH) in colours["gate-g"]
    assert "gate-c" not in colours and not any(gid.startswith("peephole") for gid in colours)


@pytest.mark.parametrize("draw, stages", [(diagrams.lstm_cell, diagrams.LSTM_STAGES),
                                          (diagrams.gru_cell, diagrams.GRU_STAGES)])
def test_a_stage_greys_out_everything_it_does_not_add(draw, stages):
    muted = mcolors.to_hex(diagrams.MUTED)
    everything = colours_by_gid(draw())
    assert all(muted not in colours for colours in everything.values())
    for stage, added in stages.items():
        colours = colours_by_gid(draw(stage))
        assert added <= set(colours), f"{stage}: {added - set(colours)} not drawn"
        for gid, found in colours.items():
            if gid in added:
                assert muted not in found, (stage, gid)
            else:
                assert found == {muted}, (stage, gid, found)
        plt.close("all")


def test_stages_of_a_cell_cover_its_gates_once():
    lstm = [gid for added in diagrams.LSTM_STAGES.values() for gid in added if gid.startswith("gate-")]
    assert sorted(lstm) == ["gate-f", "gate-g", "gate-i", "gate-o"]
    gru = [gid for added in diagrams.GRU_STAGES.values() for gid in added if gid.startswith("gate-")]
    assert sorted(gru) == ["gate-n", "gate-r", "gate-z"]


def test_several_stages_highlight_their_union():
    """The memory cell of 1997 (book/lstm.md): everything but the forget gate."""
    muted = mcolors.to_hex(diagrams.MUTED)
    colours = colours_by_gid(diagrams.lstm_cell(("cell", "input", "output")))
    assert colours["gate-f"] == {muted} and colours["op-c-times"] == {muted}
    for gid in ("path-c", "gate-i", "gate-g", "gate-o", "op-c-plus", "path-h"):
        assert muted not in colours[gid], gid
    plt.close("all")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="stage must be one of"):
        diagrams.lstm_cell("candidate")
    with pytest.raises(ValueError, match="stage must be one of"):
        diagrams.gru_cell("forget")
    with pytest.raises(ValueError, match="stage must be one of"):
        diagrams.lstm_cell(["input", "peephole"])
    with pytest.raises(ValueError, match="at least 2"):
        diagrams.unrolled_rnn(1)
    with pytest.raises(ValueError, match="at least 2"):
        diagrams.stacked_rnn(layers=1)
    with pytest.raises(ValueError, match="at least 2"):
        diagrams.bidirectional_rnn(steps=1)


def test_unrolled_rnn_draws_one_column_per_step_and_the_backward_flow():
    fig = diagrams.unrolled_rnn(steps=5)
    labels = texts(fig)
    assert {r"$x_{1}$", r"$x_{2}$", r"$x_{3}$", r"$x_{4}$", r"$x_{T}$"} <= labels
    gradient = mcolors.to_hex(diagrams.GRADIENT)
    colours = colours_by_gid(fig)
    assert colours["backward"] == {gradient} and gradient not in colours["forward"]
    # one arrow from each loss into its state, one from each step back to the one before
    heads = [p for p in fig.axes[0].patches if p.get_gid() == "backward"]
    assert len(heads) == 5 + 4
    plt.close(fig)


def arrow_heads(fig, gid: str) -> list:
    """(start, end) of every arrow head with that gid, in data coordinates."""
    return [p._posA_posB for p in fig.axes[0].patches if p.get_gid() == gid]


def test_stacked_rnn_feeds_each_layer_from_below_and_from_its_own_past():
    """eq-var-stacked: h^k_t reads h^(k-1)_t (up) and h^k_(t-1) (to the right), nothing else."""
    fig = diagrams.stacked_rnn(layers=3, steps=4)
    boxes = [p.get_gid() for p in fig.axes[0].patches if p.get_gid() and p.get_gid().startswith("layer-")]
    assert sorted(set(boxes)) == ["layer-1", "layer-2", "layer-3"] and len(boxes) == 3 * 4
    up, recurrent = arrow_heads(fig, "up"), arrow_heads(fig, "recurrent")
    assert len(up) == len(recurrent) == 3 * 4  # one per state; the recurrent ones include h^k_0 -> h^k_1
    assert all(start[0] == end[0] and end[1] > start[1] for start, end in up)
    assert all(start[1] == end[1] and end[0] > start[0] for start, end in recurrent)
    plt.close(fig)


def test_bidirectional_rnn_runs_its_two_directions_opposite_ways_into_one_output():
    """eq-var-bidirectional: forward states left to right, backward right to left, both into y_t."""
    fig = diagrams.bidirectional_rnn(steps=4)
    forward, backward = arrow_heads(fig, "forward"), arrow_heads(fig, "backward")
    assert len(forward) == len(backward) == 4
    assert all(start[1] == end[1] and end[0] > start[0] for start, end in forward)
    assert all(start[1] == end[1] and end[0] < start[0] for start, end in backward)
    assert len(arrow_heads(fig, "read")) == len(arrow_heads(fig, "concat")) == 2 * 4
    colours = colours_by_gid(fig)
    assert colours["backward"] == {mcolors.to_hex(diagrams.REVERSE)}
    assert colours["forward"] == {mcolors.to_hex(diagrams.STATE)}
    plt.close(fig)
