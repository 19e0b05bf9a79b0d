"""Classifier, tagger, language model and forecaster heads."""

import pytest
import torch

from lstm_course.nn.heads import Forecaster, LanguageModel, SequenceClassifier, SequenceTagger, sample_logits

V = 11


def padded_batch(device):
    """Three sequences of lengths 3, 6 and 2, padded with junk tokens (not
    only the padding index) so that only packing can hide the padding."""
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(1, V, (3, 6), generator=g)
    return tokens.to(device), torch.tensor([3, 6, 2], device=device)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_output_does_not_depend_on_padding(bidirectional, device):
    torch.manual_seed(0)
    model = SequenceClassifier(V, 5, 7, num_classes=4, num_layers=2, bidirectional=bidirectional).to(device).eval()
    tokens, lengths = padded_batch(device)
    batched = model(tokens, lengths)
    assert batched.shape == (3, 4), f"expected (B, C) = (3, 4), got {tuple(batched.shape)}"
    for b in range(3):
        n = int(lengths[b])
        alone = model(tokens[b:b + 1, :n], lengths[b:b + 1])
        assert torch.allclose(alone, batched[b:b + 1], atol=1e-6), \
            f"sequence {b} (length {n}) gives {alone.tolist()} alone but {batched[b].tolist()} padded in a batch"


def test_classifier_errors_name_expected_and_got(device):
    model = SequenceClassifier(V, 5, 7, num_classes=4).to(device)
    tokens, lengths = padded_batch(device)
    with pytest.raises(ValueError, match=r"lengths must have shape \(B,\) = \(3,\) to match tokens, got \(2,\)"):
        model(tokens, lengths[:2])
    with pytest.raises(ValueError, match=r"lengths must lie in 1..T = 1..6, got \[3, 7, 2\]"):
        model(tokens, lengths + torch.tensor([0, 1, 0], device=device))
    with pytest.raises(ValueError, match=r"tokens must be a \(B, T\) integer tensor"):
        model(tokens.float(), lengths)
    with pytest.raises(ValueError, match="lengths must be an integer tensor, got dtype torch.float32"):
        model(tokens, lengths.float())


def test_tagger_shape_and_bidirectionality(device):
    torch.manual_seed(0)
    model = SequenceTagger(V, 5, 7, num_tags=4).to(device).eval()
    tokens, lengths = padded_batch(device)
    logits = model(tokens, lengths)
    assert logits.shape == (3, 6, 4), f"expected (B, T, n_tags) = (3, 6, 4), got {tuple(logits.shape)}"
    # The first token's output must see the last token (through the backward direction).
    changed = tokens.clone()
    changed[1, 5] = (tokens[1, 5] % (V - 1)) + 1
    other = model(changed, lengths)
    assert not torch.allclose(other[1, 0], logits[1, 0]), "the first output ignores the last token: not bidirectional"
    # But not the padding after a sequence's end.
    changed = tokens.clone()
    changed[0, 3:] = 1
    other = model(changed, lengths)
    assert torch.allclose(other[0, :3], logits[0, :3], atol=1e-6), "the padding leaked into the real positions"


def test_tagger_without_lengths(device):
    model = SequenceTagger(V, 5, 7, num_tags=4).to(device)
    tokens, _ = padded_batch(device)
    assert model(tokens).shape == (3, 6, 4)


def test_weight_tying_shares_one_parameter(device):
    model = LanguageModel(V, 8, 8, tie_weights=True).to(device)
    assert model.output.weight is model.embedding.weight, "tied weights should be the same Parameter object"
    names = [name for name, _ in model.named_parameters()]
    assert "output.weight" not in names, f"the tied weight should be listed once, got {names}"
    projected = LanguageModel(V, 6, 9, tie_weights=True, project=True).to(device)
    assert projected.output.weight is projected.embedding.weight
    logits, (h, c) = projected(torch.randint(0, V, (2, 4), device=device))
    assert logits.shape == (2, 4, V) and h.shape == (1, 2, 9)
    with pytest.raises(ValueError, match="tie_weights needs hidden_size == embedding_size, got hidden_size=9 and "
                                         "embedding_size=6; pass project=True"):
        LanguageModel(V, 6, 9, tie_weights=True)


def test_language_model_state_continues_a_text(device):
    torch.manual_seed(0)
    model = LanguageModel(V, 6, 7, num_layers=2).to(device).eval()
    tokens = torch.randint(0, V, (2, 8), device=device)
    whole, _ = model(tokens)
    first, state = model(tokens[:, :5])
    second, _ = model(tokens[:, 5:], state)
    assert torch.allclose(torch.cat([first, second], dim=1), whole, atol=1e-6)


