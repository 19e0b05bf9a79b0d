"""``RNN``, ``LSTM`` and ``GRU`` with the interface of their ``torch.nn`` namesakes.

Same constructor arguments, parameter names and shapes (``weight_ih_l0``,
``weight_hh_l1_reverse``, ...), ``forward`` return values and layouts, so
that a ``torch`` state dict loads as it is and the two can be compared number
for number. Unlike ``torch.nn`` there is no autograd: ``backward`` replays
the caches of the last ``forward`` and fills ``.grads``.

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``,
L = ``num_layers``, S = 2 if ``bidirectional`` else 1. Stacked layers are
book/deep_rnns.md#eq-var-stacked, the two directions
book/deep_rnns.md#eq-var-bidirectional.

Example::

    >>> import numpy as np
    >>> lstm = LSTM(input_size=3, hidden_size=5, num_layers=2, rng=0)
    >>> output, (h_n, c_n) = lstm(np.ones((7, 2, 3)))   # (T, B, D)
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    >>> d_input, (dh0, dc0) = lstm.backward(np.ones_like(output))
    >>> lstm.grads["weight_hh_l1"].shape
    (20, 5)
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_finite
from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .rnn import NONLINEARITIES, rnn_backward, rnn_forward


def _to_numpy(value):
    """Arrays pass through; torch tensors (or anything with ``.detach``) are converted."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return value


