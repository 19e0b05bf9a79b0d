"""Bucketing sequences by length (lstm_course.train.bucketing)."""

import pytest
import torch

from lstm_course.train.bucketing import bucket_batches, padding_share

LENGTHS = torch.randint(1, 200, (103,), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("pool_batches", [1, 3, 100])
def test_every_index_once_in_batches_of_the_given_size(pool_batches):
    batches = bucket_batches(LENGTHS, 8, pool_batches=pool_batches, generator=torch.Generator().manual_seed(1))
    assert torch.equal(torch.cat(batches).sort().values, torch.arange(len(LENGTHS)))
    assert all(1 <= len(b) <= 8 for b in batches)
    assert all(b.dtype == torch.int64 for b in batches)


def test_each_batch_is_sorted_longest_first_within_its_pool():
    batches = bucket_batches(LENGTHS, 8, pool_batches=4, generator=torch.Generator().manual_seed(1))
    for batch in batches:
        lengths = LENGTHS[batch]
        assert torch.equal(lengths, lengths.sort(descending=True).values), "longest first, as packing wants"


def test_larger_pools_leave_less_padding():
    shares = [padding_share(LENGTHS, bucket_batches(LENGTHS, 8, pool_batches=p, generator=torch.Generator().manual_seed(1)))
              for p in (1, 4, 100)]
    assert shares[0] > shares[1] > shares[2], shares
    one_pool = bucket_batches(LENGTHS, 8, pool_batches=100, generator=torch.Generator().manual_seed(1))
    order = torch.cat(sorted(one_pool, key=lambda b: -int(LENGTHS[b[0]])))
    assert torch.equal(LENGTHS[order], LENGTHS.sort(descending=True).values), "one pool: the data fully sorted"


def test_reproducible_and_different_per_seed():
    a = bucket_batches(LENGTHS, 8, generator=torch.Generator().manual_seed(5))
    b = bucket_batches(LENGTHS, 8, generator=torch.Generator().manual_seed(5))
    c = bucket_batches(LENGTHS, 8, generator=torch.Generator().manual_seed(6))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_padding_share_by_hand():
    lengths = [3, 1, 2, 2]
    # batch [0, 1]: padded to 3, 2 * 3 = 6 entries; batch [2, 3]: 2 * 2 = 4; real 8 of 10.
    assert padding_share(lengths, [torch.tensor([0, 1]), torch.tensor([2, 3])]) == pytest.approx(0.2)
    assert padding_share(lengths, [torch.tensor([0, 1, 2, 3])]) == pytest.approx(1 - 8 / 12)


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="lengths must be"):
        bucket_batches([3, 0, 2], 2)
    with pytest.raises(ValueError, match="batch_size"):
        bucket_batches([3, 1, 2], 0)
    with pytest.raises(ValueError, match="pool_batches"):
        bucket_batches([3, 1, 2], 2, pool_batches=True)
    with pytest.raises(ValueError, match="exactly once"):
        padding_share([3, 1, 2], [torch.tensor([0, 1]), torch.tensor([1])])
