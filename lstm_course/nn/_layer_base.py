"""The machinery of the multi-layer, bidirectional ``RNN``, ``LSTM`` and ``GRU``
(``rnn.py``, ``lstm.py``, ``gru.py``): ``torch.nn.RNNBase`` written out.

``_RecurrentLayers`` takes ``torch.nn.RNNBase``'s constructor arguments
(``input_size, hidden_size, num_layers, bias, batch_first, dropout,
bidirectional``, ``proj_size`` for the LSTM, ``device, dtype``), registers its
parameters under its names (``weight_ih_l0``, ``weight_hr_l1_reverse``, ...),
so that ``ours.load_state_dict(torch_module.state_dict())`` works both ways,
and has its attributes and check methods (``all_weights``, ``_flat_weights``,
``check_forward_args``, ``permute_hidden``, ...). Mistakes raise ``torch.nn``'s
exception types with its messages (``_checks.py``). Each subclass adds one
step of its cell; the layers are stacked as in
book/deep_rnns.md#eq-var-stacked, the two directions as in
book/deep_rnns.md#eq-var-bidirectional, with dropout between layers in
training (book/training_regularisation.md#eq-train-zaremba).

Unlike ``torch.nn``, which calls cuDNN or fused kernels, each layer runs its
cell's equations step by step, with autograd for the backward pass (the LSTM
has a fused path, ``lstm.py``). Two things keep that fast: the input
projection ``W_ih x_t + b`` of every step is one matrix product before the
loop, and the gate blocks share one product ``W_hh h_{t-1}`` per step.

Every input is handled in the layout of a ``PackedSequence``: rows of
``data (N, D)`` grouped by time step, ``batch_sizes[t]`` rows at step t,
longest sequences first (book/training_batching.md). A time-major tensor
(T, B, D) is that layout with every batch size equal to B, so one code path
serves both.

Dimensions: T time steps, B batch, D input features, H hidden units,
P projection size (LSTM), L = ``num_layers``, S = 2 if bidirectional else 1.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from ._cell_base import add_gate_parameters, reset_uniform
from ._checks import (InputError, check_dropout, check_flag, check_same_place, check_size, refuse_torchscript)


def _run_direction(step, xw: Tensor, batch_sizes: list, states: tuple, reverse: bool):
    """Run ``step`` over packed pre-projected inputs in one direction.

    Args:
        step: ``step(xw_t, *states) -> states'`` (a tuple; element 0 is h).
        xw: (N, G*H) input projections, packed layout.
        batch_sizes: rows per time step, non-increasing.
        states: initial states, each (B, ·), B = batch_sizes[0].
        reverse: run from the last step to the first.

    Returns:
        outputs: (N, ·) the h of every row, packed layout.
        states: the final states, each (B, ·): for the forward direction the
        state after each sequence's last step, for the reverse one after its first.
    """
    chunks = list(torch.split(xw, batch_sizes))
    outputs = [None] * len(chunks)
    order = range(len(chunks) - 1, -1, -1) if reverse else range(len(chunks))
    full = batch_sizes[0]
    for t in order:
        rows = batch_sizes[t]
        if rows == full:
            states = step(chunks[t], *states)
        else:
            # Only the first `rows` sequences are active; the others keep their state,
            # which is their final state (forward) or still their initial one (reverse).
            active = step(chunks[t], *(s[:rows] for s in states))
            states = tuple(torch.cat([a, s[rows:]]) for a, s in zip(active, states))
        outputs[t] = states[0] if rows == full else states[0][:rows]
    return torch.cat(outputs), states


class _RecurrentLayers(nn.Module):
    """Shared machinery; subclasses set ``gates``, ``num_states``, ``mode`` and ``_step``.

    Besides the forward pass, it has the attributes and methods of
    ``torch.nn.RNNBase`` that code and torch's utilities use (``all_weights``,
    ``_flat_weights``, ``check_forward_args``, ``permute_hidden``, ...), and
    raises ``torch.nn``'s exceptions for the same mistakes (see ``_checks.py``).
    """

    gates = 1
    num_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        # torch.nn's order of checks, so that the first mistake is the one reported.
        self.dropout = check_dropout(dropout, num_layers)
        self.bias, self.batch_first = check_flag("bias", bias), check_flag("batch_first", batch_first)
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.num_layers = check_size("num_layers", num_layers)
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            raise TypeError(f"proj_size should be of type int, got: {type(proj_size).__name__}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size; proj_size must be 0 or a positive "
                             f"integer smaller than hidden_size={hidden_size}, got {proj_size!r}")
        self.bidirectional, self.proj_size = bidirectional, proj_size
        factory = {"device": device, "dtype": dtype}
        real_hidden = proj_size or hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * self.num_directions
            for suffix in self._suffixes(layer):
                add_gate_parameters(self, self.gates, layer_input, hidden_size, bias, suffix,
                                    state_size=real_hidden, **factory)
                names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
                if proj_size:
                    self.register_parameter(f"weight_hr{suffix}", nn.Parameter(torch.empty(proj_size, hidden_size, **factory)))
                    names.append("weight_hr")
                self._all_weights.append([name + suffix for name in names])
                self._flat_weights_names.extend(name + suffix for name in names)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self) -> list:
        """The parameters in ``torch.nn``'s flat order, read afresh (``functional_call`` swaps them)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """Per layer and direction, ``[w_ih, w_hh, b_ih, b_hh, w_hr]`` (those that exist), as in ``torch.nn``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _suffixes(self, layer: int) -> list:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn`` does."""
        reset_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Does nothing: there is no flat cuDNN weight buffer to compact. Kept so
        that code written for ``torch.nn`` runs unchanged."""

    def __prepare_scriptable__(self):
        refuse_torchscript(self)

    def extra_repr(self) -> str:
        # torch.nn.RNNBase.extra_repr, so that printed models read the same.
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _weights(self, suffix: str):
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("bias_ih"), get("weight_hh"), get("bias_hh"), get("weight_hr")

    # ------------------------------------------------ torch.nn.RNNBase's checks
    def check_input(self, input: Tensor, batch_sizes: Optional[Tensor]) -> None:
        """dtype, rank, feature size and device of ``input`` (3-D, or packed data 2-D)."""
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype and not torch._C._is_any_autocast_enabled():
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise InputError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise InputError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                             f"got {input.size(-1)}")
        if input.device != weight.device:
            raise InputError(f"input is on {input.device} but the parameters are on {weight.device}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Optional[Tensor]) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return self.num_layers * self.num_directions, mini_batch, self.proj_size or self.hidden_size

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if hx.size() != expected_hidden_size:
            name = _STATE_NAMES.get(msg, "hx")
            raise InputError(msg.format(expected_hidden_size, list(hx.size()))
                             + f"; Expected {name} of shape {tuple(expected_hidden_size)}, got {tuple(hx.shape)}")

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes: Optional[Tensor]) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Tensor, permutation: Optional[Tensor]):
        return hx if permutation is None else hx.index_select(1, permutation)

    # --------------------------------------------------------------- forward
    def forward(self, input, hx=None):
        """Run every layer and direction.

        Args:
            input: (T, B, D), (B, T, D) if ``batch_first``, (T, D) unbatched, or
                a ``PackedSequence``.
            hx: initial state (L*S, B, H_out) — for the LSTM a tuple
                ``(h_0, c_0)`` with c_0 (L*S, B, H) — or None for zeros.
                H_out = P for an LSTM with projection, else H.

        Returns:
            ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``): output is
            (T, B, S*H_out) in the layout of ``input`` (a ``PackedSequence`` for
            packed input); h_n (L*S, B, H_out), layer-major.
        """
        x, batch_sizes, sorted_idx, unsorted_idx, unbatched = self._unpack(input)
        states = self._check_states(x, hx, batch_sizes, sorted_idx, unbatched)
        data, batch_list, layout = self._to_packed(x, batch_sizes, input, unbatched)
        if states is None:
            lead, batch = self.num_layers * self.num_directions, batch_list[0] if batch_list else 0
            states = tuple(data.new_zeros(lead, batch, size) for size in self._state_sizes())
        finals = [[] for _ in range(self.num_states)]
        layer_input = data
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                w_ih, b_ih, w_hh, b_hh, w_hr = self._weights(suffix)
                index = layer * self.num_directions + direction
                xw = F.linear(layer_input, w_ih, self._projection_bias(b_ih, b_hh))
                out, state_n = self._run(xw, batch_list, tuple(s[index] for s in states), direction == 1,
                                         w_hh, b_hh, w_hr)
                outputs.append(out)
                for k in range(self.num_states):
                    finals[k].append(state_n[k])
            layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)
        states_n = tuple(torch.stack(f) for f in finals)
        if unsorted_idx is not None:
            states_n = tuple(s.index_select(1, unsorted_idx) for s in states_n)
        output = self._from_packed(layer_input, batch_list, sorted_idx, unsorted_idx, layout)
        if unbatched:
            states_n = tuple(s.squeeze(1) for s in states_n)
        return output, (states_n[0] if self.num_states == 1 else states_n)

    def _run(self, xw, batch_sizes, states, reverse, w_hh, b_hh, w_hr):
        """One layer in one direction: (outputs (N, H_out), final states)."""
        return _run_direction(self._step(w_hh, b_hh, w_hr), xw, batch_sizes, states, reverse)

    def _unpack(self, input):
        """``input`` -> (x, batch_sizes, sorted, unsorted, unbatched): x is the packed
        data (N, D), or a 3-D tensor in the module's layout (unbatched input gets a batch of 1)."""
        if isinstance(input, PackedSequence):
            return input.data, input.batch_sizes, input.sorted_indices, input.unsorted_indices, False
        if not isinstance(input, Tensor):
            raise TypeError(f"input must be a Tensor or a PackedSequence, got {type(input).__name__}")
        if input.dim() not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} "
                             f"instead; expected input to be 2-D (unbatched) or 3-D, got {input.dim()}-D with "
                             f"shape {tuple(input.shape)}")
        unbatched = input.dim() == 2
        x = input.unsqueeze(0 if self.batch_first else 1) if unbatched else input
        return x, None, None, None, unbatched

    def _check_states(self, x, hx, batch_sizes, sorted_idx, unbatched):
        """Check ``hx`` as ``torch.nn`` does; return it as a tuple of (L*S, B, ·) tensors
        in the order of the packed batch, or None."""
        if hx is None:
            self.check_input(x, batch_sizes)
            return None
        if self.num_states == 2 and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{type(self).__name__}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        states = (hx,) if self.num_states == 1 else tuple(hx)
        for k, state in enumerate(states):
            if not isinstance(state, Tensor):
                name = "hx" if self.num_states == 1 else f"hx[{k}]"
                raise TypeError(f"{name} must be a Tensor, got {type(state).__name__}")
        if batch_sizes is None:
            rank = 2 if unbatched else 3
            if any(s.dim() != rank for s in states):
                what = "unbatched 2-D" if unbatched else "batched 3-D"
                if self.num_states == 1:
                    message = f"hx should also be {rank}-D but got {states[0].dim()}-D tensor"
                else:
                    dims = ", ".join(f"{s.dim()}-D" for s in states)
                    message = f"hx and cx should also be {rank}-D but got ({dims}) tensors"
                raise InputError(f"For {what} input, {message}")
            if unbatched:
                states = tuple(s.unsqueeze(1) for s in states)
        self.check_forward_args(x, states[0] if self.num_states == 1 else states, batch_sizes)
        for k, state in enumerate(states):
            check_same_place("hx" if self.num_states == 1 else f"hx[{k}]", state, x)
        permuted = self.permute_hidden(states[0] if self.num_states == 1 else states, sorted_idx)
        return (permuted,) if self.num_states == 1 else tuple(permuted)

    def _to_packed(self, x, batch_sizes, input, unbatched):
        """x -> (data (N, D), batch sizes as a list, layout) in the packed layout."""
        if batch_sizes is not None:
            return x, batch_sizes.tolist(), {"packed": True}
        x = x.transpose(0, 1) if self.batch_first else x
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise InputError("Expected sequence length to be larger than 0 in RNN; "
                             f"the input has no time step: shape {tuple(input.shape)}")
        data = x.reshape(steps * batch, x.shape[2])
        return data, [batch] * steps, {"packed": False, "unbatched": unbatched, "batch": batch}

    def _from_packed(self, data, batch_sizes, sorted_idx, unsorted_idx, layout):
        if layout["packed"]:
            return PackedSequence(data, torch.tensor(batch_sizes), sorted_idx, unsorted_idx)
        out = data.reshape(len(batch_sizes), layout["batch"], data.shape[1])
        if layout["unbatched"]:
            return out.squeeze(1)
        return out.transpose(0, 1) if self.batch_first else out

    def _state_sizes(self) -> tuple:
        return (self.proj_size or self.hidden_size,)

    def _projection_bias(self, b_ih, b_hh):
        """Bias of the input projection: both biases (only their sum matters),
        except for the GRU, whose ``b_hn`` sits inside the reset gate."""
        return None if b_ih is None else b_ih + b_hh


_STATE_NAMES = {"Expected hidden[0] size {}, got {}": "hx[0]", "Expected hidden[1] size {}, got {}": "hx[1]"}
