"""Vocabularies, padding with masks that packing agrees with, and bucketing."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_course.data import BucketBatchSampler, Vocabulary, pad_batch


def test_a_vocabulary_round_trips_and_marks_unknown_symbols():
    vocab = Vocabulary.build(["hello", "help"])
    ids = vocab.encode("hex", bos=True, eos=True)
    assert ids[0] == Vocabulary.BOS and ids[-1] == Vocabulary.EOS and Vocabulary.UNK in ids
    assert vocab.decode(vocab.encode("hello", eos=True) + [5, 6]) == "hello"
    assert len(vocab) == 4 + len(set("hellohelp"))


def test_the_mask_marks_what_packing_keeps():
    padded, lengths, mask = pad_batch([[1, 2, 3, 4], [5], [6, 7]])
    packed = pack_padded_sequence(padded.unsqueeze(-1).float(), lengths, batch_first=True, enforce_sorted=False)
    unpacked, unpacked_lengths = pad_packed_sequence(packed, batch_first=True)
    assert torch.equal(unpacked_lengths, lengths)
    assert torch.equal(unpacked[..., 0][mask], padded[mask].float()) and int(mask.sum()) == packed.data.shape[0]


def test_the_bucket_sampler_yields_every_index_once_per_epoch_and_changes_between_epochs():
    lengths = torch.randint(1, 50, (103,), generator=torch.Generator().manual_seed(0)).tolist()
    state = torch.random.get_rng_state()
    sampler = BucketBatchSampler(lengths, 8, pool_batches=4, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global random state is left alone
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler)
    for epoch in (first, second):
        assert sorted(i for batch in epoch for i in batch) == list(range(103))
    assert first != second
    assert list(BucketBatchSampler(lengths, 8, pool_batches=4, seed=1)) == first
