"""minGRU and minLSTM, and the linear scans that run them in parallel over time.

Feng, Tung, Ahmed, Bengio & Hajimirsadeghi (2024), "Were RNNs all we
needed?" (arXiv:2410.01201), strip the GRU and the LSTM until their gates
depend on the input alone, not on h_{t-1}::

    minGRU:   z_t = sigmoid(Linear_z(x_t))            h~_t = Linear_h(x_t)
              h_t = (1 - z_t) * h_{t-1} + z_t * h~_t
    minLSTM:  f_t = sigmoid(Linear_f(x_t))            i_t = sigmoid(Linear_i(x_t))
              f'_t = f_t / (f_t + i_t)                i'_t = i_t / (f_t + i_t)
              h~_t = Linear_h(x_t)
              h_t = f'_t * h_{t-1} + i'_t * h~_t

Both are then the linear recurrence ``h_t = a_t * h_{t-1} + b_t`` with every
a_t in [0, 1] and b_t known in advance, for all t at once: a *scan*, which
can run in O(log T) parallel steps instead of T sequential ones. Three scans:

- ``linear_scan_sequential``: the loop over t, the reference.
- ``linear_scan_log``: the log-space scan of Heinsen (2023), "Efficient
  parallelization of a ubiquitous sequential computation" (arXiv:2311.06281),
  the one the paper uses: ``log h_t = A_t + logcumsumexp_k(log b_k - A_k)``
  with ``A_t = sum_{k<=t} log a_k``. It needs b > 0, which is why the paper
  passes h~ through ``g(x) = x + 0.5 if x >= 0 else sigmoid(x)`` in that mode.
  It also loses precision as |A_t| grows along the sequence (figures in
  benchmarks/RESULTS.md).
- ``linear_scan_chunked`` (the default of ``mode="parallel"``): cut the
  sequence into chunks; inside every chunk, all chunks at once, compose the
  affine maps ``h -> a_t h + b_t`` by recursive doubling (Hillis & Steele
  1986, "Data parallel algorithms"), which yields each step's cumulative
  product of a and its state from a zero start; the chunk ends then form a
  recurrence of the same kind, one step per chunk, solved by the same scan;
  a last product adds each chunk's starting state. Only products and sums of
  the a_t and b_t appear, as in the loop, so nothing can overflow and the
  error stays at the loop's. The variant that divides by cumulative products
  inside a chunk (a cumsum of ``b_k * exp(-A_k)``, re-based per chunk) is as
  accurate only while the product of a chunk's a_t stays above float32's
  smallest normal number; with small a_t and long chunks it returns NaN.
  Since the carry between chunks is itself a scan, not a loop, chunks need
  not be long: a chunk of C steps costs log2(C) passes over the data and the
  recursion log_C(T) levels; C = 8 (4 levels at T = 4096) was as fast as any
  other chunk size tried on a CPU. The backward pass is the same scan run
  backwards in time (``_ChunkedScan``), so training stores O(T B H), not
  every doubling round.

The models keep h~ linear (any sign), as the paper's sequential algorithms
do, and run the chunked scan, which needs no positivity, so the models are
exactly the equations above in every mode.

``mode="auto"`` picks the faster algorithm for the device. On a CPU the
loop was never slower than the scans by more than noise (benchmarks/RESULTS.md,
``benchmarks/minimal_rnn.py``): the scans' extra passes over memory cost more
than the loop's T small steps, so "auto" means "sequential" on the CPU. On a
GPU a step of the loop is a few kernel launches on B H numbers, bound by
launch latency, while each of the scan's
O(log T) rounds covers all T B H entries in a few launches, so "auto" means
"parallel" on every other device (an expectation, not yet measured on a GPU).

Dimensions: T time steps, B batch, D = ``input_size``, H = ``hidden_size``.

No chapter of the book teaches minGRU, minLSTM or the scans yet; the FAQ
mentions them among the recurrent models that train in parallel
(book/faq.md#faq-transformer).
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from ._checks import check_positive_int
from ._lstm_base import from_time_major, initial_state, to_time_major

__all__ = ["MinGRU", "MinLSTM", "linear_scan_sequential", "linear_scan_chunked", "linear_scan_log", "MODES"]

MODES = ("auto", "parallel", "sequential")
DEFAULT_CHUNK = 8


def _check_scan_args(a: Tensor, b: Tensor, h0: Optional[Tensor]) -> Tensor:
    """Check the shapes of a scan's arguments; return h0, zeros if None."""
    if a.dim() < 1 or a.shape[0] == 0:
        raise ValueError(f"a must have at least one time step along dim 0, got shape {tuple(a.shape)}")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape (T, *), got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.device != b.device or a.dtype != b.dtype:
        raise ValueError(f"a and b must share device and dtype, got {a.device}/{a.dtype} and {b.device}/{b.dtype}")
    if h0 is None:
        return b.new_zeros(b.shape[1:])
    if h0.shape != a.shape[1:]:
        raise ValueError(f"h0 must have shape {tuple(a.shape[1:])} (that of one step of a), got {tuple(h0.shape)}")
    if h0.device != b.device or h0.dtype != b.dtype:
        raise ValueError(f"h0 must be on {b.device} with dtype {b.dtype} like b, got {h0.device}/{h0.dtype}")
    return h0


