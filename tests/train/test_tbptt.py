"""Tests of lstm_course.train.tbptt, and of fit in stateful (truncated BPTT) mode."""

from __future__ import annotations

from collections import namedtuple

import pytest
import torch
from torch import nn

from lstm_course.train import TrainConfig, detach_state, fit, tbptt_batches

from .toys import TinyLanguageModel

VOCAB, T_TOTAL, B, K = 7, 10, 3, 4  # three chunks: 4 + 4 + 1 steps


def _tokens(seed: int = 0) -> torch.Tensor:
    return torch.randint(0, VOCAB, (T_TOTAL, B), generator=torch.Generator().manual_seed(seed))  # (T_total, B)


@pytest.mark.parametrize("chunk_len", [1, 3, 4, 9, 20])
def test_chunks_cover_every_token_exactly_once(chunk_len):
    tokens = torch.arange(T_TOTAL * B).view(T_TOTAL, B)  # every entry distinct
    chunks = tbptt_batches(tokens, chunk_len)
    inputs = torch.cat([x for x, _ in chunks])
    targets = torch.cat([y for _, y in chunks])
    assert torch.equal(inputs, tokens[:-1]), "the inputs together must be tokens[:-1], in order, once each"
    assert torch.equal(targets, tokens[1:]), "the targets together must be tokens[1:], in order, once each"
    assert all(x.shape == y.shape and x.shape[0] <= chunk_len for x, y in chunks)
    assert [x.shape[0] for x, _ in chunks[:-1]] == [chunk_len] * (len(chunks) - 1), "only the last chunk may be short"


@pytest.mark.parametrize(
    ("tokens", "chunk_len", "message"),
    [
        (torch.arange(10), 2, r"tokens must be a \(T_total, B\) tensor; got \(10,\)"),
        (torch.zeros(1, 3), 2, r"needs T_total >= 2 steps"),
        (torch.zeros(5, 3), 0, r"chunk_len must be an integer >= 1; got 0"),
    ],
)
def test_bad_input_is_an_error(tokens, chunk_len, message):
    with pytest.raises(ValueError, match=message):
        tbptt_batches(tokens, chunk_len)


def test_detach_state_keeps_values_and_structure_and_drops_history():
    w = torch.ones(2, requires_grad=True)
    State = namedtuple("State", "h c")
    state = {"lstm": State(w * 2, [w * 3, None]), "step": 4}
    detached = detach_state(state)
    assert isinstance(detached["lstm"], State) and detached["step"] == 4 and detached["lstm"].c[1] is None
    for before, after in [(state["lstm"].h, detached["lstm"].h), (state["lstm"].c[0], detached["lstm"].c[0])]:
        assert before.grad_fn is not None, "the test needs a state with history"
        assert after.grad_fn is None and not after.requires_grad, "expected no autograd history"
        assert torch.equal(after, before), "expected the same values"
    assert detach_state(None) is None


def _lm_fit(model, epochs=2, lr=0.1, val=True):
    tokens = _tokens()
    return fit(
        model,
        tbptt_batches(tokens, K),
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=lr),
        val_batches=tbptt_batches(_tokens(seed=1), K) if val else None,
        config=TrainConfig(epochs=epochs, stateful=True),
    )


def test_state_is_carried_detached_and_reset_every_epoch():
    torch.manual_seed(0)
    model = TinyLanguageModel(VOCAB)
    _lm_fit(model)
    chunks = len(tbptt_batches(_tokens(), K))
    calls = model.calls
    assert len(calls) == 2 * 2 * chunks, "expected one call per chunk, for training and validation, in 2 epochs"
    for epoch in range(2):
        for phase, training in ((0, True), (1, False)):
            start = (2 * epoch + phase) * chunks
            run = calls[start : start + chunks]
            assert all(call["training"] is training for call in run)
            assert run[0]["state_in"] is None, f"epoch {epoch + 1}: expected the state reset to None at the start"
            for i in range(chunks - 1):
                passed, produced = run[i + 1]["state_in"], run[i]["state_out"]
                for got, want in zip(passed, produced):
                    assert got.grad_fn is None and not got.requires_grad, f"chunk {i + 2}: expected a detached state"
                    assert torch.equal(got, want), f"chunk {i + 2}: expected the final state of chunk {i + 1}"
                if training:
                    assert produced[0].grad_fn is not None, "the test needs chunk states that carry history"


def test_gradients_do_not_flow_across_chunks():
    torch.manual_seed(0)
    model = TinyLanguageModel(VOCAB)
    seen = []
    tokens = _tokens()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: every chunk sees the same weights
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append([p.grad.clone() for p in model.parameters()]))
    fit(
        model,
        tbptt_batches(tokens, K),
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optimizer,
        config=TrainConfig(epochs=1, stateful=True),
    )

    (x1, _), (x2, y2), _ = tbptt_batches(tokens, K)

    def second_chunk_grads(detach: bool) -> list:
        model.zero_grad()
        _, state = model(x1)
        logits, _ = model(x2, detach_state(state) if detach else state)
        nn.CrossEntropyLoss()(logits.flatten(0, -2), y2.flatten()).backward()
        return [p.grad.clone() for p in model.parameters()]

    truncated, full = second_chunk_grads(detach=True), second_chunk_grads(detach=False)
    assert any(not torch.allclose(a, b) for a, b in zip(truncated, full)), "the test needs a state that matters"
    for got, want in zip(seen[1], truncated):
        torch.testing.assert_close(got, want, msg=lambda m: f"chunk 2: expected the truncated gradient; {m}")


def test_language_model_learns_its_training_stream():
    torch.manual_seed(0)
    history = _lm_fit(TinyLanguageModel(VOCAB, hidden=16), epochs=40, lr=0.5, val=False)
    first, last = history[0].train_loss, history[-1].train_loss
    assert last < 0.5 * first, f"expected the training loss to halve from {first:.3f} in 40 epochs; got {last:.3f}"


class _LogitsOnly(nn.Module):
    """Takes a state but returns only the logits: a broken stateful model."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, VOCAB)

    def forward(self, inputs: torch.Tensor, state=None) -> torch.Tensor:
        return self.embed(inputs)  # (k, B, V)


def test_stateful_model_must_return_logits_and_state():
    model = _LogitsOnly()
    with pytest.raises(ValueError, match=r"model must return \(logits, new_state\); got Tensor"):
        fit(
            model,
            tbptt_batches(_tokens(), K),
            loss_fn=nn.CrossEntropyLoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            config=TrainConfig(epochs=1, stateful=True),
        )