class _RecurrentLayers:
    """Stacked, optionally bidirectional recurrent layers; subclasses supply
    the cell through ``_gates``, ``_num_states``, ``_run`` and ``_run_backward``."""

    _gates = 1
    _num_states = 1  # 2 for the LSTM: (h, c)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, dtype=np.float64, rng=None):
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if dropout != 0:
            raise ValueError(f"the NumPy reference has no dropout between layers: dropout must be 0, got {dropout!r}")
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype must be a floating type such as np.float32 or np.float64, got {np.dtype(dtype)}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.dtype = np.dtype(dtype)
        self.params: dict[str, np.ndarray] = {}
        for name, shape in self._parameter_shapes():
            self.params[name] = np.empty(shape, dtype=self.dtype)
        self.grads: dict[str, np.ndarray] = {}
        self._last = None  # what backward needs from the last forward
        self.reset_parameters(rng)

    # ------------------------------------------------------------------ parameters
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _parameter_shapes(self):
        """Names and shapes in the order of ``torch.nn``'s state dict."""
        gh = self._gates * self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                yield f"weight_ih{suffix}", (gh, layer_input)
                yield f"weight_hh{suffix}", (gh, self.hidden_size)
                if self.bias:
                    yield f"bias_ih{suffix}", (gh,)
                    yield f"bias_hh{suffix}", (gh,)

    def _suffixes(self, layer):
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def _layer_params(self, suffix):
        p = self.params
        if self.bias:
            return p[f"weight_ih{suffix}"], p[f"weight_hh{suffix}"], p[f"bias_ih{suffix}"], p[f"bias_hh{suffix}"]
        return p[f"weight_ih{suffix}"], p[f"weight_hh{suffix}"], None, None

    def reset_parameters(self, rng=None) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as ``torch.nn`` does.

        ``rng`` is a ``np.random.Generator``, a seed, or None for fresh entropy.
        """
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(self.hidden_size)
        for value in self.params.values():
            value[...] = rng.uniform(-bound, bound, size=value.shape)

    def state_dict(self) -> dict:
        """Copies of the parameters, keyed and ordered like ``torch.nn``'s state dict."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, mapping) -> None:
        """Copy parameters in from ``mapping`` (NumPy arrays or torch tensors).

        The keys must be exactly those of ``state_dict()`` and every entry must
        have the right shape and be finite; values are cast to ``self.dtype``.
        Raises ``ValueError`` naming the missing, unexpected or misshaped keys.
        """
        if not hasattr(mapping, "keys"):
            raise TypeError(f"load_state_dict expects a mapping of names to arrays, got {type(mapping).__name__}")
        missing = [k for k in self.params if k not in mapping]
        unexpected = [k for k in mapping if k not in self.params]
        if missing or unexpected:
            raise ValueError(f"state dict does not match {self!r}: missing keys {missing}, unexpected keys {unexpected}")
        arrays = {k: as_float_array(k, _to_numpy(mapping[k])) for k in self.params}
        for name, array in arrays.items():
            if array.shape != self.params[name].shape:
                raise ValueError(f"{name} must have shape {self.params[name].shape}, got {array.shape}")
            check_finite(name, array)
        for name, array in arrays.items():
            self.params[name][...] = array  # in place, so references held by an optimiser stay valid

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_repr().items())
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra})"

    def _extra_repr(self) -> dict:
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "bidirectional": False}
        return {k: getattr(self, k) for k, d in defaults.items() if getattr(self, k) != d}

    # ------------------------------------------------------------------ forward
    def __call__(self, input, hx=None):
        return self.forward(input, hx)

    def forward(self, input, hx=None):
        """Run every layer and direction over ``input``.

        Args:
            input: (T, B, D), or (B, T, D) if ``batch_first``, or (T, D) unbatched.
            hx: initial state(s) of shape (L*S, B, H) ((L*S, H) unbatched) —
                for the LSTM a tuple ``(h_0, c_0)`` — or None for zeros.

        Returns:
            output: (T, B, S*H) (batch-first or unbatched like ``input``), the
            last layer's hidden states, directions concatenated.
            h_n: (L*S, B, H) final hidden states, layer-major
            (index ``layer * S + direction``); the LSTM returns ``(h_n, c_n)``.
        """
        x, unbatched = self._input_to_time_major(input)
        states0 = self._initial_states(hx, x.shape[1], unbatched)
        self._last = None  # frees the previous caches before this pass allocates its own
        caches, finals = [], [[] for _ in range(self._num_states)]
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self.num_directions + direction
                seq = layer_input[::-1] if direction else layer_input
                out, state_n, cache = self._run(seq, tuple(s[index] for s in states0), self._layer_params(suffix))
                outputs.append(out[::-1] if direction else out)
                caches.append((suffix, cache))
                for k in range(self._num_states):
                    finals[k].append(state_n[k])
            layer_input = np.concatenate(outputs, axis=2) if len(outputs) > 1 else outputs[0]
        output = self._output_layout(layer_input, unbatched)
        self._last = dict(caches=caches, batch=x.shape[1], unbatched=unbatched, output_shape=output.shape)
        states_n = tuple(self._state_layout(np.stack(f), unbatched) for f in finals)
        return output, self._pack_states(states_n)

    def _input_to_time_major(self, input):
        x = as_float_array("input", input, dtype=self.dtype)
        if x.ndim not in (2, 3):
            raise ValueError(f"input must be 3-D (T, B, D) or 2-D unbatched (T, D), got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"input.shape[-1] must equal input_size={self.input_size}, got input of shape {x.shape}")
        check_finite("input", x)
        unbatched = x.ndim == 2
        if unbatched:
            x = x[:, None, :]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"input must have at least one time step and one sequence, got shape {np.shape(input)}")
        return x, unbatched

    def _output_layout(self, out, unbatched):
        if unbatched:
            return out[:, 0, :]
        return out.transpose(1, 0, 2) if self.batch_first else out

    def _state_layout(self, state, unbatched):
        return state[:, 0, :] if unbatched else state

    def _expected_state_shape(self, batch, unbatched):
        lead = self.num_layers * self.num_directions
        return (lead, self.hidden_size) if unbatched else (lead, batch, self.hidden_size)

    def _state_arrays(self, name, value, batch, unbatched, what):
        """Validate and convert one state argument (None means zeros)."""
        expected = self._expected_state_shape(batch, unbatched)
        if value is None:
            return np.zeros((expected[0], batch, self.hidden_size), dtype=self.dtype)
        array = as_float_array(name, _to_numpy(value), dtype=self.dtype)
        if array.shape != expected:
            raise ValueError(f"Expected {what} {name} of shape {expected}, got {array.shape}")
        check_finite(name, array)
        return array[:, None, :] if unbatched else array

    def _initial_states(self, hx, batch, unbatched):
        names = ("h_0", "c_0")[: self._num_states]
        values = self._unpack_states(hx, "hx")
        return tuple(self._state_arrays(n, v, batch, unbatched, "initial state") for n, v in zip(names, values))

    def _unpack_states(self, value, name):
        """``hx``-like argument -> tuple of ``_num_states`` entries (each may be None)."""
        if self._num_states == 1:
            return (value,)
        if value is None:
            return (None, None)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"{name} must be a tuple (h, c) for the LSTM, got {type(value).__name__}")
        return tuple(value)

    def _pack_states(self, states):
        return states[0] if self._num_states == 1 else states

    # ------------------------------------------------------------------ backward
    def backward(self, d_output, d_hx=None):
        """Backpropagate through the last ``forward`` and fill ``self.grads``.

        Args:
            d_output: gradient w.r.t. ``output``, same shape and layout.
            d_hx: gradient w.r.t. ``h_n`` (for the LSTM a tuple
                ``(dh_n, dc_n)``, either entry may be None), or None.

        Returns:
            d_input: gradient w.r.t. ``input``, same shape and layout.
            d_hx0: gradient w.r.t. the initial state(s), shaped like ``hx``
            (for the LSTM a tuple ``(dh_0, dc_0)``).

        ``self.grads`` maps every parameter name to its gradient; it is
        overwritten on every call, not accumulated as in ``torch``.
        """
        if self._last is None:
            raise ValueError("backward() was called before forward(): there is nothing to backpropagate through")
        last = self._last
        batch, unbatched = last["batch"], last["unbatched"]
        d_out = as_float_array("d_output", _to_numpy(d_output), dtype=self.dtype)
        expected = last["output_shape"]
        if d_out.shape != expected:
            raise ValueError(f"d_output must have the shape of output, {expected}, got {d_out.shape}")
        if unbatched:
            d_out = d_out[:, None, :]
        elif self.batch_first:
            d_out = d_out.transpose(1, 0, 2)
        names = ("dh_n", "dc_n")[: self._num_states]
        d_states_n = tuple(
            self._state_arrays(n, v, batch, unbatched, "gradient")
            for n, v in zip(names, self._unpack_states(d_hx, "d_hx"))
        )
        d_states0 = [np.zeros_like(s) for s in d_states_n]
        grads = {}
        caches = dict(last["caches"])
        for layer in range(self.num_layers - 1, -1, -1):
            d_layer_input = None
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self.num_directions + direction
                d_seq = d_out[..., direction * self.hidden_size : (direction + 1) * self.hidden_size]
                d_seq = d_seq[::-1] if direction else d_seq
                dx, d_state0, d_params = self._run_backward(d_seq, tuple(s[index] for s in d_states_n), caches[suffix])
                dx = dx[::-1] if direction else dx
                d_layer_input = dx if d_layer_input is None else d_layer_input + dx
                for k in range(self._num_states):
                    d_states0[k][index] = d_state0[k]
                for kind, grad in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), d_params):
                    if grad is not None:
                        grads[f"{kind}{suffix}"] = grad
            d_out = d_layer_input
        self.grads = {name: grads[name] for name in self.params}
        d_input = self._output_layout(d_out, unbatched)
        return d_input, self._pack_states(tuple(self._state_layout(s, unbatched) for s in d_states0))


