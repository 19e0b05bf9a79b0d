"""Tests of the exercise notebook exercises/padded_batches.ipynb (Exercise 9: batches of sequences of different
lengths).

The checks that every exercise notebook must pass are in
tests/exercises/test_notebooks.py; here, common mistakes are put into a solution
and the failing test cell must name them.
"""

from __future__ import annotations

import pytest

from . import notebooks

NOTEBOOK = notebooks.EXERCISES / "padded_batches.ipynb"
POINTS = {
    "q1_pad_sequences_test": 2,
    "q2_masked_mean_test": 2,
    "q3_masked_cross_entropy_test": 2,
    "q4_last_hidden_test": 2,
    "q5_packed_lstm_test": 3,
}
PACKED_RUN = (
    "    with torch.no_grad():\n"
    "        packed_outputs, (h_n, _) = lstm(packed)  # h_n (1, B, H), in the order of the batch\n"
    "    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_outputs, batch_first=True,\n"
    "                                                        total_length=inputs.shape[1])  # (B, T, H)\n"
)

CROSS_ENTROPY_LABEL = "masked_cross_entropy (B=4, T=6, V=7, lengths=[6, 1, 1, 3]) is wrong"
H_N_LABEL = "h_n (B=4, T=6, D=3, H=5, lengths=[6, 5, 2, 1], seed=1287107264) is wrong"


# name: (answer cell, right code, wrong code, test cell that must name it, what it must say, cells that fail)
MISTAKES = {
    "mask from the pad id": (
        "q1_pad_sequences",
        "    mask = np.arange(padded.shape[1]) < lengths[:, None]",
        "    mask = padded != pad_id",
        "q1_pad_sequences_test",
        ["mask (B=4, T_max=6, pad_id=0) is wrong", "Looks like: the mask compares the padded ids with pad_id"],
        ["q1_pad_sequences_test"],
    ),
    "padding on the left": (
        "q1_pad_sequences",
        "        padded[row, : len(sequence)] = sequence",
        "        padded[row, padded.shape[1] - len(sequence) :] = sequence",
        "q1_pad_sequences_test",
        ["padded (B=4, T_max=6, pad_id=0) is wrong", "Looks like: the padding is on the left"],
        ["q1_pad_sequences_test"],
    ),
    "padding counted in the mean": (
        "q2_masked_mean",
        "real.sum() / mask.sum()",
        "real.sum() / mask.size",
        "q2_masked_mean_test",
        ["masked_mean (B=4, T=6, lengths=[6, 2, 1, 4], padding holds 50.0) is wrong",
         "Looks like: the padding is zeroed but counted"],
        ["q2_masked_mean_test"],
    ),
    "NaN padding times the mask": (
        "q2_masked_mean",
        "np.where(mask, values, 0.0)",
        "values * mask",
        "q2_masked_mean_test",
        ["masked_mean (B=5, T=7, lengths=[7, 2, 6, 5, 6], padding holds nan) is NaN",
         "Looks like: the values are multiplied by the mask, and NaN * 0 is NaN"],
        ["q2_masked_mean_test"],
    ),
    "mean of the sequences' means": (
        "q2_masked_mean",
        "real.sum() / mask.sum()",
        "np.mean(real.sum(axis=1) / mask.sum(axis=1))",
        "q2_masked_mean_test",
        ["masked_mean (B=4, T=6, lengths=[6, 2, 1, 4], padding holds 50.0) is wrong",
         "Looks like: the mean of each sequence's mean"],
        ["q2_masked_mean_test"],
    ),
    "cross-entropy over the padding": (
        "q3_masked_cross_entropy",
        "    return nll[mask].mean()",
        "    return nll.mean()",
        "q3_masked_cross_entropy_test",
        ["masked_cross_entropy (B=4, T=6, V=7, lengths=[6, 1, 1, 3]) is wrong", "Looks like: the padding is counted"],
        ["q3_masked_cross_entropy_test"],
    ),
    "softmax over time": (
        "q3_masked_cross_entropy",
        "torch.log_softmax(logits, dim=-1)",
        "torch.log_softmax(logits, dim=1)",
        "q3_masked_cross_entropy_test",
        [CROSS_ENTROPY_LABEL, "Looks like: the softmax is taken over axis 1, time"],
        ["q3_masked_cross_entropy_test"],
    ),
    "logits taken for log-probabilities": (
        "q3_masked_cross_entropy",
        "torch.log_softmax(logits, dim=-1)",
        "logits",
        "q3_masked_cross_entropy_test",
        [CROSS_ENTROPY_LABEL, "Looks like: the logits are used as log-probabilities"],
        ["q3_masked_cross_entropy_test"],
    ),
    "state after the padding": (
        "q4_last_hidden",
        "    return outputs[np.arange(len(lengths)), lengths - 1]",
        "    return outputs[:, -1]",
        "q4_last_hidden_test",
        ["last_hidden (B=4, T=6, H=3, lengths=[6, 3, 3, 4]) is wrong",
         "Looks like: the state after the last step of the batch, outputs[:, -1]"],
        ["q4_last_hidden_test", "q5_packed_lstm_test"],
    ),
    "batch axis not indexed": (
        "q4_last_hidden",
        "    return outputs[np.arange(len(lengths)), lengths - 1]",
        "    return outputs[:, lengths - 1]",
        "q4_last_hidden_test",
        ["last_hidden (B=4, T=6, H=3, lengths=[6, 3, 3, 4]) has the wrong shape: expected (4, 3), got (4, 4, 3)",
         "Looks like: outputs[:, lengths - 1] indexes only"],
        ["q4_last_hidden_test", "q5_packed_lstm_test"],
    ),
    "batch not packed": (
        "q5_packed_lstm",
        PACKED_RUN,
        "    with torch.no_grad():\n        outputs, (h_n, _) = lstm(torch.from_numpy(inputs))\n",
        "q5_packed_lstm_test",
        [H_N_LABEL, "Looks like: the LSTM read the padding: the batch is not packed"],
        ["q5_packed_lstm_test"],
    ),
    "no total_length": (
        "q5_packed_lstm",
        ",\n                                                        total_length=inputs.shape[1])",
        ")",
        "q5_packed_lstm_test",
        ["outputs (B=1, T=5, D=2, H=3, lengths=[3], seed=227416511) has the wrong shape: "
         "expected (1, 5, 3), got (1, 3, 3)",
         "Looks like: pad_packed_sequence without total_length=T"],
        ["q5_packed_lstm_test"],
    ),
    "h_n from the last padded step": (
        "q5_packed_lstm",
        "    return h_n[0].numpy(), outputs.numpy()",
        "    return outputs[:, -1].numpy(), outputs.numpy()",
        "q5_packed_lstm_test",
        [H_N_LABEL, "Looks like: h_n is the output of the last step of the batch, outputs[:, -1]"],
        ["q5_packed_lstm_test"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_common_mistake_is_named_in_the_failing_test_cell(mistake):
    notebooks.assert_mistake_caught(NOTEBOOK, list(POINTS), MISTAKES[mistake])
