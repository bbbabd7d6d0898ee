"""`playground eval bigram` (the count model) and `playground train bigram` (the neural one)."""
from __future__ import annotations

import argparse


def register(train, evaluate) -> None:
    p = evaluate.add_parser("bigram", help="count bigrams in a word list and report their NLL")
    _add_names(p)
    p.add_argument("--smoothing", type=_non_negative, default=0.0, metavar="K",
                   help="add-k smoothing: K is added to every count (default 0)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="most common pairs to list")
    p.set_defaults(func=_eval)

    p = train.add_parser("bigram", help="learn the bigram model by gradient descent")
    _add_names(p)
    p.add_argument("--steps", type=int, default=300, help="full-batch gradient steps (default 300)")
    p.add_argument("--lr", type=_positive, default=50.0, help="learning rate (default 50)")
    p.add_argument("--l2", type=_non_negative, default=0.0, help="weight of mean(W^2) (default 0)")
    p.add_argument("--seed", type=int, default=2147483647, help="seed of the initial W")
    p.add_argument("--save", metavar="FILE", help="write the learned W to this .npz checkpoint")
    p.set_defaults(func=_train)


def _add_names(p) -> None:
    p.add_argument("--names", metavar="FILE",
                   help="word list, one word per line (default: the shipped names list)")


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def _load(args):
    from models.core.data import default_names_path, load_words

    path = args.names or default_names_path()
    words = load_words(path)
    return path, words


def _eval(args) -> dict:
    from models.bigram.model import BigramCounts, split_nll

    path, words = _load(args)
    model = BigramCounts.fit(words)
    k = args.smoothing
    print(f"names: {path} ({len(words):,} words, {model.vocab.size} characters with '.')")
    print(f"bigrams: {model.total:,}")
    print("most common pairs:")
    for pair, count in model.top_pairs(max(0, args.top)):
        print(f"  {pair}  {count:>8,}")
    splits = split_nll(words, k)
    print("nll per split (counts of train): " + "  ".join(f"{name} {v:.4f}"
                                                          for name, v in splits.items()))
    return {"words": len(words), "bigrams": model.total, "smoothing": float(k),
            "nll": model.nll(words, k)}


def _train(args) -> dict:
    from playground.cli import CommandError
    from playground.progress import drive

    from models.bigram.model import (BigramCounts, NeuralBigram, NeuralBigramConfig, bigram_pairs,
                               train_neural)

    if args.steps < 1:
        raise CommandError("--steps must be at least 1")
    _, words = _load(args)
    counts = BigramCounts.fit(words)
    xs, ys = bigram_pairs(words, counts.vocab)
    config = NeuralBigramConfig(lr=args.lr, l2=args.l2, steps=args.steps, seed=args.seed)
    model = NeuralBigram(counts.vocab.size, seed=config.seed)
    last = drive(train_neural(model, xs, ys, config), total=config.steps, label="bigram",
                 describe=lambda r: f"loss {r['loss']:.4f}")
    if last is None:
        raise CommandError("stopped before the first step")
    if args.save:
        from dataclasses import asdict

        from models.core import checkpoint
        checkpoint.save(args.save, "bigram", {"W": model.W}, asdict(config),
                        {"itos": "".join(counts.vocab.itos), "steps": last["step"]})
    # the loss was measured before the last update; measure the final W
    _, final_nll = model.forward(xs, ys)
    return {"steps": last["step"], "count_nll": counts.nll(words),
            "loss": final_nll + config.l2 * float((model.W.astype(float) ** 2).mean())}
