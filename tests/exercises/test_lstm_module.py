"""Tests of the exercise notebook exercises/lstm_module.ipynb (Exercise 5: an LSTM cell as an nn.Module).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.

Q2's answer is a class, not a function: its cell starts with the class line
and has one solution region per method, after the method's def line and
docstring.
"""

from __future__ import annotations

import pytest

from lstm_course.grading.release import STUB, release_notebook

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "lstm_module.ipynb"
POINTS = {"q1_lstm_cell_step_test": 2, "q2_lstm_cell_module_test": 4, "q3_train_adding_test": 3}
CLASS_CELL = "q2_lstm_cell_module"
METHODS = ["__init__(self, input_size, hidden_size)", "reset_parameters(self)", "forward(self, input, hx=None)"]


def test_the_class_answer_has_the_methods_of_torch_nn_lstmcell():
    (cell,) = [cell for cell in notebooks.read(NOTEBOOK).cells if cell.metadata.nbgrader.grade_id == CLASS_CELL]
    assert cell.source.startswith('class LSTMCell(nn.Module):\n    """')
    assert [method.split(":\n")[0] for method in cell.source.split("\n    def ")[1:]] == METHODS


def test_the_released_class_keeps_its_method_signatures():
    cells = {c.metadata.nbgrader.grade_id: c.source for c in release_notebook(notebooks.read(NOTEBOOK)).cells}
    for method in METHODS:
        assert f"    def {method}:\n" in cells[CLASS_CELL]
    assert cells[CLASS_CELL].count("        " + STUB[1]) == len(METHODS)
    assert "        super().__init__()\n        " + STUB[0] in cells[CLASS_CELL]


# mistake: (answer cell, its right code, the wrong code, the test cells that fail, what the first one says)
MISTAKES = {
    "gate order i, f, o, g": (
        "q1_lstm_cell_step",
        "    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)",
        "    a_i, a_f, a_o, a_g = a.chunk(4, dim=1)",
        list(POINTS),  # Q2 checks lstm_cell_step first; Q3 trains with it
        ["c_next (B=1, D=3, H=4) is wrong",
         "Looks like: the gates are taken in the order i, f, o, g; the stored order is i, f, g, o"],
    ),
    "initial bound 1/sqrt(input_size)": (
        CLASS_CELL,
        "        bound = 1 / math.sqrt(self.hidden_size)",
        "        bound = 1 / math.sqrt(self.input_size)",
        ["q2_lstm_cell_module_test", "q3_train_adding_test"],
        ["LSTMCell(24, 40).weight_ih has values from",
         "Looks like: k = 1/sqrt(input_size); torch.nn.LSTMCell uses 1/sqrt(hidden_size)"],
    ),
    "hx=None not handled": (
        CLASS_CELL,
        "        if hx is None:\n"
        "            zeros = input.new_zeros(input.shape[0], self.hidden_size)  # (B, H)\n"
        "            hx = (zeros, zeros)\n",
        "",
        ["q2_lstm_cell_module_test", "q3_train_adding_test"],
        ["LSTMCell.forward(input) (B=1, D=3, H=4), without hx, raised TypeError",
         "Looks like: hx=None is not handled; start from h = c = zeros of shape (B, H)"],
    ),
    "forward returns (c, h)": (
        CLASS_CELL,
        "        return lstm_cell_step(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)",
        "        h_next, c_next = lstm_cell_step(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)\n"
        "        return c_next, h_next",
        ["q2_lstm_cell_module_test", "q3_train_adding_test"],
        ["c_next of LSTMCell.forward (B=1, D=3, H=4) is wrong",
         "Looks like: forward returns (c_next, h_next); torch.nn.LSTMCell returns (h_next, c_next)"],
    ),
    "head created before the cell": (
        "q3_train_adding",
        "    cell = LSTMCell(inputs.shape[2], hidden_size).double()  # first the cell, then the head: same draws as torch\n"
        "    head = nn.Linear(hidden_size, 1).double()",
        "    head = nn.Linear(hidden_size, 1).double()\n    cell = LSTMCell(inputs.shape[2], hidden_size).double()",
        ["q3_train_adding_test"],
        ["losses[0], the loss before any update", "Looks like: the head is created before the cell"],
    ),
    "gradients not zeroed": (
        "q3_train_adding",
        "        optimizer.zero_grad()\n",
        "",
        ["q3_train_adding_test"],
        ["the list of losses of train_adding (compared with the same training of torch.nn.LSTMCell) is wrong",
         "Looks like: the gradients are not zeroed at each step (optimizer.zero_grad()): they accumulate"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    answer_id, right, wrong, failing, says = MISTAKES[mistake]
    cells, results = notebooks.run_with_mistake(NOTEBOOK, answer_id, right, wrong)
    assert [g for g, r in results.items() if not r.passed] == failing
    notebooks.assert_names_the_mistake(cells[failing[0]], says)
    if answer_id.startswith("q1"):
        assert "which Q2 builds on (pass Q1 first)" in results["q2_lstm_cell_module_test"].feedback
