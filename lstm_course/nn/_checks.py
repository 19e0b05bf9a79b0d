"""Argument checks with the exception types and messages of ``torch.nn``.

Code written for ``torch.nn`` catches its exceptions by type, and PyTorch's own
tests match its messages with regular expressions; so each message here starts
with ``torch.nn``'s text and may go on with a plainer explanation.

``torch.nn`` reports a tensor of the wrong shape, size or device with a
``RuntimeError`` (raised in C++), where this package raised ``ValueError``;
``InputError`` is both, so code written against either keeps working. In the
same way ``StateTypeError`` (a state of the wrong dtype) is a ``RuntimeError``
and a ``TypeError``.

Every check of an integer size or a probability in ``lstm_course.nn`` is here,
once: the layers that mirror ``torch.nn`` use ``check_size`` and
``check_dropout`` (``torch.nn``'s types and messages), the course's own
modules ``check_positive_int`` and ``check_rate`` (a ``ValueError`` naming the
argument).
"""

from __future__ import annotations

import numbers
import warnings

from torch import Tensor

NONLINEARITIES = ("tanh", "relu")


class InputError(RuntimeError, ValueError):
    """An input or state of the wrong shape or on the wrong device."""


class StateTypeError(RuntimeError, TypeError):
    """A state whose dtype differs from the input's."""


def _is_int(value) -> bool:
    """An ``int`` and not a ``bool`` (which is an ``int`` to Python, but never meant as a size)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_probability(value) -> bool:
    """A real number (not a ``bool``) in [0, 1]."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value <= 1


def check_positive_int(name: str, value) -> int:
    """Return ``value`` if it is a positive ``int``; raise ``ValueError`` otherwise."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_rate(name: str, value) -> float:
    """Return ``value`` as a float if it is a probability in [0, 1]; raise ``ValueError`` otherwise."""
    if not _is_probability(value):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_size(name: str, value, allow_zero: bool = False) -> int:
    """A size argument: ``TypeError`` unless an ``int``, ``ValueError`` unless > 0 (>= 0 with ``allow_zero``)."""
    if not _is_int(value):
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
    if not _is_probability(dropout):
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         f"element being zeroed, got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    return float(dropout)


def check_cell_state(name: str, state: Tensor, expected: tuple, reference: Tensor) -> None:
    """Shape, device and dtype of a state tensor, with errors naming expected vs. got."""
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(state).__name__}")
    if tuple(state.shape) != tuple(expected):
        raise InputError(f"Expected {name} of shape {tuple(expected)}, got {tuple(state.shape)}")
    check_same_place(name, state, reference)


def check_same_place(name: str, state: Tensor, reference: Tensor) -> None:
    """A state on the input's device, with its dtype."""
    if state.device != reference.device:
        raise InputError(f"{name} is on {state.device} but the input is on {reference.device}")
    if state.dtype != reference.dtype:
        raise StateTypeError(f"{name} has dtype {state.dtype} but the input has {reference.dtype}")


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
