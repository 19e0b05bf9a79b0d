"""``gradcheck`` of a single-layer LSTM module through ``torch.func.functional_call``,
shared by the tests of the LSTM variants."""

import torch


def lstm_gradcheck(lstm: torch.nn.Module) -> bool:
    """Gradients of ``(output, c_n)`` with respect to the input, both initial states and
    every parameter of a float64 ``lstm(3, 2)``, against finite differences.

    The parameters become ``gradcheck``'s inputs through ``functional_call``,
    so the check covers them as well as the input and the states. The input
    and the states come from torch's global generator: seed it first.
    """
    F64 = torch.float64
    names = [name for name, _ in lstm.named_parameters()]
    x = torch.randn(3, 2, 3, dtype=F64, requires_grad=True)
    h0 = torch.randn(1, 2, 2, dtype=F64, requires_grad=True)
    c0 = torch.randn(1, 2, 2, dtype=F64, requires_grad=True)

    def run(x, h0, c0, *params):
        out, (h_n, c_n) = torch.func.functional_call(lstm, dict(zip(names, params)), (x, (h0, c0)))
        return out, c_n

    params = [p.detach().clone().requires_grad_(True) for p in lstm.parameters()]
    return torch.autograd.gradcheck(run, (x, h0, c0, *params))
