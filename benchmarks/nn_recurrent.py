"""Forward + backward time of ``lstm_course.nn.LSTM``/``GRU`` against ``torch.nn``.

On the CPU both run in float32 on the same threads, interleaved in one
process (see ``timing.py``); with ``--device cuda`` the comparison is
against cuDNN. Targets on the CPU: at most 1.2x torch at (T, B, D, H) =
(200, 64, 128, 256) and 2x at (100, 32, 64, 128), where per-step Python
overhead dominates; on a GPU, at most 3x cuDNN.

Usage: python benchmarks/nn_recurrent.py [--device cpu|cuda] [--threads N] [--repeats R]
Record the printed table in benchmarks/RESULTS.md with the machine.
"""

from timing import interleaved_medians, parse_device_args, torch_device

SHAPES = [(100, 32, 64, 128), (200, 64, 128, 256)]
CPU_TARGETS = {(100, 32, 64, 128): 2.0, (200, 64, 128, 256): 1.2}
GPU_TARGET = 3.0


def main():
    args = parse_device_args(__doc__.splitlines()[0], repeats=21)
    import torch
    from lstm_course import nn as ours_nn

    device, sync, where = torch_device(args)
    print(f"Device: {where}; float32")
    print("| model | T | B | D | H | torch.nn (ms) | lstm_course.nn (ms) | ratio | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("LSTM", "GRU"):
        for shape in SHAPES:
            steps, batch, features, hidden = shape
            torch.manual_seed(0)
            reference = getattr(torch.nn, name)(features, hidden).to(device)
            ours = getattr(ours_nn, name)(features, hidden, device=device)
            ours.load_state_dict(reference.state_dict())
            x = torch.randn(steps, batch, features, device=device, requires_grad=True)
            d_out = torch.randn(steps, batch, hidden, device=device)

            def run(module):
                def call():
                    module(x)[0].backward(d_out)
                    sync()
                return call

            t = interleaved_medians({"torch": run(reference), "ours": run(ours)}, args.repeats)
            target = GPU_TARGET if device.type == "cuda" else CPU_TARGETS[shape]
            print(f"| {name} | {steps} | {batch} | {features} | {hidden} | {t['torch'] * 1e3:.1f} "
                  f"| {t['ours'] * 1e3:.1f} | {t['ours'] / t['torch']:.2f}x | <= {target}x |")


if __name__ == "__main__":
    main()
