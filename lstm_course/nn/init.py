"""Initialisations for recurrent layers: orthogonal recurrent weights and an open forget gate.

``orthogonal_recurrent_(layer, gain=1.0)``
    Every recurrent matrix ``weight_hh_l<k>[_reverse]`` of an RNN, LSTM or
    GRU, one orthogonal (H, H) matrix per gate block (Saxe, McClelland &
    Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in
    deep linear neural networks", ICLR). An orthogonal W keeps the length of
    every vector it multiplies, ``||W v|| = ||v||``: all its singular values
    are 1, so the product of recurrent Jacobians of a linear RNN neither
    grows nor shrinks with the number of steps.
``forget_gate_bias_(lstm, value=1.0)``
    The forget-gate bias of every layer and direction of an LSTM, so that
    ``b_if + b_hf = value`` exactly (Gers, Schmidhuber & Cummins 2000,
    "Learning to forget"; Jozefowicz, Zaremba & Sutskever 2015, "An empirical
    exploration of recurrent network architectures"): ``bias_ih`` receives
    ``value`` and ``bias_hh`` 0 in block f of i, f, g, o.

Both work on ``torch.nn.RNN/LSTM/GRU``, on their ``lstm_course.nn``
namesakes, and on the single-layer variants whose parameters are named
``weight_hh`` and ``bias_ih``, ``bias_hh`` (``PeepholeLSTM``,
``VariationalLSTM``, ...). They change the parameters in place, without
recording it for autograd, and return the layer, like ``torch.nn.init``.

Dimensions: H hidden units, G gate blocks (1 for the RNN, 3 for the GRU,
4 for the LSTM).

Taught in the book's chapter "Initialisation and gradient clipping":
orthogonal weights at book/training_init.md#eq-train-orthogonal, the
forget-gate bias at book/training_init.md#eq-train-half-life.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["orthogonal_recurrent_", "forget_gate_bias_", "recurrent_weights"]


def _is_recurrent_weight(name: str) -> bool:
    return name == "weight_hh" or name.startswith("weight_hh_l")


def recurrent_weights(layer: nn.Module) -> dict:
    """``{name: parameter}`` for every recurrent matrix W_hh of ``layer``, (G*H, H) each.

    Raises:
        ValueError: the layer has none.
    """
    weights = {name: p for name, p in layer.named_parameters(recurse=False) if _is_recurrent_weight(name)}
    if not weights:
        raise ValueError(f"{type(layer).__name__} has no parameter named weight_hh or weight_hh_l<k>; "
                         "expected a recurrent layer such as torch.nn.LSTM")
    return weights


def orthogonal_recurrent_(layer: nn.Module, gain: float = 1.0, generator: torch.Generator | None = None) -> nn.Module:
    """Make every gate block of every recurrent matrix ``gain`` times a random orthogonal matrix.

    A recurrent matrix of G gate blocks stacked by rows, (G*H, H), gets G
    independent orthogonal (H, H) blocks, so that each gate's recurrent
    matrix is orthogonal on its own (an orthogonal (G*H, H) matrix would only
    have orthonormal columns, and blocks of norm below 1). With a projection
    (``proj_size`` P < H) a block is (H, P) and gets orthonormal columns.
    The blocks are drawn as ``torch.nn.init.orthogonal_`` draws them: the Q
    of the QR decomposition of a Gaussian matrix, signs corrected.

    Args:
        layer: a recurrent layer (see the module docstring).
        gain: factor applied to every block; its singular values are then ``gain``.
        generator: optional ``torch.Generator`` to draw from; None uses torch's global one.

    Returns:
        ``layer``, changed in place.

    >>> lstm = torch.nn.LSTM(3, 4)
    >>> w = orthogonal_recurrent_(lstm).weight_hh_l0.detach()
    >>> torch.allclose(w[4:8] @ w[4:8].T, torch.eye(4), atol=1e-6)
    True
    """
    if not gain > 0:
        raise ValueError(f"gain must be > 0, got {gain!r}")
    for name, weight in recurrent_weights(layer).items():
        hidden = _hidden_size(layer, weight)
        if weight.shape[0] % hidden:
            raise ValueError(f"{name} has shape {tuple(weight.shape)}; expected (G*H, ·) with H = {hidden}")
        with torch.no_grad():
            for block in weight.split(hidden, dim=0):  # (H, H) or (H, P) views of the parameter
                gaussian = torch.randn(block.shape, generator=generator, dtype=torch.float64)
                block.copy_(gain * _orthogonal_like(gaussian))
    return layer


def _hidden_size(layer: nn.Module, weight: torch.Tensor) -> int:
    """H of ``layer``: its ``hidden_size`` when it has one, else the columns of W_hh."""
    return int(getattr(layer, "hidden_size", weight.shape[1]))


def _orthogonal_like(a: torch.Tensor) -> torch.Tensor:
    """The (semi-)orthogonal matrix of a's shape from the QR decomposition of ``a``, signs corrected."""
    tall = a if a.shape[0] >= a.shape[1] else a.T
    q, r = torch.linalg.qr(tall)  # reduced: q has tall's shape, orthonormal columns
    q = q * torch.sign(torch.diagonal(r))  # unique, and uniformly distributed (Mezzadri 2007)
    return q if a.shape[0] >= a.shape[1] else q.T


def forget_gate_bias_(lstm: nn.Module, value: float = 1.0) -> nn.Module:
    """Set the forget-gate bias of every layer and direction of an LSTM to ``value``.

    The gates see the sum of the two biases, ``a_f = W_if x + b_if + W_hf h + b_hf``.
    Block f (rows H to 2H of i, f, g, o) of every ``bias_ih...`` is set to
    ``value`` and that of every ``bias_hh...`` to 0, so that the sum is
    ``value`` exactly and the forget gate starts near ``sigmoid(value)``.
    The other blocks are left as they are.

    Args:
        lstm: an LSTM with biases, (4H,) each.
        value: the forget-gate bias b_f = b_if + b_hf.

    Returns:
        ``lstm``, changed in place.

    >>> lstm = forget_gate_bias_(torch.nn.LSTM(3, 2), 1.0)
    >>> (lstm.bias_ih_l0 + lstm.bias_hh_l0)[2:4].tolist()
    [1.0, 1.0]
    """
    weights = recurrent_weights(lstm)
    biases = dict(lstm.named_parameters(recurse=False))
    for name, weight in weights.items():
        hidden = _hidden_size(lstm, weight)
        if weight.shape[0] != 4 * hidden:
            raise ValueError(f"{name} has {weight.shape[0]} rows; expected 4H = {4 * hidden} (gates i, f, g, o): "
                             "forget_gate_bias_ needs an LSTM")
        suffix = name[len("weight_hh"):]
        b_ih, b_hh = biases.get("bias_ih" + suffix), biases.get("bias_hh" + suffix)
        if b_ih is None or b_hh is None:
            raise ValueError(f"{type(lstm).__name__} has no bias_ih{suffix} and bias_hh{suffix}; "
                             "expected an LSTM built with bias=True")
        with torch.no_grad():
            b_ih[hidden:2 * hidden] = value
            b_hh[hidden:2 * hidden] = 0.0
    return lstm