class RNN(_RecurrentLayers):
    """Elman RNN layers, like ``torch.nn.RNN``: ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Args: ``input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0 (must be 0), bidirectional=False``,
    and keyword-only ``dtype`` (default float64) and ``rng`` (seed or
    Generator for ``reset_parameters``). ``forward`` returns ``(output, h_n)``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, *, dtype=np.float64, rng=None):
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype, rng=rng)

    def _extra_repr(self):
        extra = super()._extra_repr()
        return {"nonlinearity": self.nonlinearity, **extra} if self.nonlinearity != "tanh" else extra

    def _run(self, x, states0, params):
        h, cache = rnn_forward(x, states0[0], *params, nonlinearity=self.nonlinearity)
        return h, (h[-1],), cache

    def _run_backward(self, dh, d_states_n, cache):
        g = rnn_backward(dh, cache, dh_n=d_states_n[0])
        return g.dx, (g.dh0,), (g.dw_ih, g.dw_hh, g.db_ih, g.db_hh)


class LSTM(_RecurrentLayers):
    """LSTM layers, like ``torch.nn.LSTM`` (gate order i, f, g, o; see ``lstm.py``).

    Args: ``input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0 (must be 0), bidirectional=False, proj_size=0 (must be 0)``,
    and keyword-only ``dtype`` and ``rng``. ``forward`` returns
    ``(output, (h_n, c_n))``.
    """

    _gates = 4
    _num_states = 2

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, *, dtype=np.float64, rng=None):
        if proj_size != 0:
            raise ValueError(f"the NumPy reference LSTM has no projection: proj_size must be 0, got {proj_size!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype, rng=rng)

    def _run(self, x, states0, params):
        h, c, cache = lstm_forward(x, states0[0], states0[1], *params)
        return h, (h[-1], c[-1]), cache

    def _run_backward(self, dh, d_states_n, cache):
        g = lstm_backward(dh, cache, dh_n=d_states_n[0], dc_n=d_states_n[1])
        return g.dx, (g.dh0, g.dc0), (g.dw_ih, g.dw_hh, g.db_ih, g.db_hh)


class GRU(_RecurrentLayers):
    """GRU layers, like ``torch.nn.GRU`` (gate order r, z, n, reset after the
    matrix product; see ``gru.py``).

    Args: ``input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0 (must be 0), bidirectional=False``, and keyword-only ``dtype``
    and ``rng``. ``forward`` returns ``(output, h_n)``.
    """

    _gates = 3

    def _run(self, x, states0, params):
        h, cache = gru_forward(x, states0[0], *params)
        return h, (h[-1],), cache

    def _run_backward(self, dh, d_states_n, cache):
        g = gru_backward(dh, cache, dh_n=d_states_n[0])
        return g.dx, (g.dh0,), (g.dw_ih, g.dw_hh, g.db_ih, g.db_hh)
