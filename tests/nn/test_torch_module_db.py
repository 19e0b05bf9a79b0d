"""PyTorch's own test cases for its recurrent modules, run against ``lstm_course.nn``.

``torch.testing._internal.common_modules.module_db`` (shipped with torch) lists,
for ``RNN``, ``LSTM``, ``GRU`` and the three cells, sample inputs (unbatched,
with and without initial state, packed sequences, every combination of bias,
batch_first, bidirectional, nonlinearity and proj_size) and error inputs
(wrong arguments and inputs, each with the exception type and a regular
expression its message must match). Here every sample runs through both
``torch.nn`` and ``lstm_course.nn`` with the same weights in float64 —
outputs, first and second derivatives — and every error input must raise the
same type of exception with a matching message, from both.
"""

import functools

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence
from torch.testing._internal.common_modules import ModuleErrorEnum, module_db

# Importing torch's test utilities freezes the backends' global flags (torch's own tests set them only inside
# `with flags(...)`); the rest of this suite, like users' code, sets them directly: unfreeze them again.
torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True

from lstm_course import nn as ours_nn

NAMES = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")
INFOS = {info.module_cls.__name__: info for info in module_db if info.module_cls.__name__ in NAMES
         and info.module_cls is getattr(torch.nn, info.module_cls.__name__)}
DTYPE = torch.float64


@functools.cache
def samples(name, training):
    torch.manual_seed(0)  # the inputs are drawn at random
    return list(INFOS[name].module_inputs_func(INFOS[name], device="cpu", dtype=DTYPE, requires_grad=True,
                                                training=training, with_packed_sequence=True))


@functools.cache
def error_inputs(name):
    torch.manual_seed(0)
    return list(INFOS[name].module_error_inputs_func(INFOS[name], device="cpu", dtype=DTYPE, requires_grad=False,
                                                      training=False))


def tensors(value):
    """Every tensor in a (nested) output or argument list, in order."""
    if isinstance(value, PackedSequence):
        return [value.data]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors(v)]
    return [value] if isinstance(value, torch.Tensor) else []


def make_pair(name, sample, training):
    args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(*args, **kwargs).to(DTYPE).train(training)
    ours = getattr(ours_nn, name)(*args, **kwargs).to(DTYPE).train(training)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


SAMPLE_CASES = [(name, training, i) for name in NAMES for training in (False, True)
                for i in range(len(samples(name, training)))]


def test_every_module_has_cases():
    assert set(INFOS) == set(NAMES)
    counts = {name: sum(1 for case in SAMPLE_CASES if case[0] == name) for name in NAMES}
    assert all(n >= 4 for n in counts.values()), counts
    assert all(len(error_inputs(name)) >= 4 for name in NAMES)


@pytest.mark.parametrize("name,training,index", SAMPLE_CASES)
def test_sample_input(name, training, index):
    sample = samples(name, training)[index]
    ours, reference = make_pair(name, sample, training)
    args, kwargs = sample.forward_input.args, sample.forward_input.kwargs
    out, out_t = tensors(ours(*args, **kwargs)), tensors(reference(*args, **kwargs))
    assert len(out) == len(out_t)
    for k, (o, o_t) in enumerate(zip(out, out_t)):
        torch.testing.assert_close(o, o_t, rtol=0, atol=1e-10, msg=f"output {k} differs from torch.nn")
    packed = any(isinstance(a, PackedSequence) for a in args)
    if sample.reference_fn is not None and not packed:  # torch's check: unbatched input == a batch of one
        for k, (o, o_r) in enumerate(zip(out, tensors(sample.reference_fn(ours, *args, **kwargs)))):
            torch.testing.assert_close(o, o_r, rtol=0, atol=1e-10, msg=f"output {k}: unbatched != batch of one")

    leaves = [t for t in tensors(args) if t.requires_grad]
    gen = torch.Generator().manual_seed(index)
    upstream = [torch.randn(o.shape, generator=gen, dtype=DTYPE) for o in out]
    grads = torch.autograd.grad(out, leaves + list(ours.parameters()), upstream)
    grads_t = torch.autograd.grad(out_t, leaves + list(reference.parameters()), upstream)
    labels = [f"input {k}" for k in range(len(leaves))] + [n for n, _ in ours.named_parameters()]
    for label, g, g_t in zip(labels, grads, grads_t):
        torch.testing.assert_close(g, g_t, rtol=0, atol=1e-10, msg=f"gradient of {label} differs from torch.nn")


# Second derivatives of every sample (dropout is 0, so training mode does not
# matter), by gradgradcheck's fast mode: random directions, not full Jacobians.
SECOND_ORDER_CASES = [(name, i) for name in NAMES for i in range(len(samples(name, False)))]


@pytest.mark.parametrize("name,index", SECOND_ORDER_CASES)
def test_sample_second_derivatives(name, index):
    sample = samples(name, False)[index]
    ours, _ = make_pair(name, sample, False)
    args = sample.forward_input.args
    leaves = [t.detach().requires_grad_() for t in tensors(args)]
    names = [n for n, _ in ours.named_parameters()]
    params = [p.detach().requires_grad_() for p in ours.parameters()]

    def rebuild(values):
        """``args`` with its tensors replaced, in order, by ``values``."""
        values = iter(values)
        def walk(a):
            if isinstance(a, PackedSequence):
                return a._replace(data=next(values))
            if isinstance(a, (tuple, list)):
                return type(a)(walk(v) for v in a)
            return next(values) if isinstance(a, torch.Tensor) else a
        return walk(args)

    def f(*flat):
        call_args = rebuild(flat[:len(leaves)])
        return tuple(tensors(torch.func.functional_call(ours, dict(zip(names, flat[len(leaves):])), call_args)))

    assert torch.autograd.gradgradcheck(f, (*leaves, *params), fast_mode=True)


ERROR_CASES = [(name, i) for name in NAMES for i in range(len(error_inputs(name)))]


@pytest.mark.parametrize("name,index", ERROR_CASES)
def test_error_input(name, index):
    error = error_inputs(name)[index]
    sample = error.module_error_input
    for module_cls in (getattr(torch.nn, name), getattr(ours_nn, name)):  # torch.nn: the case is real
        with pytest.raises(error.error_type, match=error.error_regex):
            module = module_cls(*sample.constructor_input.args, **sample.constructor_input.kwargs)
            assert error.error_on == ModuleErrorEnum.FORWARD_ERROR, f"{module_cls} accepted bad arguments"
            module(*sample.forward_input.args, **sample.forward_input.kwargs)
