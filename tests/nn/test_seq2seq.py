"""Encoder-decoder with attention: teacher forcing, scheduled sampling, schedules, learning."""

import math

import pytest
import torch
import torch.nn.functional as F

from lstm_course.nn.seq2seq import Seq2Seq, exponential_decay, inverse_sigmoid_decay, linear_decay

PAD, BOS, EOS = 0, 1, 2


def tiny_model(device, attention="general", bidirectional=True):
    torch.manual_seed(0)
    return Seq2Seq(7, 9, embedding_size=6, hidden_size=8, attention=attention, bidirectional=bidirectional,
                   bos_id=BOS, eos_id=EOS, pad_id=PAD).to(device)


def tiny_batch(device):
    g = torch.Generator().manual_seed(3)
    lengths = torch.tensor([6, 4, 2, 5])
    source = torch.randint(3, 7, (4, 6), generator=g).masked_fill(torch.arange(6) >= lengths.unsqueeze(1), PAD)
    targets = torch.randint(3, 9, (4, 5), generator=g)
    return source.to(device), lengths.to(device), targets.to(device)


def record_decoder_inputs(model):
    """Collect the tokens the decoder embeds, one (B,) tensor per step."""
    fed = []
    handle = model.decoder.embedding.register_forward_hook(lambda module, args, output: fed.append(args[0].clone()))
    return fed, handle


@pytest.mark.parametrize("attention, bidirectional", [("additive", True), ("general", True), ("dot", False)])
def test_shapes_and_attention_rows(attention, bidirectional, device):
    model = tiny_model(device, attention, bidirectional)
    source, lengths, targets = tiny_batch(device)
    logits, weights = model(source, lengths, targets)
    assert logits.shape == (4, 5, 9), f"expected logits (B, T, V_t) = (4, 5, 9), got {tuple(logits.shape)}"
    assert weights.shape == (4, 5, 6), f"expected attention (B, T, S) = (4, 5, 6), got {tuple(weights.shape)}"
    assert torch.allclose(weights.sum(-1), torch.ones(4, 5, device=device), atol=1e-5)
    padding = torch.arange(6, device=device) >= lengths.unsqueeze(1)
    assert torch.all(weights.masked_select(padding.unsqueeze(1)) == 0), "attention on source padding"


def test_output_of_a_sequence_does_not_depend_on_the_batch_padding(device):
    model = tiny_model(device)
    source, lengths, targets = tiny_batch(device)
    logits, _ = model(source, lengths, targets)
    for b in range(4):
        n = int(lengths[b])
        alone, _ = model(source[b:b + 1, :n], lengths[b:b + 1], targets[b:b + 1])
        assert torch.allclose(alone, logits[b:b + 1], atol=1e-5), f"sequence {b} changed when padded in a batch"


def test_teacher_forcing_feeds_only_the_ground_truth(device):
    model = tiny_model(device)
    source, lengths, targets = tiny_batch(device)
    fed, handle = record_decoder_inputs(model)
    # With sampling_probability = 0, the draws must not even be made: a
    # generator that is never consumed keeps its state.
    generator = torch.Generator(device=device).manual_seed(0)
    before = generator.get_state()
    model(source, lengths, targets, sampling_probability=0.0, generator=generator)
    handle.remove()
    expected = [torch.full((4,), BOS, device=device)] + [targets[:, t - 1] for t in range(1, 5)]
    for t, (got, want) in enumerate(zip(fed, expected)):
        assert torch.equal(got, want), f"step {t}: fed {got.tolist()}, ground truth {want.tolist()}"
    assert torch.equal(generator.get_state(), before), "teacher forcing should draw no random number"


def test_sampling_probability_one_feeds_the_predictions(device):
    model = tiny_model(device)
    source, lengths, targets = tiny_batch(device)
    fed, handle = record_decoder_inputs(model)
    logits, _ = model(source, lengths, targets, sampling_probability=1.0)
    handle.remove()
    assert torch.equal(fed[0], torch.full((4,), BOS, device=device)), "the first input is always BOS"
    for t in range(1, 5):
        predicted = logits[:, t - 1].argmax(-1)
        assert torch.equal(fed[t], predicted), f"step {t}: fed {fed[t].tolist()}, predicted {predicted.tolist()}"
    assert any(not torch.equal(fed[t], targets[:, t - 1]) for t in range(1, 5)), \
        "the predictions should differ from the targets somewhere, or the test shows nothing"


