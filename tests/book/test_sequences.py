"""The chapter "Sequences and sequence models" (book/sequences.md): its equations agree with the
package's functions, and its running examples are what the chapter says they are.

Each test names the equation label it checks. That padding never changes the states of a packed
layer is tested in tests/nn/test_layer_base.py.
"""

import re

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_course import nn as course_nn
from lstm_course.experiments.sequence_tasks import (CLOSE, OPEN, TASK_SHAPES, CharVocabulary, bracket_sequences,
                                                    draw_task_shapes, grammar_text, is_balanced, noisy_sine)
from lstm_course.nn.attention import lengths_to_mask
from lstm_course.nn.rnn import rnn_step
from lstm_course.numpy_ref.rnn import rnn_step_forward
from lstm_course.train.objective import Objective

matplotlib.use("Agg")


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_recurrence_is_causal(layer):
    """eq-seq-recurrence: the output at step t does not depend on the inputs after t."""
    torch.manual_seed(0)
    module = getattr(course_nn, layer)(3, 5, dtype=torch.float64)
    x = torch.randn(9, 2, 3, dtype=torch.float64)
    changed = x.clone()
    changed[6:] = torch.randn(3, 2, 3, dtype=torch.float64)
    out, _ = module(x)
    out_changed, _ = module(changed)
    torch.testing.assert_close(out_changed[:6], out[:6], rtol=0, atol=0)
    assert not torch.allclose(out_changed[6:], out[6:])


def test_rnn_step_is_the_elman_f():
    """eq-seq-recurrence with the F of the Elman network: rnn_step, given W_ih x + b_ih + b_hh,
    equals the NumPy reference step."""
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    w_ih, w_hh = rng.standard_normal((5, 3)), rng.standard_normal((5, 5))
    b_ih, b_hh = rng.standard_normal(5), rng.standard_normal(5)
    expected, _ = rnn_step_forward(x, h, w_ih, w_hh, b_ih, b_hh)
    xw = torch.from_numpy(x @ w_ih.T + b_ih + b_hh)
    got = rnn_step(xw, torch.from_numpy(h), torch.from_numpy(w_hh))
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-14)


def test_language_model_loss():
    """eq-seq-lm-loss: fit's stateful objective with CrossEntropyLoss is the mean of
    -log softmax(y_t)[x_{t+1}] over every step and column."""
    torch.manual_seed(0)
    steps, batch, vocab = 6, 3, 7
    logits = torch.randn(steps, batch, vocab, dtype=torch.float64)
    targets = torch.randint(vocab, (steps, batch))
    model = lambda tokens, state: (logits, state)  # noqa: E731 - returns fixed logits
    objective = Objective(torch.nn.CrossEntropyLoss(), None, stateful=True)
    result = objective(model, (torch.zeros(steps, batch, dtype=torch.long), targets), None)
    log_probs = torch.log_softmax(logits, dim=-1)
    expected = -np.mean([log_probs[t, b, targets[t, b]].item() for t in range(steps) for b in range(batch)])
    assert result.loss.item() == pytest.approx(expected, rel=1e-12)
    assert result.weight == steps * batch


def test_masked_loss_equals_ignore_index():
    """eq-seq-masked-loss with the mask of lengths_to_mask equals cross_entropy with ignore_index,
    and equals the mean over the real steps written out sequence by sequence."""
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([5, 2, 4])
    logits = torch.randn(3, 5, 4, generator=generator, dtype=torch.float64)  # (B, T_max, C)
    tags = torch.randint(4, (3, 5), generator=generator)
    mask = lengths_to_mask(lengths, 5)
    per_step = F.cross_entropy(logits.transpose(1, 2), tags, reduction="none")
    masked_mean = (per_step * mask).sum() / mask.sum()
    ignored = F.cross_entropy(logits.transpose(1, 2), tags.masked_fill(~mask, -100))
    by_hand = torch.cat([F.cross_entropy(logits[b, :n], tags[b, :n], reduction="none")
                         for b, n in enumerate(lengths.tolist())]).mean()
    torch.testing.assert_close(masked_mean, ignored, rtol=1e-12, atol=0)
    torch.testing.assert_close(masked_mean, by_hand, rtol=1e-12, atol=0)


# --- the running examples ------------------------------------------------------------------------

SENTENCE = re.compile(
    r"the (?:(?:small|old|happy|red) )?(?P<subject>cat|dog|bird|girl|boy)(?P<plural>s?) "
    r"(?P<verb>sees?|chases?|likes?|feeds?|sleeps?|sings?|runs?)"
    r"(?: the (?:(?:small|old|happy|red) )?(?:cat|dog|bird|girl|boy)s?)? \.$"
)


