"""Interleaved timing shared by the benchmarks.

Implementations are timed in turn (a, b, a, b, ...) in one process so that
load changes on the machine hit them alike. Before each timed call the
runner sleeps briefly and makes one untimed call: the worker threads of a
BLAS keep spinning for a while after a call (OpenBLAS for up to about 0.1 s)
and would otherwise steal the cores from the next library's first call.
"""

import os
import platform
import statistics
import time

IDLE_SECONDS = 0.3


def set_threads(threads: int) -> None:
    """Thread counts for every BLAS; call before importing NumPy or torch."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def interleaved_medians(functions: dict, repeats: int) -> dict:
    """Median seconds of one call of each function, timed in turn."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            time.sleep(IDLE_SECONDS)
            fn()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def cpu_name() -> str:
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def parse_device_args(description: str, repeats: int):
    """``--device``, ``--threads`` and ``--repeats``; sets the BLAS threads
    before torch is imported and returns the parsed arguments."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads")
    parser.add_argument("--repeats", type=int, default=repeats, help="timed runs of each implementation")
    args = parser.parse_args()
    set_threads(args.threads)
    return args


def torch_device(args):
    """(device, synchronize, description) for the benchmarks that run on CPU or CUDA."""
    import torch

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        return device, torch.cuda.synchronize, f"{torch.cuda.get_device_name(device)}; torch {torch.__version__}"
    return device, (lambda: None), f"{cpu_name()}, {args.threads} threads; torch {torch.__version__}"
