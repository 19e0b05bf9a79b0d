"""PyTorch implementations of the course's recurrent networks, written from
the equations and checked against ``torch.nn`` and the NumPy reference.

``recurrent``, ``cells``
    ``RNN``, ``LSTM``, ``GRU`` and ``RNNCell``, ``LSTMCell``, ``GRUCell``:
    drop-in replacements for their ``torch.nn`` namesakes (same arguments,
    parameter names, state dicts, return values, ``PackedSequence`` input).
``variants``, ``layernorm_lstm``, ``regularization``
    Peephole, coupled-gate and layer-normalised LSTMs; variational dropout,
    weight drop and zoneout.
``minimal``
    minGRU and minLSTM with sequential and parallel-scan modes.
``attention``, ``seq2seq``, ``decoding``
    Additive and multiplicative attention, an encoder-decoder with teacher
    forcing and scheduled sampling, greedy decoding and beam search.
``heads``
    Sequence classifier, tagger, language model and forecaster.

Every module runs on the device of its parameters; pick that device once
with ``lstm_course.train.pick_device()`` (CUDA, then MPS, then CPU).
"""

from .attention import AdditiveAttention, MultiplicativeAttention, lengths_to_mask, masked_softmax
from .cells import GRUCell, LSTMCell, RNNCell
from .decoding import Decoded, beam_search, greedy_decode, length_penalty
from .heads import Forecaster, LanguageModel, SequenceClassifier, SequenceTagger, sample_logits
from .layernorm_lstm import LayerNormLSTM
from .minimal import MinGRU, MinLSTM, linear_scan_chunked, linear_scan_log, linear_scan_sequential
from .recurrent import GRU, LSTM, RNN
from .regularization import VariationalLSTM, WeightDropLSTM, ZoneoutLSTM
from .seq2seq import Seq2Seq, exponential_decay, inverse_sigmoid_decay, linear_decay
from .variants import CoupledLSTM, PeepholeLSTM

__all__ = [
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "PeepholeLSTM", "CoupledLSTM", "LayerNormLSTM", "VariationalLSTM", "WeightDropLSTM", "ZoneoutLSTM",
    "MinGRU", "MinLSTM", "linear_scan_sequential", "linear_scan_chunked", "linear_scan_log",
    "AdditiveAttention", "MultiplicativeAttention", "masked_softmax", "lengths_to_mask",
    "Seq2Seq", "inverse_sigmoid_decay", "linear_decay", "exponential_decay",
    "Decoded", "greedy_decode", "beam_search", "length_penalty",
    "SequenceClassifier", "SequenceTagger", "LanguageModel", "Forecaster", "sample_logits",
]
