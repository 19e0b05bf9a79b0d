"""Tokens per second of one language-model training step.

``lstm_course.nn.LanguageModel`` (embedding, the course's LSTM, a tied
output layer): forward, cross-entropy, backward, gradient clipping and an
Adam step on chunks of (T, B) = (64, 32) tokens of a vocabulary of 1000,
embedding and hidden size 256. The same model with ``torch.nn.LSTM`` swapped
in gives the reference figure.

Usage: python benchmarks/lm_training.py [--device cpu|cuda] [--repeats R]
Record the printed table in benchmarks/RESULTS.md with the machine.
"""

from timing import interleaved_medians, parse_device_args, torch_device


def main():
    args = parse_device_args(__doc__.splitlines()[0], repeats=11)
    import torch
    import torch.nn.functional as F
    from lstm_course.nn import LanguageModel

    device, sync, where = torch_device(args)
    vocab, size, steps, batch = 1000, 256, 64, 32
    torch.manual_seed(0)
    tokens = torch.randint(vocab, (steps + 1, batch), device=device)
    inputs, targets = tokens[:-1].t(), tokens[1:].t()  # the model is batch-first

    def training_step(model):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def call():
            logits, _ = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            sync()
        return call

    ours = LanguageModel(vocab, size, size, tie_weights=True).to(device)
    reference = LanguageModel(vocab, size, size, tie_weights=True).to(device)
    reference.lstm = torch.nn.LSTM(size, size, batch_first=True).to(device)
    reference.lstm.load_state_dict(ours.lstm.state_dict())
    t = interleaved_medians({"ours": training_step(ours), "torch": training_step(reference)}, args.repeats)
    per_step = steps * batch
    print(f"Device: {where}; float32; (T, B) = ({steps}, {batch}), V = {vocab}, E = H = {size}")
    print("| LSTM inside the model | ms per step | tokens per second |")
    print("|---|---|---|")
    for name, label in (("ours", "lstm_course.nn.LSTM"), ("torch", "torch.nn.LSTM")):
        print(f"| {label} | {t[name] * 1e3:.1f} | {per_step / t[name]:.0f} |")


if __name__ == "__main__":
    main()
