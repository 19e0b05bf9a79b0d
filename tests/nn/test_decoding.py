"""Greedy decoding and beam search: agreement, optimality on a small search space, EOS, attention."""

import itertools
import math

import pytest
import torch

from lstm_course.nn.decoding import beam_search, greedy_decode, length_penalty, select_rows
from lstm_course.nn.seq2seq import Seq2Seq

BOS, EOS = 1, 2


def tiny_model(device, target_vocab=7):
    torch.manual_seed(0)
    model = Seq2Seq(6, target_vocab, embedding_size=4, hidden_size=5, bos_id=BOS, eos_id=EOS).to(device).eval()
    with torch.no_grad():
        # Sharper distributions and a rarer EOS than at initialisation: on
        # this model, greedy decoding misses the best hypothesis.
        for parameter in model.decoder.parameters():
            parameter.mul_(3.0**0.5)
        model.decoder.output.bias[EOS] -= 1.0
    return model


def source_batch(device):
    g = torch.Generator().manual_seed(1)
    source = torch.randint(3, 6, (3, 5), generator=g).to(device)
    lengths = torch.tensor([5, 3, 1], device=device)
    return source.masked_fill(torch.arange(5, device=device) >= lengths.unsqueeze(1), 0), lengths


def run(search, model, source, lengths, max_len, **options):
    start = torch.full((source.shape[0],), BOS, device=source.device)
    with torch.no_grad():
        return search(model.step, model.start(source, lengths), start, EOS, max_len, **options)


def test_length_penalty_formula():
    lengths = torch.tensor([1.0, 4.0, 10.0], dtype=torch.float64)
    expected = [((5 + n) / 6) ** 0.6 for n in (1, 4, 10)]
    assert torch.allclose(length_penalty(lengths, 0.6), torch.tensor(expected, dtype=torch.float64), rtol=1e-15), \
        "lp(Y) = ((5 + |Y|) / 6) ** alpha"
    assert torch.equal(length_penalty(lengths, 0.0), torch.ones_like(lengths)), "alpha = 0 must turn normalization off"


@pytest.mark.parametrize("alpha", [0.0, 0.6])
def test_beam_size_one_equals_greedy(alpha, device):
    model = tiny_model(device)
    source, lengths = source_batch(device)
    greedy = run(greedy_decode, model, source, lengths, 8, alpha=alpha)
    beam = run(beam_search, model, source, lengths, 8, beam_size=1, alpha=alpha)
    for name in greedy._fields:
        assert torch.equal(getattr(greedy, name), getattr(beam, name)), \
            f"{name}: greedy {getattr(greedy, name)} != beam 1 {getattr(beam, name)}"
    assert greedy.lengths.max() > 1, "the test model should not stop at once"


def all_hypotheses(vocab, max_len):
    """Every output the searches can return: EOS-terminated sequences of at most
    max_len tokens, and sequences cut at max_len."""
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=n):
            if EOS in seq[:-1] or (n < max_len and seq[-1] != EOS):
                continue
            yield list(seq)


def exhaustive_best(model, source, lengths, vocab, max_len, alpha):
    """The hypothesis with the best length-normalized score, by scoring all of them with teacher forcing."""
    hypotheses = list(all_hypotheses(vocab, max_len))
    targets = torch.tensor([h + [EOS] * (max_len - len(h)) for h in hypotheses], device=source.device)
    sizes = torch.tensor([len(h) for h in hypotheses], device=source.device)
    best = []
    for b in range(source.shape[0]):
        n = len(hypotheses)
        with torch.no_grad():
            logits, _ = model(source[b:b + 1].expand(n, -1), lengths[b:b + 1].expand(n), targets)
        token_log_p = torch.log_softmax(logits, dim=-1).gather(2, targets.unsqueeze(2)).squeeze(2)
        real = torch.arange(max_len, device=source.device) < sizes.unsqueeze(1)
        log_p = (token_log_p * real).sum(dim=1)
        scores = log_p / length_penalty(sizes.to(log_p.dtype), alpha)
        i = int(scores.argmax())
        best.append((hypotheses[i], float(log_p[i]), float(scores[i])))
    return best


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_finds_the_exhaustive_optimum_of_a_seq2seq(alpha, device):
    vocab, max_len = 4, 4
    model = tiny_model(device, target_vocab=vocab)
    source, lengths = source_batch(device)
    # 1 + 3 + 9 + 27 * 4 = 121 hypotheses at the last step; a beam of 130 keeps them all.
    result = run(beam_search, model, source, lengths, max_len, beam_size=130, alpha=alpha)
    expected = exhaustive_best(model, source, lengths, vocab, max_len, alpha)
    for b, (tokens, log_p, score) in enumerate(expected):
        n = int(result.lengths[b])
        got = result.tokens[b, :n].tolist()
        assert got == tokens, f"input {b}, alpha={alpha}: exhaustive search found {tokens}, beam search {got}"
        assert math.isclose(float(result.log_probs[b]), log_p, abs_tol=1e-5)
        assert math.isclose(float(result.scores[b]), score, abs_tol=1e-5)
    greedy = run(greedy_decode, model, source, lengths, max_len, alpha=alpha)
    assert not torch.equal(greedy.scores, result.scores), "on this model greedy decoding should miss the optimum"


