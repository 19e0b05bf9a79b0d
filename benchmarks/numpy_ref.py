"""Forward + backward time of ``lstm_course.numpy_ref.LSTM`` against ``torch.nn.LSTM`` on the CPU.

Both run in float32 on the same number of threads, interleaved in one
process (see ``timing.py``); the ratio of the medians is reported. The
reference is written for reading, as loops over its step functions; the
target keeps the book and the tests fast: at most 2.5x torch at
(T, B, D, H) = (200, 64, 128, 256). The small shape, where the fixed cost of
each step weighs more, is printed for information.

Usage: python benchmarks/numpy_ref.py [--threads N] [--repeats R]
Record the printed table in benchmarks/RESULTS.md with the machine.
"""

import argparse
import os

from timing import cpu_name, interleaved_medians, set_threads

TARGETS = {(100, 32, 64, 128): None, (200, 64, 128, 256): 2.5}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both BLAS libraries")
    parser.add_argument("--repeats", type=int, default=21, help="timed runs of each implementation per shape")
    args = parser.parse_args()
    set_threads(args.threads)
    import numpy as np
    import torch

    from lstm_course.numpy_ref import LSTM

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    print(f"CPU: {cpu_name()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}; float32")
    print("| T | B | D | H | torch.nn.LSTM (ms) | numpy_ref.LSTM (ms) | ratio | target |")
    print("|---|---|---|---|---|---|---|---|")
    for (steps, batch, features, hidden), target in TARGETS.items():
        reference = torch.nn.LSTM(features, hidden)
        ours = LSTM(features, hidden, dtype=np.float32)
        ours.load_state_dict(reference.state_dict())
        x = rng.standard_normal((steps, batch, features)).astype(np.float32)
        d_out = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
        x_t, d_out_t = torch.tensor(x, requires_grad=True), torch.tensor(d_out)

        def run_torch():
            reference(x_t)[0].backward(d_out_t)

        def run_numpy():
            ours(x)
            ours.backward(d_out)

        t = interleaved_medians({"torch": run_torch, "numpy": run_numpy}, args.repeats)
        print(f"| {steps} | {batch} | {features} | {hidden} | {t['torch'] * 1e3:.1f} | {t['numpy'] * 1e3:.1f} "
              f"| {t['numpy'] / t['torch']:.2f}x | {'-' if target is None else f'<= {target}x'} |")


if __name__ == "__main__":
    main()
