"""Greedy decoding against beam search for the date translator of ``book/date_translation.md``, CPU.

Trains the chapter's translator (``TranslatorConfig()``, one thread), then
times ``translate`` on the chapter's held-out dates with greedy decoding and
with beams of 2, 4 and 8 (length-normalisation exponent 0.6), interleaved,
and prints milliseconds per 1,000 dates, the ratio to greedy and the exact
match of each.

    python benchmarks/date_decoding.py [--repeats 7] [--device cpu]
"""

import argparse

from timing import cpu_name, interleaved_medians, set_threads

set_threads(1)

import torch  # noqa: E402  (after the thread counts are set)

from lstm_course.applications import date_translation as dt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device(args.device)
    config = dt.TranslatorConfig()
    train, test = dt.split_dates(config.train_size, 1000, seed=config.seed)
    translator, _ = dt.train_translator(train, config, device=device)
    texts = [d.text for d in test]
    beams = {"greedy": 1, "beam K=2": 2, "beam K=4": 4, "beam K=8": 8}
    functions = {name: (lambda k=k: dt.translate(translator, texts, beam_size=k, alpha=0.6)) for name, k in
                 beams.items()}
    with torch.no_grad():
        medians = interleaved_medians(functions, args.repeats)
        accuracy = {name: dt.exact_match(fn()[0], test) for name, fn in functions.items()}
    print(f"{cpu_name()}; torch {torch.__version__}, {args.device}, one thread; {len(texts)} held-out dates, "
          f"median of {args.repeats}")
    print("| decoding | ms per 1,000 dates | ratio to greedy | exact match |")
    print("|---|---|---|---|")
    for name in beams:
        per_thousand = 1000 * medians[name] * 1000 / len(texts)
        print(f"| {name} | {per_thousand:.0f} | {medians[name] / medians['greedy']:.2f}x | {accuracy[name]:.1%} |")


if __name__ == "__main__":
    main()