def linear_scan_sequential(a: Tensor, b: Tensor, h0: Optional[Tensor] = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` by a loop over t.

    Args:
        a, b: (T, B, H) (any shape (T, *) works).
        h0: (B, H) initial state, or None for zeros.

    Returns:
        h: (T, B, H), the state after every step.
    """
    h = _check_scan_args(a, b, h0)
    states = []
    for a_t, b_t in zip(a, b):
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states)


def linear_scan_log(a: Tensor, b: Tensor, h0: Optional[Tensor] = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` in log space (Heinsen 2023), for a > 0, b > 0.

    ``log h_t = A_t + logcumsumexp_k(log b_k - A_k)``, ``A_t = sum_{k<=t} log a_k``,
    with ``log h_0`` as the term k = 0 when h0 is given. See the module
    docstring for its loss of precision in float32 on long sequences.

    Args:
        a: (T, B, H), every entry > 0. b: (T, B, H), every entry > 0.
        h0: (B, H) initial state with every entry > 0, or None for zeros.

    Returns:
        h: (T, B, H).
    """
    given = h0 is not None
    h0 = _check_scan_args(a, b, h0)
    for name, value in (("a", a), ("b", b)) + ((("h0", h0),) if given else ()):
        if not bool((value > 0).all()):
            raise ValueError(f"linear_scan_log takes log({name}), so every entry of {name} must be > 0; "
                             "use linear_scan_chunked for values of any sign")
    log_a = torch.cumsum(torch.log(a), dim=0)  # A_t, (T, B, H)
    terms = torch.log(b) - log_a
    if given:
        return torch.exp(log_a + torch.logcumsumexp(torch.cat([torch.log(h0)[None], terms]), dim=0)[1:])
    return torch.exp(log_a + torch.logcumsumexp(terms, dim=0))


def _doubling_scan(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Scan along dim 1 of (N, C, *) from a zero state, by recursive doubling, in place.

    After the round with offset s, entry t holds the composition of the maps
    ``h -> a_k h + b_k`` for k in (t - 2s, t]: its product of a and its b.
    Each round composes entry t with entry t - s, so log2(C) rounds suffice.
    ``a`` and ``b`` are overwritten (each right-hand side is evaluated before
    it is assigned, so the overlapping slices read the previous round).

    Returns:
        a: (N, C, *) the products ``a_1 ... a_t`` within each chunk.
        b: (N, C, *) the states within each chunk, starting from 0.
    """
    size, offset = a.shape[1], 1
    while offset < size:
        b[:, offset:] += a[:, offset:] * b[:, :-offset]
        a[:, offset:] = a[:, offset:] * a[:, :-offset]
        offset *= 2
    return a, b


def _chunked_scan(a: Tensor, b: Tensor, h0: Tensor, chunk: int) -> Tensor:
    """The chunked scan, without autograd; shapes as in ``linear_scan_chunked``."""
    steps, rest = a.shape[0], a.shape[1:]
    size = min(chunk, steps)
    n = -(-steps // size)
    pad = n * size - steps
    # Copies (padded with identity steps a = 1, b = 0 to whole chunks) that the doubling overwrites.
    a_cum = torch.cat([a, a.new_ones(pad, *rest)]).reshape(n, size, *rest)
    h = torch.cat([b, b.new_zeros(pad, *rest)]).reshape(n, size, *rest)
    _doubling_scan(a_cum, h)  # (N, C, *)
    if n == 1:
        starts = h0[None]
    else:
        # State at the end of every chunk: h_end_j = a_cum_j * h_end_{j-1} + h_j, a scan of length N.
        ends = _chunked_scan(a_cum[:, -1], h[:, -1], h0, chunk)  # (N, *)
        starts = torch.cat([h0[None], ends[:-1]])
    h += a_cum * starts[:, None]
    return h.reshape(n * size, *rest)[:steps]


class _ChunkedScan(torch.autograd.Function):
    """The chunked scan with its backward pass, itself a scan backwards in time.

    With g_t = dL/dh_t in total (through h_t itself and through h_{t+1}),
    ``g_t = dL/dh_t (direct) + a_{t+1} g_{t+1}``: the same recurrence in reverse.
    Then ``dL/da_t = g_t h_{t-1}``, ``dL/db_t = g_t`` and ``dL/dh_0 = a_1 g_1``.
    """

    @staticmethod
    def forward(ctx, a, b, h0, chunk):
        h = _chunked_scan(a, b, h0, chunk)
        ctx.save_for_backward(a, h0, h)
        ctx.chunk = chunk
        return h

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h):
        a, h0, h = ctx.saved_tensors
        a_next = torch.cat([a[1:], torch.zeros_like(a[:1])])  # a_{t+1}; nothing after the last step
        g = _chunked_scan(a_next.flip(0), grad_h.flip(0), torch.zeros_like(h0), ctx.chunk).flip(0)
        h_prev = torch.cat([h0[None], h[:-1]])
        return g * h_prev, g, a[0] * g[0], None


def linear_scan_chunked(a: Tensor, b: Tensor, h0: Optional[Tensor] = None, chunk: int = DEFAULT_CHUNK) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` by a chunked parallel scan (see the module docstring).

    Any signs of a and b; like the loop, it only multiplies and adds them, so
    it overflows only where the recurrence itself does (never for a_t in
    [0, 1], as in the models). Differentiable: the backward pass is the same
    scan reversed in time.

    Args:
        a, b: (T, B, H) (any shape (T, *) works).
        h0: (B, H) initial state, or None for zeros.
        chunk: steps per chunk, at least 2.

    Returns:
        h: (T, B, H), the state after every step.

    >>> a, b = torch.full((5, 1), 0.5), torch.ones(5, 1)
    >>> linear_scan_chunked(a, b, chunk=2).flatten()
    tensor([1.0000, 1.5000, 1.7500, 1.8750, 1.9375])
    """
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 2:
        raise ValueError(f"chunk must be an integer >= 2, got {chunk!r}")
    h0 = _check_scan_args(a, b, h0)
    return _ChunkedScan.apply(a, b, h0, chunk)


class _MinimalRNN(nn.Module):
    """Interface of ``MinGRU`` and ``MinLSTM``; subclasses define
    ``_coefficients(x) -> (a, b)``, each (T, B, H), of ``h_t = a_t h_{t-1} + b_t``."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False):
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.batch_first = bool(batch_first)

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(D), 1/sqrt(D)), ``torch.nn.Linear``'s
        default (these are input projections: there is no recurrent matrix)."""
        for layer in self.children():
            layer.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + (", batch_first=True" if self.batch_first else "")

    def forward(self, input: Tensor, h0: Optional[Tensor] = None, *, mode: str = "auto"):
        """Run over a sequence batch.

        Args:
            input: (T, B, D), or (B, T, D) if ``batch_first``.
            h0: (1, B, H) initial state, or None for zeros.
            mode: "sequential" (a loop over t), "parallel" (``linear_scan_chunked``)
                or "auto": "sequential" on the CPU, "parallel" on other devices
                (measurements in the module docstring).

        Returns:
            output: (T, B, H) (or (B, T, H)), h_t for every t.
            h_n: (1, B, H).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        x = to_time_major(self, input, self.linear_h.weight)
        h = initial_state("h0", h0, x, self.hidden_size)
        a, b = self._coefficients(x)
        if mode == "auto":
            mode = "sequential" if x.device.type == "cpu" else "parallel"
        scan = linear_scan_chunked if mode == "parallel" else linear_scan_sequential
        h = scan(a, b, h)  # (T, B, H)
        return from_time_major(h, self.batch_first), h[-1:]


class MinGRU(_MinimalRNN):
    r"""minGRU (Feng et al. 2024, "Were RNNs all we needed?")::

        z_t = sigmoid(Linear_z(x_t)),   h~_t = Linear_h(x_t)
        h_t = (1 - z_t) * h_{t-1} + z_t * h~_t

    Args:
        input_size: D. hidden_size: H.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        device, dtype: of the parameters.

    Parameters:
        linear_z.weight, linear_h.weight (H, D); linear_z.bias, linear_h.bias (H,);
        all from U(-1/sqrt(D), 1/sqrt(D)), ``torch.nn.Linear``'s default.

    >>> gru = MinGRU(3, 5)
    >>> output, h_n = gru(torch.randn(7, 2, 3), mode="parallel")
    >>> output.shape, h_n.shape
    (torch.Size([7, 2, 5]), torch.Size([1, 2, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False, device=None, dtype=None):
        super().__init__(input_size, hidden_size, batch_first)
        factory = {"device": device, "dtype": dtype}
        self.linear_z = nn.Linear(input_size, hidden_size, **factory)
        self.linear_h = nn.Linear(input_size, hidden_size, **factory)

    def _coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        pre_z = self.linear_z(x)  # (T, B, H)
        # 1 - sigmoid(u) = sigmoid(-u), without the cancellation of 1 - z for z near 1.
        return torch.sigmoid(-pre_z), torch.sigmoid(pre_z) * self.linear_h(x)


class MinLSTM(_MinimalRNN):
    r"""minLSTM (Feng et al. 2024, "Were RNNs all we needed?")::

        f_t = sigmoid(Linear_f(x_t)),   i_t = sigmoid(Linear_i(x_t)),   h~_t = Linear_h(x_t)
        f'_t = f_t / (f_t + i_t),       i'_t = i_t / (f_t + i_t)
        h_t = f'_t * h_{t-1} + i'_t * h~_t

    The normalised gates are computed as ``f'_t = sigmoid(log f_t - log i_t)``
    (the same quantity: f / (f + i) = 1 / (1 + i / f)) from ``logsigmoid``, so
    that no division is made and gates that underflow to 0 in f and i alike
    still give a finite f'.

    Args:
        input_size: D. hidden_size: H.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        device, dtype: of the parameters.

    Parameters:
        linear_f.weight, linear_i.weight, linear_h.weight (H, D); their biases (H,);
        all from U(-1/sqrt(D), 1/sqrt(D)), ``torch.nn.Linear``'s default.

    >>> lstm = MinLSTM(3, 5, batch_first=True)
    >>> output, h_n = lstm(torch.randn(2, 7, 3))
    >>> output.shape, h_n.shape
    (torch.Size([2, 7, 5]), torch.Size([1, 2, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False, device=None, dtype=None):
        super().__init__(input_size, hidden_size, batch_first)
        factory = {"device": device, "dtype": dtype}
        self.linear_f = nn.Linear(input_size, hidden_size, **factory)
        self.linear_i = nn.Linear(input_size, hidden_size, **factory)
        self.linear_h = nn.Linear(input_size, hidden_size, **factory)

    def _coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        log_f = F.logsigmoid(self.linear_f(x))  # (T, B, H)
        log_i = F.logsigmoid(self.linear_i(x))
        return torch.sigmoid(log_f - log_i), torch.sigmoid(log_i - log_f) * self.linear_h(x)
