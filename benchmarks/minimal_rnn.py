"""minGRU / minLSTM: parallel scan vs sequential loop vs ``torch.nn.GRU``.

Forward + backward time at T = 256, 1024, 4096 (B = 16, D = H = 256,
float32), all implementations interleaved in one process (see ``timing.py``).
On a CPU the loop is expected to beat the scan and both to beat ``nn.GRU``,
which has a hidden-to-hidden matrix product per step; the scan's advantage
appears on a GPU. ``mode="auto"`` should pick the faster one per device.

Usage: python benchmarks/minimal_rnn.py [--device cpu|cuda] [--repeats R]
Record the printed table in benchmarks/RESULTS.md with the machine.
"""

from timing import interleaved_medians, parse_device_args, torch_device


def main():
    args = parse_device_args(__doc__.splitlines()[0], repeats=5)
    import torch
    from lstm_course.nn import MinGRU, MinLSTM

    device, sync, where = torch_device(args)
    print(f"Device: {where}; float32, B = 16, D = H = 256; forward + backward, ms")
    print("| T | MinGRU sequential | MinGRU parallel | MinLSTM sequential | MinLSTM parallel | torch.nn.GRU | faster MinGRU mode here |")
    print("|---|---|---|---|---|---|---|")
    batch, size = 16, 256
    torch.manual_seed(0)
    min_gru = MinGRU(size, size, device=device)
    min_lstm = MinLSTM(size, size, device=device)
    gru = torch.nn.GRU(size, size).to(device)
    for steps in (256, 1024, 4096):
        x = torch.randn(steps, batch, size, device=device, requires_grad=True)
        d_out = torch.randn(steps, batch, size, device=device)

        def run(module, **kwargs):
            def call():
                module(x, **kwargs)[0].backward(d_out)
                sync()
            return call

        t = interleaved_medians({
            "gru_seq": run(min_gru, mode="sequential"), "gru_par": run(min_gru, mode="parallel"),
            "lstm_seq": run(min_lstm, mode="sequential"), "lstm_par": run(min_lstm, mode="parallel"),
            "nn_gru": run(gru),
        }, args.repeats)
        auto = "sequential" if t["gru_seq"] <= t["gru_par"] else "parallel"
        print(f"| {steps} | {t['gru_seq'] * 1e3:.0f} | {t['gru_par'] * 1e3:.0f} | {t['lstm_seq'] * 1e3:.0f} "
              f"| {t['lstm_par'] * 1e3:.0f} | {t['nn_gru'] * 1e3:.0f} | {auto} |")


if __name__ == "__main__":
    main()