class TableStep:
    """A small random model: next-token logits looked up by input row, step and
    previous token. State: (row (N,), step (N,), source mask (N, S))."""

    def __init__(self, logits):
        self.logits = logits  # (B, max_len, V, V)

    def __call__(self, tokens, state):
        row, t, mask = state
        return self.logits[row, t, tokens], (row, t + 1, mask), mask / mask.sum(dim=1, keepdim=True)


@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_wide_beam_finds_the_exhaustive_optimum_of_random_tables(alpha, device):
    batch, vocab, max_len = 8, 5, 4
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(batch, max_len, vocab, vocab, generator=g, dtype=torch.float64).to(device)
    logits[..., EOS] -= 1.0
    rows = torch.arange(batch, device=device)
    state = (rows, torch.zeros_like(rows), torch.ones(batch, 3, device=device))
    start = torch.full((batch,), BOS, device=device)
    # 1 + 4 + 16 + 64 * 5 = 341 hypotheses at the last step.
    result = beam_search(TableStep(logits), state, start, EOS, max_len, beam_size=341, alpha=alpha)
    log_p_table = torch.log_softmax(logits, dim=-1).cpu()
    misses = 0
    for b in range(batch):
        def score(h):
            log_p = sum(float(log_p_table[b, t, prev, y]) for t, (prev, y) in enumerate(zip([BOS] + h, h)))
            return log_p / ((5 + len(h)) / 6) ** alpha
        best = max(all_hypotheses(vocab, max_len), key=score)
        got = result.tokens[b, :int(result.lengths[b])].tolist()
        assert got == best, f"input {b}, alpha={alpha}: exhaustive search found {best}, beam search {got}"
        assert math.isclose(float(result.scores[b]), score(best), rel_tol=1e-9)
        greedy = greedy_decode(TableStep(logits), tuple(x[b:b + 1] for x in state), start[:1], EOS, max_len)
        misses += greedy.tokens[0, :int(greedy.lengths[0])].tolist() != best
    assert misses > 0, "greedy decoding should miss the optimum on some tables, or the test shows nothing"


class BigramStep:
    """A step function with fixed next-token probabilities given the previous
    token; its state is the source mask, its attention uniform over the source."""

    def __init__(self, probabilities):
        self.log_p = torch.tensor(probabilities).log()

    def __call__(self, tokens, state):
        return self.log_p.to(state.device)[tokens], state, state / state.sum(dim=1, keepdim=True)


# Tokens: 0, BOS = 1, EOS = 2, 3. From BOS: EOS 0.4, 0 0.3, 3 0.29; from 0: EOS 0.9.
BIGRAM = [[0.03, 0.03, 0.9, 0.04],
          [0.3, 0.01, 0.4, 0.29],
          [0.25, 0.25, 0.25, 0.25],
          [0.4, 0.01, 0.19, 0.4]]


@pytest.mark.parametrize("alpha, max_len, expected", [(0.0, 6, [EOS]), (5.0, 2, [0, EOS])])
def test_finished_hypotheses_stop_and_keep_their_score(alpha, max_len, expected, device):
    step = BigramStep(BIGRAM)
    mask = torch.tensor([[1.0, 1.0, 0.0]], device=device)
    start = torch.tensor([BOS], device=device)
    result = beam_search(step, mask, start, EOS, max_len=max_len, beam_size=3, alpha=alpha)
    n = int(result.lengths[0])
    assert result.tokens[0, :n].tolist() == expected, f"alpha={alpha}: expected {expected}, got {result.tokens[0]}"
    assert torch.all(result.tokens[0, n:] == EOS), "positions after EOS should hold EOS"
    # log P of the chosen hypothesis, from the table: nothing added after EOS.
    log_p = sum(math.log(BIGRAM[a][b]) for a, b in zip([BOS] + expected, expected))
    assert math.isclose(float(result.log_probs[0]), log_p, rel_tol=1e-6), \
        f"expected log P {log_p}, got {result.log_probs}"
    lp = ((5 + len(expected)) / 6) ** alpha
    assert math.isclose(float(result.scores[0]), log_p / lp, rel_tol=1e-6)


