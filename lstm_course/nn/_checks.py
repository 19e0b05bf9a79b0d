"""Argument checks with the exception types and messages of ``torch.nn``.

Code written for ``torch.nn`` catches its exceptions by type, and PyTorch's own
tests match its messages with regular expressions; so each message here starts
with ``torch.nn``'s text and may go on with a plainer explanation.

``torch.nn`` reports a tensor of the wrong shape, size or device with a
``RuntimeError`` (raised in C++), where this package raised ``ValueError``;
``InputError`` is both, so code written against either keeps working. In the
same way ``StateTypeError`` (a state of the wrong dtype) is a ``RuntimeError``
and a ``TypeError``.
"""

from __future__ import annotations

import numbers
import warnings

NONLINEARITIES = ("tanh", "relu")


class InputError(RuntimeError, ValueError):
    """An input or state of the wrong shape or on the wrong device."""


class StateTypeError(RuntimeError, TypeError):
    """A state whose dtype differs from the input's."""


def check_size(name: str, value, allow_zero: bool = False) -> int:
    """A size argument: ``TypeError`` unless an ``int``, ``ValueError`` unless > 0 (>= 0 with ``allow_zero``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if allow_zero and value < 0:
        raise ValueError(f"{name} must be greater than or equal to zero, got {value!r}")
    if not allow_zero and value <= 0:
        raise ValueError(f"{name} must be greater than zero; {name} must be a positive integer, got {value!r}")
    return value


def check_flag(name: str, value) -> bool:
    """A ``bool`` argument; ``torch.nn`` refuses 0, 1 and strings, which are easy to pass by mistake."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    return value


def check_dropout(dropout, num_layers: int) -> float:
    """``dropout`` in [0, 1]; warn, as ``torch.nn`` does, when one layer leaves nothing to drop."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         f"element being zeroed, got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    return float(dropout)


def check_nonlinearity(value) -> str:
    if value not in NONLINEARITIES:
        raise ValueError(f"Unknown nonlinearity '{value}'. Select from 'tanh' or 'relu'. "
                         f"(nonlinearity must be one of {NONLINEARITIES}, got {value!r})")
    return value


def refuse_projection(cls_name: str, kwargs: dict) -> None:
    """``proj_size`` given to an RNN or GRU, or any other unknown keyword argument."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"{cls_name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")


def refuse_torchscript(module) -> None:
    """Called by ``torch.jit.script`` (as ``__prepare_scriptable__``) before it compiles ``module``,
    whose Python forward pass TorchScript cannot compile; say what to use instead."""
    raise RuntimeError(f"lstm_course.nn.{type(module).__name__} cannot be compiled with torch.jit.script "
                       "(TorchScript is in maintenance mode). Use torch.export.export(module, (input,)) "
                       "to deploy it, or torch.compile(module) to speed it up.")