def test_grammar_text_follows_the_grammar_and_agreement():
    text = grammar_text(300, seed=3)
    assert text == grammar_text(300, seed=3)
    assert text != grammar_text(300, seed=4)
    lines = text.splitlines()
    assert len(lines) == 300 and text.endswith(" .\n")
    transitive = ("see", "chase", "like", "feed")
    plural_forms = transitive + ("sleep", "sing", "run")
    for line in lines:
        match = SENTENCE.match(line)
        assert match, line
        singular_verb = match["verb"] not in plural_forms
        assert singular_verb == (match["plural"] == ""), line  # the verb agrees with the subject
        stem = match["verb"][:-1] if singular_verb else match["verb"]
        assert (line.count(" the ") == 1) == (stem in transitive), line  # only transitive verbs take an object
    plural_share = np.mean([SENTENCE.match(line)["plural"] == "s" for line in lines])
    assert 0.35 < plural_share < 0.65


def test_char_vocabulary_round_trip_and_errors():
    text = grammar_text(20, seed=0)
    vocab = CharVocabulary.from_text(text)
    assert vocab.chars == "".join(sorted(set(text)))
    tokens = vocab.encode(text)
    assert tokens.dtype == torch.long and tokens.shape == (len(text),)
    assert vocab.decode(tokens) == text
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        vocab.encode("zebra")
    with pytest.raises(ValueError, match="non-empty"):
        CharVocabulary.from_text("")


def test_bracket_sequences_are_labelled_and_need_order():
    strings, labels = bracket_sequences(200, min_length=4, max_length=12, seed=1)
    assert len(strings) == 200 and labels.shape == (200,)
    assert labels.sum().item() == 100
    for string, label in zip(strings, labels):
        tokens = string.tolist()
        assert 4 <= len(tokens) <= 12 and len(tokens) % 2 == 0
        assert tokens.count(OPEN) == tokens.count(CLOSE)  # counting alone cannot decide
        assert is_balanced(tokens) == bool(label)
    assert len({len(s) for s in strings}) > 1  # lengths vary: batches need padding


@pytest.mark.parametrize("kwargs, message", [
    ({"count": 0}, "count"),
    ({"count": 4, "min_length": 3}, "even"),
    ({"count": 4, "min_length": 8, "max_length": 4}, "even"),
    ({"count": 4, "min_length": 2, "max_length": 2}, "max_length >= 4"),
])
def test_bracket_sequences_reject_bad_arguments(kwargs, message):
    count = kwargs.pop("count")
    with pytest.raises(ValueError, match=message):
        bracket_sequences(count, **kwargs)


def test_is_balanced():
    assert is_balanced([])
    assert is_balanced([OPEN, CLOSE, OPEN, OPEN, CLOSE, CLOSE])
    assert not is_balanced([OPEN, CLOSE, CLOSE, OPEN])
    assert not is_balanced([OPEN, OPEN, CLOSE])


def test_noisy_sine():
    series = noisy_sine(500, period=25.0, noise=0.1, seed=2)
    assert series.shape == (500,) and series.dtype == torch.float32
    torch.testing.assert_close(series, noisy_sine(500, period=25.0, noise=0.1, seed=2), rtol=0, atol=0)
    clean = noisy_sine(500, period=25.0, noise=0.0)
    torch.testing.assert_close(clean[25:50], clean[:25], rtol=0, atol=1e-5)  # one period later
    assert (series - clean).std().item() == pytest.approx(0.1, rel=0.15)
    with pytest.raises(ValueError, match="steps"):
        noisy_sine(0)


def test_task_shapes_table():
    shapes = {shape.title: shape for shape in TASK_SHAPES}
    assert list(shapes) == ["one to one", "one to many", "many to one", "many to many, aligned",
                            "many to many, unaligned"]
    for shape in TASK_SHAPES:
        assert set(shape.inputs) | set(shape.outputs) <= set(range(shape.steps))
    assert len(shapes["one to one"].inputs) == len(shapes["one to one"].outputs) == 1
    assert len(shapes["one to many"].inputs) == 1 and len(shapes["one to many"].outputs) > 1
    many_to_one = shapes["many to one"]
    assert many_to_one.outputs == (many_to_one.steps - 1,) and len(many_to_one.inputs) > 1
    assert shapes["many to many, aligned"].inputs == shapes["many to many, aligned"].outputs
    unaligned = shapes["many to many, unaligned"]
    assert max(unaligned.inputs) < min(unaligned.outputs)  # the decoder starts after the encoder
    assert len(unaligned.inputs) != len(unaligned.outputs)


def test_draw_task_shapes_draws_one_box_per_element():
    from matplotlib.figure import Figure

    axes = Figure().subplots(1, len(TASK_SHAPES))
    draw_task_shapes(axes)
    for ax, shape in zip(axes, TASK_SHAPES):
        boxes = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
        assert len(boxes) == shape.steps + len(shape.inputs) + len(shape.outputs)
        assert shape.title in ax.get_title()
