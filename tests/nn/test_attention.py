"""Additive and multiplicative attention: masking, the equations, gradients."""

import math

import pytest
import torch
from torch.func import functional_call

from lstm_course.nn.attention import AdditiveAttention, MultiplicativeAttention, lengths_to_mask, masked_softmax

B, S, HQ, HK, HV, A = 3, 5, 4, 6, 7, 8
LENGTHS = [5, 2, 1]


def make(kind, dtype=torch.float32, device="cpu"):
    torch.manual_seed(0)
    if kind == "additive":
        return AdditiveAttention(HQ, HK, A).to(device, dtype)
    if kind == "dot":
        return MultiplicativeAttention(HQ, HQ, score="dot").to(device, dtype)
    return MultiplicativeAttention(HQ, HK, score="general").to(device, dtype)


def inputs(module, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(1)
    query = torch.randn(B, HQ, generator=g, dtype=dtype).to(device)
    keys = torch.randn(B, S, module.key_size, generator=g, dtype=dtype).to(device)
    values = torch.randn(B, S, HV, generator=g, dtype=dtype).to(device)
    mask = lengths_to_mask(torch.tensor(LENGTHS, device=device), S)
    return query, keys, values, mask


KINDS = ["additive", "dot", "general"]


@pytest.mark.parametrize("kind", KINDS)
def test_weights_sum_to_one_on_real_positions_and_are_zero_on_padding(kind, device):
    module = make(kind, device=device)
    query, keys, values, mask = inputs(module, device=device)
    context, weights = module(query, keys, values, mask)
    assert context.shape == (B, HV) and weights.shape == (B, S)
    assert torch.allclose(weights.sum(dim=1), torch.ones(B, device=device), atol=1e-6), \
        f"weights should sum to 1 per row, got {weights.sum(dim=1)}"
    assert torch.all(weights[~mask] == 0), f"weights on padding should be exactly 0, got {weights[~mask]}"
    assert torch.all(weights[mask] > 0), "every real position should get a positive weight"


@pytest.mark.parametrize("kind", KINDS)
def test_padding_content_does_not_matter(kind, device):
    module = make(kind, device=device)
    query, keys, values, mask = inputs(module, device=device)
    junk_keys = keys.masked_fill(~mask.unsqueeze(2), 1e4)
    junk_values = values.masked_fill(~mask.unsqueeze(2), -1e4)
    expected = module(query, keys, values, mask)
    got = module(query, junk_keys, junk_values, mask)
    for e, g, name in zip(expected, got, ("context", "weights")):
        assert torch.allclose(e, g, atol=1e-6), f"{name} changed with the padding content"


def hand_softmax(scores, length):
    real = [math.exp(e) for e in scores[:length]]
    total = sum(real)
    return [r / total for r in real] + [0.0] * (len(scores) - length)


def hand_context(weights, values_b):
    return [sum(weights[s] * values_b[s][j] for s in range(S)) for j in range(HV)]


@pytest.mark.parametrize("kind", KINDS)
def test_matches_a_hand_written_computation_of_the_equations(kind):
    module = make(kind, dtype=torch.float64)
    query, keys, values, mask = inputs(module, dtype=torch.float64)
    context, weights = module(query, keys, values, mask)
    q, k, v = query.tolist(), keys.tolist(), values.tolist()
    for b in range(B):
        scores = []
        for s in range(S):
            if kind == "additive":
                wq, wk = module.weight_query.tolist(), module.weight_key.tolist()
                bias, w = module.bias.tolist(), module.weight_score.tolist()
                hidden = [math.tanh(sum(wq[a][i] * q[b][i] for i in range(HQ))
                                    + sum(wk[a][j] * k[b][s][j] for j in range(HK)) + bias[a]) for a in range(A)]
                scores.append(sum(w[a] * hidden[a] for a in range(A)))
            elif kind == "dot":
                scores.append(sum(q[b][i] * k[b][s][i] for i in range(HQ)))
            else:
                wa = module.weight.tolist()
                scores.append(sum(q[b][i] * wa[i][j] * k[b][s][j] for i in range(HQ) for j in range(HK)))
        expected_weights = hand_softmax(scores, LENGTHS[b])
        assert torch.allclose(weights[b], torch.tensor(expected_weights, dtype=torch.float64), atol=1e-12), \
            f"{kind} weights of row {b}: expected {expected_weights}, got {weights[b].tolist()}"
        expected_context = hand_context(expected_weights, v[b])
        assert torch.allclose(context[b], torch.tensor(expected_context, dtype=torch.float64), atol=1e-12), \
            f"{kind} context of row {b}: expected {expected_context}, got {context[b].tolist()}"


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_inputs_and_parameters(kind, device):
    # Small sizes: gradcheck differentiates numerically one input entry at a time.
    torch.manual_seed(0)
    options = {"device": device, "dtype": torch.float64}
    module = {"additive": AdditiveAttention(2, 3, 4, **options),
              "dot": MultiplicativeAttention(3, 3, score="dot", **options),
              "general": MultiplicativeAttention(2, 3, **options)}[kind]
    query = torch.randn(2, module.query_size, **options)
    keys, values = torch.randn(2, 3, 3, **options), torch.randn(2, 3, 2, **options)
    mask = lengths_to_mask(torch.tensor([3, 2], device=device), 3)
    names = [name for name, _ in module.named_parameters()]

    def run(q, k, v, *params):
        return functional_call(module, dict(zip(names, params)), (q, k, v, mask))

    tensors = [t.detach().clone().requires_grad_() for t in (query, keys, values, *module.parameters())]
    assert torch.autograd.gradcheck(run, tuple(tensors)), f"gradcheck failed for {kind}"


def test_masked_softmax_is_finite_for_extreme_scores(device):
    for dtype in (torch.float16, torch.float32, torch.float64):
        big = torch.finfo(dtype).max
        scores = torch.tensor([[big, -big, 0.0], [-big, -big, -big]], dtype=dtype, device=device)
        mask = torch.tensor([[True, True, False], [False, True, True]], device=device)
        weights = masked_softmax(scores, mask)
        assert torch.isfinite(weights).all(), f"{dtype}: NaN or inf in {weights}"
        assert torch.allclose(weights.sum(dim=1).float(), torch.ones(2, device=device)), f"{dtype}: {weights}"
        assert torch.all(weights[~mask] == 0)


def test_row_without_real_token_raises(device):
    module = make("general", device=device)
    query, keys, values, mask = inputs(module, device=device)
    mask[1] = False
    with pytest.raises(ValueError, match=r"rows \[1\] have none"):
        module(query, keys, values, mask)


def test_shape_errors_name_expected_and_got():
    module = make("general")
    query, keys, values, mask = inputs(module)
    with pytest.raises(ValueError, match=rf"query must have shape \(B, H_q={HQ}\), got \({B}, 9\)"):
        module(torch.randn(B, 9), keys, values, mask)
    with pytest.raises(ValueError, match=rf"keys must have shape \(B={B}, S, H_k={HK}\), got \({B}, {S}, 2\)"):
        module(query, torch.randn(B, S, 2), values, mask)
    with pytest.raises(ValueError, match=rf"values must have shape \(B={B}, S={S}, H_v\), got \({B}, 4, {HV}\)"):
        module(query, keys, values[:, :4], mask)
    with pytest.raises(ValueError, match=rf"mask must have shape \(B={B}, S={S}\), got \({B}, 4\)"):
        module(query, keys, values, mask[:, :4])
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        module(query, keys, values, mask.long())
    with pytest.raises(ValueError, match="needs query_size == key_size, got 4 and 6"):
        MultiplicativeAttention(4, 6, score="dot")
    with pytest.raises(ValueError, match="score must be one of"):
        MultiplicativeAttention(4, 6, score="concat")


def test_values_default_to_keys():
    module = make("general")
    query, keys, _, mask = inputs(module)
    assert torch.equal(module(query, keys, mask=mask)[0], module(query, keys, keys, mask)[0])
