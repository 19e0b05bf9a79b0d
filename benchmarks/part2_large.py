"""What the larger configurations of part II's chapters reach: one row per chapter.

Each chapter trains its model with a config dataclass sized for one CPU
thread and names a larger one, ``Config.for_gpu()``. This script builds each
chapter's data as the chapter does (same sizes and seeds), trains with the
larger config (or with the chapter's own, ``--config default``, to compare
with the number the chapter prints) and prints one markdown row per chapter:
its headline metric, rounded as the chapter rounds it, and the wall seconds
of training. The data stay the chapter's for both configs, so that a row
differs from the chapter's number by the config alone (the tagging chapter
suggests 20,000 training sentences on a GPU; at the for_gpu size that alone
would take longer than this whole script).

    python benchmarks/part2_large.py [--device cuda|mps|cpu] [--config gpu|default]
                                     [--only NAME ...] [--threads 1]

NAME is one of forecasting, classification, ctc, char_lm, tagging,
date_translation: the order of the runs, cheapest first on a GPU, so that a
run cut short has printed the most rows. The device defaults to cuda if
present, else mps, else cpu. Progress goes to stderr, the table to stdout;
record the table in benchmarks/RESULTS.md with the machine line.
"""

import argparse
import datetime
import platform
import sys
import time

from timing import cpu_name, set_threads


# Each run builds its chapter's data, trains inside `clock` and returns (metric, value) as the chapter rounds it.
def forecasting(config_name, device, clock):
    import numpy as np

    from lstm_course.applications import forecasting as fc
    from lstm_course.data import Standardizer, chronological_split, load_sunspots, split_windows

    window, val, test = 24, 30, 40
    series = load_sunspots().values
    split = chronological_split(len(series), test=test, val=val)
    # The season as the chapter finds it: the highest autocorrelation of the training years after lag 5.
    centred = series[split.train] - series[split.train].mean()
    lags = np.arange(1, 21)
    autocorrelation = np.array([np.dot(centred[:-k], centred[k:]) for k in lags])
    season = int(lags[5 + np.argmax(autocorrelation[5:])])
    scaler = Standardizer().fit(series[split.train])
    parts = split_windows(scaler.transform(series), window, 1, test=test, val=val)
    config = fc.ForecastConfig.for_gpu() if config_name == "gpu" else fc.ForecastConfig()
    with clock:
        model, _ = fc.train_forecaster(parts["train"], parts["val"], config, device=device)
    inputs, targets = parts["test"]
    actual = scaler.inverse(targets[:, 0, 0])
    lstm = fc.mae(scaler.inverse(fc.predict(model, inputs)), actual)
    seasonal = fc.mae(scaler.inverse(fc.seasonal_naive_forecast(inputs, season)), actual)
    return (f"MAE on the {len(actual)} test years, LSTM seed {config.seed} (seasonal naive, s = {season})",
            f"{lstm:.1f} ({seasonal:.1f})")


def classification(config_name, device, clock):
    import torch

    from lstm_course.applications import classification as cl
    from lstm_course.data import Vocabulary, load_surnames

    data = load_surnames()
    vocabulary = Vocabulary.build(data.names)
    tokens, lengths = cl.encode_names(data.names, vocabulary)
    labels = torch.tensor(data.labels)
    splits = cl.split_names(len(data.names), val=0.1, test=0.1, seed=0)
    config = cl.ClassifierConfig.for_gpu() if config_name == "gpu" else cl.ClassifierConfig()
    with clock:
        model, _ = cl.train_classifier(tokens, lengths, labels, splits, len(vocabulary), len(data.languages),
                                       config, device=device)
    predicted = cl.predict_classes(model, tokens[splits.test], lengths[splits.test])
    accuracy = float((predicted == labels[splits.test].numpy()).mean())
    return f"test accuracy on {len(splits.test)} surnames", f"{accuracy:.1%}"


def ctc_reader(config_name, device, clock):
    import numpy as np
    import torch

    from lstm_course.applications import ctc

    alphabet = 6
    train = ctc.glyph_strokes(800, alphabet=alphabet, seed=1)
    test = ctc.glyph_strokes(300, alphabet=alphabet, seed=2)
    config = ctc.CTCConfig.for_gpu() if config_name == "gpu" else ctc.CTCConfig()
    with clock:
        model, _ = ctc.train_ctc(train, alphabet, config, device=device)
    model.eval()
    with torch.no_grad():
        log_probs = model(test.frames.to(device), test.lengths).cpu()
    decoded = ctc.greedy_ctc_decode(log_probs, test.lengths)
    exact = np.mean([d == label for d, label in zip(decoded, test.labels)])
    errors = sum(ctc.edit_distance(d, label) for d, label in zip(decoded, test.labels)) / sum(map(len, test.labels))
    return (f"share of the {len(test.labels)} test sequences read exactly / symbol error rate",
            f"{exact:.1%} / {errors:.1%}")