def test_greedy_stops_at_eos_and_pads(device):
    # From BOS the most probable token is 0 for row 0 and EOS for row 1: give
    # each row its own table through the state.
    tables = torch.tensor([[[0.1, 0.1, 0.1, 0.7]] * 4, BIGRAM]).log().to(device)

    def step(tokens, state):
        row_table, mask = state
        logits = row_table.gather(1, tokens.view(-1, 1, 1).expand(-1, 1, 4)).squeeze(1)
        return logits, state, mask / mask.sum(dim=1, keepdim=True)

    mask = torch.ones(2, 3, device=device)
    result = greedy_decode(step, (tables, mask), torch.tensor([BOS, BOS], device=device), EOS, max_len=4)
    assert result.tokens.tolist() == [[3, 3, 3, 3], [EOS, EOS, EOS, EOS]]
    assert result.lengths.tolist() == [4, 1], "an unfinished hypothesis has length max_len, a finished one stops at EOS"
    assert torch.all(result.attention[1, 1:] == 0), "no attention after EOS"
    assert math.isclose(float(result.log_probs[1]), math.log(0.4), rel_tol=1e-6), "no log-probability after EOS"


def test_all_finished_stops_early(device):
    mask = torch.ones(1, 2, device=device)
    result = greedy_decode(BigramStep(BIGRAM), mask, torch.tensor([BOS], device=device), EOS, max_len=10)
    assert result.tokens.shape == (1, 1), f"expected to stop after EOS at step 1, got {result.tokens.shape[1]} steps"


@pytest.mark.parametrize("beam_size", [1, 3])
def test_attention_of_the_chosen_hypothesis(beam_size, device):
    model = tiny_model(device)
    source, lengths = source_batch(device)
    result = run(beam_search, model, source, lengths, 6, beam_size=beam_size, alpha=0.6)
    steps = result.tokens.shape[1]
    assert result.attention.shape == (3, steps, 5), \
        f"expected (B, T_out, S) = (3, {steps}, 5), got {tuple(result.attention.shape)}"
    alive = torch.arange(steps, device=device) < result.lengths.unsqueeze(1)
    sums = result.attention.sum(dim=2)
    assert torch.allclose(sums[alive], torch.ones_like(sums[alive]), atol=1e-5), f"rows should sum to 1, got {sums}"
    assert torch.all(sums[~alive] == 0), "rows after EOS should be zero"
    padding = torch.arange(5, device=device) >= lengths.unsqueeze(1)
    assert torch.all(result.attention.masked_select(padding.unsqueeze(1)) == 0), "no attention on source padding"


def test_beam_attention_follows_the_backpointers(device):
    """Re-scoring the chosen hypothesis with teacher forcing gives the same attention."""
    model = tiny_model(device)
    source, lengths = source_batch(device)
    result = run(beam_search, model, source, lengths, 6, beam_size=4)
    with torch.no_grad():
        logits, attention = model(source, lengths, result.tokens)
    alive = torch.arange(result.tokens.shape[1], device=device) < result.lengths.unsqueeze(1)
    assert torch.allclose(attention[alive], result.attention[alive], atol=1e-5)
    log_p = torch.log_softmax(logits, -1).gather(2, result.tokens.unsqueeze(2)).squeeze(2)
    assert torch.allclose((log_p * alive).sum(1), result.log_probs, atol=1e-5)


def test_select_rows_keeps_named_tuples():
    state = (torch.arange(3), (torch.arange(6).view(3, 2),))
    picked = select_rows(state, torch.tensor([2, 2, 0]))
    assert picked[0].tolist() == [2, 2, 0] and picked[1][0].tolist() == [[4, 5], [4, 5], [0, 1]]
    with pytest.raises(TypeError, match="state must be a Tensor or a tuple"):
        select_rows([torch.zeros(1)], torch.tensor([0]))


def test_argument_errors():
    step, mask, start = BigramStep(BIGRAM), torch.ones(1, 2), torch.tensor([BOS])
    with pytest.raises(ValueError, match="beam_size must be a positive integer, got 0"):
        beam_search(step, mask, start, EOS, 4, beam_size=0)
    with pytest.raises(ValueError, match="max_len must be a positive integer, got 0"):
        greedy_decode(step, mask, start, EOS, 0)
    with pytest.raises(ValueError, match=r"start_tokens must be a 1-D long tensor \(B,\), got shape \(1, 1\)"):
        greedy_decode(step, mask, start.view(1, 1), EOS, 3)
