"""What every exercise notebook in ``exercises/`` must satisfy, whatever its subject.

Each notebook's own module (``test_<name>.py``) adds the common
mistakes that its test cells must name. Here, for every notebook: its nbgrader
metadata is well formed and its questions and points are the ones below (the
contract with students and instructors); its stored outputs are current; the
self-check gives the source full marks; its student version scores zero,
every test cell failing with NotImplementedError and nothing else; and no
answer needs the package's reference implementations, which the grader
withholds from students' code.
"""

from __future__ import annotations

import pytest

from lstm_course.grading.check import check_notebook, collect_results
from lstm_course.grading.release import BEGIN_HIDDEN, END_HIDDEN, release_notebook

from . import notebooks

POINTS = {
    "rnn_step.ipynb": {"q1_rnn_step_forward_test": 2, "q2_rnn_step_backward_test": 3, "q3_rnn_forward_test": 2},
    "lstm_cell.ipynb": {"q1_sigmoid_test": 2, "q2_lstm_step_forward_test": 3, "q3_lstm_step_backward_test": 4},
    "gru_cell.ipynb": {"q1_gru_step_forward_test": 3, "q2_gru_step_backward_test": 4, "q3_gru_forward_test": 2},
    "clipping_init.ipynb": {"q1_clip_grad_norm_test": 3, "q2_orthogonal_test": 3, "q3_lstm_forget_bias_test": 2},
    "lstm_module.ipynb": {"q1_lstm_cell_step_test": 2, "q2_lstm_cell_module_test": 4, "q3_train_adding_test": 3},
    "char_lm_sampling.ipynb": {"q1_softmax_with_temperature_test": 2, "q2_top_k_filter_test": 2,
                               "q3_sample_next_test": 3, "q4_generate_test": 3},
    "attention_beam.ipynb": {"q1_masked_softmax_test": 2, "q2_additive_scores_test": 2,
                             "q3_general_attention_test": 2, "q4_length_normalized_score_test": 2,
                             "q5_beam_search_test": 4},
    "forecaster.ipynb": {"q1_make_windows_test": 2, "q2_standardize_test": 2, "q3_seasonal_naive_test": 2,
                         "q4_train_forecaster_test": 3},
    "padded_batches.ipynb": {"q1_pad_sequences_test": 2, "q2_masked_mean_test": 2,
                             "q3_masked_cross_entropy_test": 2, "q4_last_hidden_test": 2,
                             "q5_packed_lstm_test": 3},
    "tagging_spans.ipynb": {"q1_bio_tags_test": 2, "q2_bio_spans_test": 3, "q3_span_f1_test": 2,
                            "q4_reverse_padded_test": 2, "q5_bidirectional_lstm_test": 3},
}
NAMES = list(POINTS)
# The notebooks with hidden tests: the test cell that holds them, and a text found only in them.
HIDDEN = {
    "gru_cell.ipynb": ("q1_gru_step_forward_test", "GRUCell"),
    "clipping_init.ipynb": ("q1_clip_grad_norm_test", "import torch"),
    "lstm_module.ipynb": ("q2_lstm_cell_module_test", "(5, 7, 9)"),
    "attention_beam.ipynb": ("q5_beam_search_test", "eos_bias=-1.0"),
    "padded_batches.ipynb": ("q4_last_hidden_test", "[9, 1, 5, 1]"),
    "tagging_spans.ipynb": ("q4_reverse_padded_test", "more than three axes"),
}


def test_every_notebook_is_listed_here():
    assert sorted(path.name for path in notebooks.EXERCISES.glob("*.ipynb")) == sorted(POINTS)


@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_well_formed_with_the_listed_points(name):
    assert notebooks.assert_metadata_well_formed(notebooks.read(notebooks.EXERCISES / name)) == POINTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_current(name):
    notebooks.assert_stored_outputs_are_current(notebooks.EXERCISES / name)


@pytest.mark.parametrize("name", NAMES)
def test_the_source_scores_full_points_in_the_self_check(name):
    results = check_notebook(notebooks.EXERCISES / name)
    assert [(r.grade_id, r.points, r.passed) for r in results] == [(g, p, True) for g, p in POINTS[name].items()], \
        [r.feedback for r in results if not r.passed]


@pytest.mark.parametrize("name", NAMES)
def test_the_student_version_scores_zero_with_only_not_implemented_errors(name):
    student = notebooks.run_released(notebooks.EXERCISES / name)
    results = collect_results(student)
    assert [r.grade_id for r in results] == list(POINTS[name])
    assert sum(r.earned for r in results) == 0
    notebooks.assert_every_test_fails_with_not_implemented(student)
    assert all(BEGIN_HIDDEN not in cell.source for cell in student.cells)


@pytest.mark.parametrize("name", NAMES)
def test_hidden_tests_are_in_the_source_only(name):
    source = notebooks.read(notebooks.EXERCISES / name)
    with_hidden = [cell.metadata.nbgrader.grade_id for cell in source.cells if BEGIN_HIDDEN in cell.source]
    assert with_hidden == ([HIDDEN[name][0]] if name in HIDDEN else [])
    if name in HIDDEN:
        grade_id, hidden_text = HIDDEN[name]
        assert hidden_text in "".join(cell.source for cell in source.cells)
        released = {cell.metadata.nbgrader.grade_id: cell.source for cell in release_notebook(source).cells}
        assert not any(hidden_text in text or BEGIN_HIDDEN in text or END_HIDDEN in text for text in released.values())
        number = list(POINTS[name]).index(grade_id) + 1
        points = POINTS[name][grade_id]
        assert released[grade_id].rstrip().endswith(f'print("Q{number} passed ({points} points)")')


@pytest.mark.parametrize("name", NAMES)
def test_no_answer_uses_the_package_references(name):
    for cell in notebooks.graded_cells(notebooks.read(notebooks.EXERCISES / name)):
        if cell.metadata.nbgrader.solution:
            assert "lstm_course" not in cell.source, cell.metadata.nbgrader.grade_id
