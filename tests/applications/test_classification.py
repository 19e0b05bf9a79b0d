"""The classification chapter's code: packing that ignores padding, splits, metrics, and a model that learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course.applications import classification as cl
from lstm_course.data import Vocabulary, load_surnames


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_a_names_logits(cell, bidirectional):
    torch.manual_seed(0)
    model = cl.NameClassifier(12, 3, cell=cell, bidirectional=bidirectional, embedding_size=4, hidden_size=5)
    alone = model(torch.tensor([[4, 5, 6]]), torch.tensor([3]))
    padded = model(torch.tensor([[4, 5, 6, 0, 0], [7, 8, 0, 0, 0]]), torch.tensor([3, 2]))
    torch.testing.assert_close(padded[:1], alone)
    torch.testing.assert_close(model((torch.tensor([[4, 5, 6]]), torch.tensor([3]))), alone)


def test_splits_are_disjoint_and_cover_the_data():
    splits = cl.split_names(100, val=0.1, test=0.2, seed=3)
    together = np.concatenate(splits)
    assert sorted(together.tolist()) == list(range(100)) and (len(splits.val), len(splits.test)) == (10, 20)
    assert [s.tolist() for s in cl.split_names(100, val=0.1, test=0.2, seed=3)] == [s.tolist() for s in splits]


def test_confusion_matrix_and_per_class_accuracy():
    matrix = cl.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], 3)
    assert matrix.tolist() == [[1, 0, 1], [0, 1, 0], [0, 1, 2]]
    np.testing.assert_allclose(cl.per_class_accuracy(matrix), [0.5, 1.0, 2 / 3])


def test_the_classifier_is_far_above_the_majority_class_on_held_out_surnames(one_thread):
    data = load_surnames()
    vocabulary = Vocabulary.build(data.names)
    tokens, lengths = cl.encode_names(data.names, vocabulary)
    labels = torch.tensor(data.labels)
    splits = cl.split_names(len(data.names), seed=0)
    model, history = cl.train_classifier(tokens, lengths, labels, splits, len(vocabulary), len(data.languages))
    predicted = cl.predict_classes(model, tokens[splits.test], lengths[splits.test])
    actual = labels[splits.test].numpy()
    majority = np.bincount(labels[splits.train].numpy()).max() / len(splits.train)
    assert float((predicted == actual).mean()) > 0.5 > 4 * majority