def char_lm(config_name, device, clock):
    from lstm_course.applications import language_model as lm
    from lstm_course.data import char_stream, python_docs_text

    streams = char_stream(python_docs_text(), val=0.05, test=0.05)
    config = lm.LMConfig.for_gpu() if config_name == "gpu" else lm.LMConfig()
    with clock:
        model, _ = lm.train_char_lm(streams.train, streams.val, len(streams.vocabulary), config, device=device)
    bits = lm.bits_per_character(model, streams.test)
    return f"bits per character on the {len(streams.test):,} test characters", f"{bits:.2f}"


def tagging(config_name, device, clock):
    from lstm_course.applications import tagging as tg
    from lstm_course.data import Vocabulary

    splits = tg.tagging_splits(seed=0)
    vocabulary = Vocabulary.build(sentence.text for sentence in splits.train)
    train, val, test = (tg.encode_sentences(part, vocabulary) for part in splits)
    config = tg.TaggerConfig.for_gpu() if config_name == "gpu" else tg.TaggerConfig()
    with clock:
        model, _ = tg.train_tagger(train, val, len(vocabulary), config, device=device)
    scores = tg.span_scores(tg.predict_tags(model, test), [sentence.tags for sentence in splits.test])
    return (f"span F1 on {len(splits.test)} test sentences, bidirectional: all (names, dates)",
            f"{scores['all'].f1:.3f} ({scores['NAME'].f1:.3f}, {scores['DATE'].f1:.3f})")


def date_translation(config_name, device, clock):
    from lstm_course.applications import date_translation as dt

    config = dt.TranslatorConfig.for_gpu() if config_name == "gpu" else dt.TranslatorConfig()
    train, test = dt.split_dates(config.train_size, 1000, seed=config.seed)
    with clock:
        translator, _ = dt.train_translator(train, config, device=device)
    greedy, _ = dt.translate(translator, [d.text for d in test])
    return f"exact match on {len(test)} held-out dates, greedy", f"{dt.exact_match(greedy, test):.1%}"


# name on the command line: (the run, the page it comes from); cheapest first on a GPU
CHAPTERS = {"forecasting": (forecasting, "forecasting.md"),
            "classification": (classification, "classification.md"),
            "ctc": (ctc_reader, "tour.md (CTC)"),
            "char_lm": (char_lm, "char_lm.md"),
            "tagging": (tagging, "tagging.md"),
            "date_translation": (date_translation, "date_translation.md")}


class Clock:
    """``with clock:`` times its block, waiting for the device's queued work at both ends."""

    def __init__(self, synchronize):
        self.synchronize, self.seconds = synchronize, 0.0

    def __enter__(self):
        self.synchronize()
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.synchronize()
        self.seconds = time.perf_counter() - self.start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cuda", "mps", "cpu"], help="default: cuda, else mps, else cpu")
    parser.add_argument("--only", nargs="+", choices=CHAPTERS, default=list(CHAPTERS), metavar="NAME",
                        help=f"some of {', '.join(CHAPTERS)}")
    parser.add_argument("--config", choices=["gpu", "default"], default="gpu",
                        help="Config.for_gpu() or the chapter's Config()")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the chapters use one)")
    args = parser.parse_args()
    set_threads(args.threads)
    import torch

    from lstm_course.train import pick_device

    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    where = f"{cpu_name()}, {args.threads} thread(s)"
    synchronize = lambda: None  # noqa: E731
    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)}; {where}"
        synchronize = lambda: torch.cuda.synchronize(device)  # noqa: E731
    elif device.type == "mps":
        synchronize = torch.mps.synchronize
    torch.ones(8, 8, device=device).matmul(torch.ones(8, 8, device=device))  # start the device before any clock
    synchronize()
    print(f"{where}; Python {platform.python_version()}, torch {torch.__version__}; "
          f"{datetime.date.today().isoformat()}", flush=True)
    print("| chapter | config | device | metric | value | training (s) |", flush=True)
    print("|---|---|---|---|---|---|", flush=True)
    total = time.perf_counter()
    for name in [chapter for chapter in CHAPTERS if chapter in args.only]:
        print(f"{name}: {args.config} config on {device.type}, started at {time.perf_counter() - total:.0f} s",
              file=sys.stderr, flush=True)
        clock = Clock(synchronize)
        run, page = CHAPTERS[name]
        metric, value = run(args.config, device, clock)
        print(f"| {page} | {args.config} | {device.type} | {metric} | {value} | {clock.seconds:.1f} |",
              flush=True)
    print(f"all done in {time.perf_counter() - total:.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