def lm_and_prompt(device):
    torch.manual_seed(0)
    model = LanguageModel(V, 6, 7).to(device).eval()
    with torch.no_grad():
        model.output.weight.mul_(3.0)  # a less flat distribution, so that sampling and greedy differ
    return model, torch.randint(0, V, (4, 3), device=device)


def test_sampling_is_reproducible_with_a_seeded_generator(device):
    model, prompt = lm_and_prompt(device)
    draw = lambda seed: model.generate(prompt, 12, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    first, again = draw(5), draw(5)
    assert first.shape == (4, 12) and first.dtype == torch.long
    assert torch.equal(first, again), "the same seed should give the same text"
    assert not torch.equal(first, draw(6)), "another seed should give another text"


def test_low_temperature_and_top_1_equal_greedy(device):
    model, prompt = lm_and_prompt(device)
    greedy = model.generate(prompt, 12, greedy=True)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(model.generate(prompt, 12, top_k=1, generator=g), greedy), "top_k=1 must be greedy"
    assert torch.equal(model.generate(prompt, 12, temperature=1e-4, generator=g), greedy), \
        "temperature -> 0 should approach greedy"
    assert not torch.equal(model.generate(prompt, 12, generator=g), greedy), \
        "at temperature 1 sampling should leave the greedy path, or the test shows nothing"


def test_sample_logits_follows_the_softmax_and_top_k(device):
    logits = torch.tensor([0.0, 1.0, 2.0, -1.0], device=device).repeat(20000, 1)
    g = torch.Generator().manual_seed(0)
    for temperature in (1.0, 2.0):
        tokens = sample_logits(logits, temperature=temperature, generator=g)
        frequencies = torch.bincount(tokens, minlength=4).float() / len(tokens)
        expected = torch.softmax(logits[0] / temperature, dim=0)
        assert torch.allclose(frequencies, expected, atol=0.015), \
            f"temperature {temperature}: frequencies {frequencies.tolist()}, softmax {expected.tolist()}"
    tokens = sample_logits(logits, top_k=2, generator=g)
    assert set(tokens.tolist()) == {1, 2}, "top_k=2 should only draw the two most probable tokens"
    frequencies = torch.bincount(tokens, minlength=4).float() / len(tokens)
    assert torch.allclose(frequencies[1:3], torch.softmax(torch.tensor([1.0, 2.0], device=device), 0), atol=0.015)


def test_sampling_argument_errors():
    logits = torch.zeros(2, 5)
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        sample_logits(logits, temperature=0)
    with pytest.raises(ValueError, match="top_k must be None or an integer >= 1, got 0"):
        sample_logits(logits, top_k=0)
    model = LanguageModel(V, 4, 4)
    with pytest.raises(ValueError, match="max_new_tokens must be a positive integer, got 0"):
        model.generate(torch.zeros(1, 2, dtype=torch.long), 0)
    with pytest.raises(ValueError, match=r"prompt must be a \(B, T\) integer tensor with T >= 1, got shape \(1, 0\)"):
        model.generate(torch.zeros(1, 0, dtype=torch.long), 3)


def test_forecaster_shapes(device):
    series = torch.randn(5, 12, 3, device=device)
    one = Forecaster(3, 8, output_size=2).to(device)
    assert one(series).shape == (5, 2), "many-to-one: (B, T, D) -> (B, O)"
    many = Forecaster(3, 8, output_size=2, many_to_many=True).to(device)
    out = many(series)
    assert out.shape == (5, 12, 2), "many-to-many: (B, T, D) -> (B, T, O)"
    # Causal: the prediction after step t does not see later steps.
    later = series.clone()
    later[:, 6:] += 1.0
    assert torch.allclose(many(later)[:, :6], out[:, :6])
    with pytest.raises(ValueError, match=r"series must have shape \(B, T, D=3\) with T >= 1, got \(5, 12, 4\)"):
        one(torch.randn(5, 12, 4, device=device))


def test_forecaster_many_to_one_uses_the_last_step(device):
    torch.manual_seed(0)
    many = Forecaster(3, 8, output_size=2, many_to_many=True).to(device)
    one = Forecaster(3, 8, output_size=2).to(device)
    one.load_state_dict(many.state_dict())
    series = torch.randn(5, 12, 3, device=device)
    assert torch.allclose(one(series), many(series)[:, -1])
