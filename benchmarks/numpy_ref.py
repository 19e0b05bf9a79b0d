"""Forward + backward time of ``lstm_course.numpy_ref.LSTM`` against ``torch.nn.LSTM`` on the CPU.

Both run in float32 on the same number of threads, interleaved in one
process (torch, numpy, torch, numpy, ...) so that load changes on the
machine hit both alike; the ratio of the medians is reported. Before each
timed call the script sleeps briefly and makes one untimed call: the
worker threads of one BLAS keep spinning for a while after a call
(OpenBLAS for up to about 0.1 s) and would otherwise steal the cores from
the other library's first call. Targets:
at most 1.5x torch at (T, B, D, H) = (200, 64, 128, 256) and 2.5x at
(100, 32, 64, 128), where per-step Python overhead weighs more.

Usage: python benchmarks/numpy_ref.py [--threads N] [--repeats R]
Record the printed table in benchmarks/RESULTS.md with the machine.
"""

import argparse
import os
import platform
import statistics
import time

SHAPES = [(100, 32, 64, 128), (200, 64, 128, 256)]
IDLE_SECONDS = 0.3  # lets the other library's spinning worker threads go to sleep
TARGETS = {(100, 32, 64, 128): 2.5, (200, 64, 128, 256): 1.5}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both BLAS libraries")
    parser.add_argument("--repeats", type=int, default=21, help="timed runs of each implementation per shape")
    return parser.parse_args()


def main():
    args = parse_args()
    # BLAS reads these when NumPy is imported, so they are set first.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    from lstm_course.numpy_ref import LSTM

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"CPU: {cpu}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}; float32")
    print("| T | B | D | H | torch.nn.LSTM (ms) | numpy_ref.LSTM (ms) | ratio | target |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in SHAPES:
        steps, batch, features, hidden = shape
        reference = torch.nn.LSTM(features, hidden)
        ours = LSTM(features, hidden, dtype=np.float32)
        ours.load_state_dict(reference.state_dict())
        x = rng.standard_normal((steps, batch, features)).astype(np.float32)
        d_out = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
        x_t, d_out_t = torch.tensor(x, requires_grad=True), torch.tensor(d_out)

        def run_torch():
            output, _ = reference(x_t)
            output.backward(d_out_t)

        def run_numpy():
            ours(x)
            ours.backward(d_out)

        times = {"torch": [], "numpy": []}
        for _ in range(args.repeats):
            for name, fn in (("torch", run_torch), ("numpy", run_numpy)):
                time.sleep(IDLE_SECONDS)
                fn()
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        t_torch, t_numpy = statistics.median(times["torch"]), statistics.median(times["numpy"])
        print(f"| {steps} | {batch} | {features} | {hidden} | {t_torch * 1e3:.1f} | {t_numpy * 1e3:.1f} "
              f"| {t_numpy / t_torch:.2f}x | <= {TARGETS[shape]}x |")


if __name__ == "__main__":
    main()
