"""PyTorch implementations of the course's recurrent networks, written from
the equations and checked against ``torch.nn`` and the NumPy reference.

The layout mirrors ``lstm_course.numpy_ref``: one module per cell.

``rnn``, ``lstm``, ``gru``
    Each holds its cell's step function, its cell module (``RNNCell``,
    ``LSTMCell``, ``GRUCell``) and its layer module (``RNN``, ``LSTM``,
    ``GRU``): drop-in replacements for their ``torch.nn`` namesakes (same
    arguments, parameter names, state dicts, return values, ``PackedSequence``
    input). ``lstm`` also holds ``LSTMSequence``, the fused recurrence with a
    hand-written backward pass that ``LSTM`` runs on dense input.
``_cell_base``, ``_layer_base``, ``_checks``
    What the three share: parameters and the cells' interface; the
    multi-layer, bidirectional and packed-sequence machinery of
    ``torch.nn.RNNBase``; argument checks with ``torch.nn``'s exceptions.
``variants``, ``layernorm_lstm``, ``batchnorm_lstm``, ``regularization``, ``residual``
    Peephole, coupled-gate, layer- and batch-normalised LSTMs; variational
    dropout, weight drop and zoneout; a residual stack of LSTMs. The
    single-layer variants share ``_lstm_base``.
``minimal``
    minGRU and minLSTM with sequential and parallel-scan modes.
``attention``, ``seq2seq``, ``decoding``
    Additive and multiplicative attention, an encoder-decoder with teacher
    forcing and scheduled sampling, greedy decoding and beam search.
``heads``
    Sequence classifier, tagger, language model and forecaster (with
    ``seq2seq``, they run padded batches through ``_sequence_batches``).
``init``
    Initialisation schemes for the recurrent layers.

Every module runs on the device of its parameters; pick that device once
with ``lstm_course.train.pick_device()`` (CUDA, then MPS, then CPU).
"""

from .attention import AdditiveAttention, MultiplicativeAttention, lengths_to_mask, masked_softmax
from .batchnorm_lstm import BatchNormLSTM
from .decoding import Decoded, beam_search, greedy_decode, length_penalty
from .gru import GRU, GRUCell
from .heads import Forecaster, LanguageModel, SequenceClassifier, SequenceTagger, sample_logits
from .layernorm_lstm import LayerNormLSTM
from .lstm import LSTM, LSTMCell
from .minimal import MinGRU, MinLSTM, linear_scan_chunked, linear_scan_log, linear_scan_sequential
from .regularization import VariationalLSTM, WeightDropLSTM, ZoneoutLSTM
from .residual import ResidualLSTM
from .rnn import RNN, RNNCell
from .seq2seq import Seq2Seq, exponential_decay, inverse_sigmoid_decay, linear_decay
from .variants import CoupledLSTM, PeepholeLSTM

__all__ = [
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "PeepholeLSTM", "CoupledLSTM", "LayerNormLSTM", "BatchNormLSTM", "VariationalLSTM", "WeightDropLSTM",
    "ZoneoutLSTM", "ResidualLSTM",
    "MinGRU", "MinLSTM", "linear_scan_sequential", "linear_scan_chunked", "linear_scan_log",
    "AdditiveAttention", "MultiplicativeAttention", "masked_softmax", "lengths_to_mask",
    "Seq2Seq", "inverse_sigmoid_decay", "linear_decay", "exponential_decay",
    "Decoded", "greedy_decode", "beam_search", "length_penalty",
    "SequenceClassifier", "SequenceTagger", "LanguageModel", "Forecaster", "sample_logits",
]