def test_scheduled_sampling_draws_per_sequence_and_step(device):
    model = tiny_model(device)
    source, lengths, targets = tiny_batch(device)
    fed, handle = record_decoder_inputs(model)
    # A CPU generator: the draws, made on its device, are the same whatever the model's device.
    logits, _ = model(source, lengths, targets, 0.5, torch.Generator().manual_seed(7))
    handle.remove()
    coins = (torch.rand(4, 5, generator=torch.Generator().manual_seed(7)) < 0.5).to(device)
    for t in range(1, 5):
        expected = torch.where(coins[:, t], logits[:, t - 1].argmax(-1), targets[:, t - 1])
        assert torch.equal(fed[t], expected), f"step {t}: fed {fed[t].tolist()}, expected {expected.tolist()}"
    mixed = coins[:, 1:]
    assert mixed.any() and not mixed.all(), "seed 7 should mix ground truth and predictions"
    again, _ = model(source, lengths, targets, 0.5, torch.Generator().manual_seed(7))
    assert torch.equal(logits, again), "the same seed should give the same run"


def check_monotone(values, name):
    assert all(a >= b for a, b in zip(values, values[1:])), f"{name} should never increase: {values}"


def test_schedules_are_monotone_and_reach_their_endpoints():
    steps = range(0, 5001, 10)
    linear = [linear_decay(i, slope=1e-3, start=1.0, end=0.1) for i in steps]
    check_monotone(linear, "linear_decay")
    assert linear[0] == 1.0 and linear_decay(900, 1e-3, 1.0, 0.1) == pytest.approx(0.1) and linear[-1] == 0.1
    exponential = [exponential_decay(i, 0.999) for i in steps]
    check_monotone(exponential, "exponential_decay")
    assert exponential[0] == 1.0 and exponential_decay(50000, 0.999) < 1e-20
    sigmoid = [inverse_sigmoid_decay(i, 200.0) for i in steps]
    check_monotone(sigmoid, "inverse_sigmoid_decay")
    assert sigmoid[0] == pytest.approx(200 / 201) and inverse_sigmoid_decay(10**6, 200.0) < 1e-300
    # Centre of the inverse sigmoid: eps = 1/2 where exp(i / k) = k.
    assert inverse_sigmoid_decay(200 * math.log(200), 200.0) == pytest.approx(0.5)


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="k must be >= 1"):
        inverse_sigmoid_decay(3, 0.5)
    with pytest.raises(ValueError, match="rate must be in"):
        exponential_decay(3, 1.0)
    with pytest.raises(ValueError, match="slope must be > 0"):
        linear_decay(3, 0.0)
    with pytest.raises(ValueError, match="step must be >= 0"):
        linear_decay(-1, 0.1)


def test_input_errors_name_expected_and_got(device):
    model = tiny_model(device)
    source, lengths, targets = tiny_batch(device)
    with pytest.raises(ValueError, match=r"lengths must have shape \(B,\) = \(4,\) to match source, got \(3,\)"):
        model(source, lengths[:3], targets)
    with pytest.raises(ValueError, match=r"lengths must lie in 1..T = 1..6"):
        model(source, lengths + 1, targets)
    with pytest.raises(ValueError, match=r"targets must have shape \(B=4, T\), got \(3, 5\)"):
        model(source, lengths, targets[:3])
    with pytest.raises(ValueError, match=r"sampling_probability must be in \[0, 1\], got 1.5"):
        model(source, lengths, targets, sampling_probability=1.5)
    with pytest.raises(ValueError, match="needs query_size == key_size, got 8 and 16"):
        Seq2Seq(7, 9, 6, 8, attention="dot", bidirectional=True)


def reversal_batch(generator, size):
    """Sources of 2-4 symbols from 3..7 and targets = the reversed source, then EOS."""
    lengths = torch.randint(2, 5, (size,), generator=generator)
    source = torch.randint(3, 8, (size, 4), generator=generator)
    source = source.masked_fill(torch.arange(4) >= lengths.unsqueeze(1), PAD)
    targets = torch.full((size, 5), PAD)
    for i, n in enumerate(lengths.tolist()):
        targets[i, :n] = source[i, :n].flip(0)
        targets[i, n] = EOS
    return source, lengths, targets


def test_learns_to_reverse_short_sequences(device):
    torch.manual_seed(0)
    model = Seq2Seq(8, 8, embedding_size=16, hidden_size=32, bos_id=BOS, eos_id=EOS, pad_id=PAD).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(80):
        source, lengths, targets = (x.to(device) for x in reversal_batch(g, 32))
        logits, _ = model(source, lengths, targets)
        loss = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0], \
        f"loss should fall by 10x in 80 steps: first {losses[0]:.3f}, last {losses[-1]:.3f}"
    model.eval()
    source, lengths, targets = (x.to(device) for x in reversal_batch(torch.Generator().manual_seed(1), 64))
    decoded = model.decode(source, lengths, max_len=6, beam_size=3)
    correct = sum(decoded.tokens[i, :int(decoded.lengths[i])].tolist() == targets[i, :int(lengths[i]) + 1].tolist()
                  for i in range(64))
    assert correct >= 58, f"expected at least 58/64 reversed sequences, got {correct}"
