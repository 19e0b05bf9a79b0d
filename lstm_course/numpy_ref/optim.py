"""Gradient clipping, SGD and Adam for NumPy parameters, as in ``torch``.

Parameters and gradients are dicts ``name -> array`` with the same keys, e.g.
``{"w_ih": (H, D), "w_hh": (H, H), "b_ih": (H,), ...}``; the optimisers
update the parameter arrays in place, like ``optimizer.step()`` in torch,
so that a model holding the same arrays sees the new values.

The update rules are those documented for ``torch.optim.SGD`` (dampening 0,
``maximize=False``), ``torch.optim.Adam`` (``amsgrad=False``) and
``torch.nn.utils.clip_grad_norm_``, step for step: the tests check them
against torch to 1e-12 in float64. Clipping is taught in
book/bptt.md#eq-bptt-clip, Adam in book/training_optimisers.md#eq-train-adam.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array, check_shape


def _describe(value) -> str:
    """``'ndarray of dtype int64'`` for an array, else the type's name, for error messages."""
    if isinstance(value, np.ndarray):
        return f"ndarray of dtype {value.dtype}"
    return type(value).__name__


def _is_float_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def clip_grad_norm(grads: dict, max_norm: float, eps: float = 1e-6) -> float:
    """Rescale gradients in place so that their global L2 norm is at most ``max_norm``.

    With ``norm = sqrt(sum_k ||g_k||^2)`` over every gradient, each one is
    multiplied by ``max_norm / (norm + eps)`` when that factor is below 1, the
    rule of ``torch.nn.utils.clip_grad_norm_``. Clipping the norm keeps the
    direction of the update, unlike clipping each entry, which is why it is
    the standard cure for exploding gradients in recurrent networks.

    Args:
        grads: dict name -> floating array of any shape; None values are skipped.
        max_norm: largest global norm allowed, > 0.
        eps: added to the norm so that the factor stays finite.

    Returns:
        The global norm before clipping (0.0 when there is no gradient).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    present = {name: g for name, g in grads.items() if g is not None}
    for name, g in present.items():
        if not _is_float_array(g):
            raise TypeError(f"grads[{name!r}] must be a floating NumPy array to be scaled in place, got {_describe(g)}")
    norms = {name: np.linalg.norm(g.ravel()) for name, g in present.items()}
    for name, entry_norm in norms.items():
        if not np.isfinite(entry_norm):
            raise ValueError(f"grads[{name!r}] has norm {entry_norm}: it holds NaN or infinity, or overflows")
    total = math.sqrt(sum(float(n) ** 2 for n in norms.values()))
    scale = max_norm / (total + eps)
    if scale < 1:
        for g in present.values():
            g *= scale
    return total


class _Optimizer:
    """Holds the parameters and checks each ``step``'s gradients against them."""

    def __init__(self, params: dict, lr: float):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if not params:
            raise ValueError("params must hold at least one parameter, got an empty dict")
        for name, p in params.items():
            if not _is_float_array(p):
                raise TypeError(f"params[{name!r}] must be a floating NumPy array to be updated in place, got {_describe(p)}")
        # A copy of the dict, sharing the arrays: the set of names stays the one given.
        self.params = dict(params)
        self.lr = lr

    def _checked(self, grads: dict) -> dict:
        """Return ``{name: (param, grad)}`` for every non-None gradient.

        Everything is checked before anything is updated, so a bad entry
        leaves all parameters untouched.
        """
        missing = sorted(set(self.params) - set(grads))
        extra = sorted(set(grads) - set(self.params))
        if missing or extra:
            raise ValueError(f"grads must have the keys of params; missing {missing}, unexpected {extra}")
        pairs = {}
        for name, p in self.params.items():
            if grads[name] is None:
                continue
            g = as_float_array(f"grads[{name!r}]", grads[name])
            check_shape(f"grads[{name!r}]", g, p.shape)
            pairs[name] = (p, g)
        return pairs


class SGD(_Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    For each parameter p with gradient g, at step t (counted per parameter)::

        g   <- g + weight_decay * p                  (L2 penalty, if weight_decay > 0)
        buf <- g                     at t = 1         (if momentum > 0)
        buf <- momentum * buf + g    at t > 1
        g   <- g + momentum * buf    if nesterov,  else g <- buf
        p   <- p - lr * g

    Args:
        params: dict name -> floating array, updated in place.
        lr: learning rate, > 0.
        momentum: factor mu >= 0 of the velocity buffer.
        weight_decay: L2 penalty coefficient >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0).
    """

    def __init__(self, params: dict, lr: float, momentum: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        if not momentum >= 0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self._buffers: dict = {}

    def step(self, grads: dict) -> None:
        """Update the parameters in place.

        Args:
            grads: dict with the keys of ``params``, each gradient of the
                parameter's shape, or None to leave that parameter alone.
        """
        for name, (p, g) in self._checked(grads).items():
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                g = self._momentum_direction(name, g)
            p -= self.lr * g

    def _momentum_direction(self, name: str, g: np.ndarray) -> np.ndarray:
        """Update the velocity buffer of ``name`` and return the step direction."""
        buf = self._buffers.get(name)
        # The first step has no past velocity: torch starts the buffer at g, not at 0.
        buf = g.copy() if buf is None else self.momentum * buf + g
        self._buffers[name] = buf
        return g + self.momentum * buf if self.nesterov else buf


class Adam(_Optimizer):
    """Adam (Kingma and Ba 2015), as ``torch.optim.Adam`` with ``amsgrad=False``.

    For each parameter p with gradient g, at step t (counted per parameter),
    m and v starting at zero::

        g <- g + weight_decay * p                    (L2 penalty, if weight_decay > 0)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    The divisions by ``1 - beta^t`` undo the bias of m and v towards their
    zero start. Weight decay here is the L2 penalty added to the gradient,
    not the decoupled decay of ``torch.optim.AdamW``.

    Args:
        params: dict name -> floating array, updated in place.
        lr: learning rate, > 0.
        betas: (beta1, beta2), each in [0, 1), decay rates of m and v.
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty coefficient >= 0.
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas}")
        for i, beta in enumerate(betas):
            if not 0 <= beta < 1:
                raise ValueError(f"betas[{i}] must lie in [0, 1), got {beta}")
        if not eps >= 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.betas = tuple(betas)
        self.eps = eps
        self.weight_decay = weight_decay
        self._steps: dict = {}
        self._exp_avg: dict = {}
        self._exp_avg_sq: dict = {}

    def step(self, grads: dict) -> None:
        """Update the parameters in place.

        Args:
            grads: dict with the keys of ``params``, each gradient of the
                parameter's shape, or None to leave that parameter (and its
                step count) alone.
        """
        beta1, beta2 = self.betas
        for name, (p, g) in self._checked(grads).items():
            if self.weight_decay:
                g = g + self.weight_decay * p
            t = self._steps.get(name, 0) + 1
            m = beta1 * self._exp_avg.get(name, 0.0) + (1 - beta1) * g
            v = beta2 * self._exp_avg_sq.get(name, 0.0) + (1 - beta2) * g * g
            self._steps[name], self._exp_avg[name], self._exp_avg_sq[name] = t, m, v
            step_size = self.lr / (1 - beta1**t)
            denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
            p -= step_size * m / denom
