"""The equations and claims of the book's chapter on attention and sequence-to-sequence (book/attention.md).

The attention scores are read off the page as printed, translated symbol by symbol into NumPy and evaluated
with the parameters of ``AdditiveAttention`` and ``MultiplicativeAttention``: a change to an equation on the
page or to the code that does not change the other fails here. Teacher forcing and scheduled sampling
themselves are tested in tests/nn/test_seq2seq.py, beam search against exhaustive search in
tests/nn/test_decoding.py, the date translator in tests/applications/test_date_translation.py.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_course.nn import (AdditiveAttention, MultiplicativeAttention, exponential_decay, inverse_sigmoid_decay,
                            length_penalty, linear_decay, masked_softmax)

PAGE = Path(__file__).resolve().parents[2] / "book" / "attention.md"

# LaTeX of the page -> Python, applied in this order; anything left over is not valid Python.
SYMBOLS = [
    (r"\mathbf{w}^\top", "w @ "), (r"\mathbf{q}^\top", "q @ "), (r"\tanh", "np.tanh"), (r"\big(", "("),
    (r"\big)", ")"), ("W_q", "W_q @ "), ("W_k", "W_k @ "), ("W_a", "W_a @ "), (r"\mathbf{q}", "q"),
    (r"\mathbf{k}_s", "k_s"), (r"\mathbf{b}", "b"),
]


def equations() -> dict:
    """label -> the LaTeX of each labelled display equation of the page."""
    found = re.findall(r"^\$\$\n(.*?)\n\$\$ \((eq-[\w-]+)\)$", PAGE.read_text(), flags=re.S | re.M)
    return {label: latex.strip() for latex, label in found}


def score_as_python(label: str) -> str:
    """The right-hand side of ``e_s = ...`` of equation ``label`` as a Python expression."""
    left, right = equations()[label].rstrip(",. ").split("=", 1)
    assert left.strip() == "e_s", f"{label} should define the score e_s, got {left!r}"
    for latex, python in SYMBOLS:
        right = right.replace(latex, python)
    return right


def printed_scores(label: str, query: np.ndarray, keys: np.ndarray, **parameters) -> np.ndarray:
    expression = score_as_python(label)
    return np.array([eval(expression, {"np": np, "q": query, "k_s": key, **parameters}) for key in keys])


def test_the_page_labels_every_equation_it_refers_to():
    labels = equations()
    referenced = set(re.findall(r"\{eq\}`(eq-[\w-]+)`", PAGE.read_text()))
    assert {"eq-attention-additive", "eq-attention-dot", "eq-attention-general", "eq-attention-weights",
            "eq-length-penalty", "eq-train-teacher-forcing", "eq-train-schedules"} <= set(labels)
    assert referenced <= set(labels), referenced - set(labels)


def test_additive_attention_as_printed():
    torch.manual_seed(0)
    module = AdditiveAttention(query_size=3, key_size=5, attention_size=4)
    query, keys = torch.randn(1, 3), torch.randn(1, 6, 5)
    parameters = {"W_q": module.weight_query, "W_k": module.weight_key, "b": module.bias, "w": module.weight_score}
    assert [tuple(p.shape) for p in parameters.values()] == [(4, 3), (4, 5), (4,), (4,)], \
        "shapes (A, H_q), (A, H_k), (A,), (A,) as the page says"
    expected = printed_scores("eq-attention-additive", query[0].numpy(), keys[0].numpy(),
                              **{name: p.detach().numpy() for name, p in parameters.items()})
    np.testing.assert_allclose(module.score(query, keys)[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert "w^T tanh(W_q q + W_k k_s + b)" in AdditiveAttention.__doc__


@pytest.mark.parametrize("score", ["dot", "general"])
def test_multiplicative_attention_as_printed(score):
    torch.manual_seed(1)
    key_size = 4 if score == "dot" else 6
    module = MultiplicativeAttention(query_size=4, key_size=key_size, score=score)
    query, keys = torch.randn(1, 4), torch.randn(1, 5, key_size)
    parameters = {} if score == "dot" else {"W_a": module.weight.detach().numpy()}
    if score == "general":
        assert tuple(module.weight.shape) == (4, 6), "W_a of shape (H_q, H_k) as the page says"
    expected = printed_scores(f"eq-attention-{score}", query[0].numpy(), keys[0].numpy(), **parameters)
    np.testing.assert_allclose(module.score(query, keys)[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    docstring = {"dot": "e_s = q^T k_s", "general": "e_s = q^T W_a k_s"}[score]
    assert docstring in MultiplicativeAttention.__doc__


def test_attention_weights_as_printed():
    assert equations()["eq-attention-weights"] == (
        r"a_s = \frac{m_s \exp(e_s)}{\sum_{s'=1}^{S} m_{s'} \exp(e_{s'})}, \qquad \mathbf{c} = \sum_{s=1}^{S} a_s "
        r"\mathbf{v}_s.")
    scores = torch.tensor([[0.3, -1.2, 2.0, 0.5]], dtype=torch.float64)
    mask = torch.tensor([[True, False, True, True]])
    m, e = mask.double(), scores
    a = m * e.exp() / (m * e.exp()).sum(dim=1, keepdim=True)
    torch.testing.assert_close(masked_softmax(scores, mask), a, rtol=1e-12, atol=0)


def test_length_penalty_as_printed():
    assert equations()["eq-length-penalty"] == (
        r"\operatorname{score}(Y) = \frac{\log P(Y \mid X)}{\operatorname{lp}(Y)}, \qquad"
        "\n" r"\operatorname{lp}(Y) = \left(\frac{5 + |Y|}{6}\right)^{\alpha},")
    lengths = torch.tensor([1.0, 11.0, 30.0], dtype=torch.float64)
    for alpha in (0.0, 0.6, 1.0):
        expected = torch.tensor([((5 + n) / 6) ** alpha for n in (1, 11, 30)], dtype=torch.float64)
        torch.testing.assert_close(length_penalty(lengths, alpha), expected, rtol=1e-14, atol=0)


def test_schedules_as_printed():
    """eq-train-schedules: max(eps, k - c i), k^i and k / (k + exp(i / k))."""
    assert equations()["eq-train-schedules"] == (
        r"\epsilon_i = \max(\epsilon, k - c\, i), \qquad \epsilon_i = k^i, \qquad "
        r"\epsilon_i = \frac{k}{k + \exp(i / k)},")
    for i in (0, 3, 40, 400):
        assert linear_decay(i, slope=0.01, start=0.9, end=0.2) == pytest.approx(max(0.2, 0.9 - 0.01 * i))
        assert exponential_decay(i, 0.97) == pytest.approx(0.97**i)
        assert inverse_sigmoid_decay(i, 12.0) == pytest.approx(12.0 / (12.0 + math.exp(i / 12.0)))


def test_linear_schedule_of_the_experiment():
    """The experiment's schedule: epsilon falls from 1 to 0.25 at step 50 and stays there."""
    values = [linear_decay(i, slope=1.5 / 100, start=1.0, end=0.25) for i in range(101)]
    assert values[0] == 1.0 and values[50] == 0.25 and values[100] == 0.25
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_the_tiny_models_outputs_are_counted_right():
    """The page's count: outputs of at most 4 of 4 tokens, ending with EOS or cut at 4, no EOS before the end."""
    vocab, max_len = 4, 4
    count = sum(1 for n in range(1, max_len + 1) for _ in range((vocab - 1) ** (n - 1)) for _ in
                range(1 if n < max_len else vocab))
    assert count == 1 + 3 + 9 + 27 * 4 == 121
