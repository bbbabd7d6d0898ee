"""`playground eval bigram` (the count model) and `playground train bigram` (the neural one)."""
from __future__ import annotations

import sys

from playground.cli_types import add_names, non_negative, positive, seed


def register(train, evaluate) -> None:
    p = evaluate.add_parser("bigram", help="count bigrams in a word list and report their NLL")
    add_names(p)
    p.add_argument("--smoothing", type=non_negative, default=0.0, metavar="K",
                   help="add-k smoothing: K is added to every count (default 0)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="most common pairs to list")
    p.set_defaults(func=_eval)

    p = train.add_parser("bigram", help="learn the bigram model by gradient descent")
    add_names(p)
    p.add_argument("--steps", type=int, default=300, help="full-batch gradient steps (default 300)")
    p.add_argument("--lr", type=positive, default=50.0, help="learning rate (default 50)")
    p.add_argument("--l2", type=non_negative, default=0.0, help="weight of mean(W^2) (default 0)")
    p.add_argument("--seed", type=seed, default=2147483647, help="seed of the initial W")
    p.add_argument("--save", metavar="FILE", help="write the learned W to this .npz checkpoint")
    p.set_defaults(func=_train)


def _load(args):
    from models.core.data import default_names_path, load_words

    path = args.names or default_names_path()
    words = load_words(path)
    return path, words


def _eval(args) -> dict:
    from models.bigram.counts import BigramCounts, split_nll

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
    empty = [name for name, v in splits.items() if v != v]
    if empty:
        print(f"note: nan = no pairs: the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} "
              f"empty with {len(words)} word{'s' if len(words) != 1 else ''} (80/10/10)")
    return {"words": len(words), "bigrams": model.total, "smoothing": float(k),
            "nll": model.nll(words, k)}


def _train(args) -> dict:
    from playground.cli import CommandError, check_output
    from playground.progress import drive

    from models.bigram.counts import BigramCounts, bigram_pairs
    from models.bigram.neural import NeuralBigram
    from models.bigram.train import NeuralBigramConfig, train
    from models.core import checkpoint
    from models.core.training import MAX_STEPS

    if not 1 <= args.steps <= MAX_STEPS:
        raise CommandError(f"--steps must be between 1 and {MAX_STEPS:,}")
    config = NeuralBigramConfig(lr=args.lr, l2=args.l2, steps=args.steps)
    try:
        config.validate()
    except ValueError as e:
        raise CommandError(str(e)) from None
    if args.save:
        check_output(args.save, option="--save", example="bigram.npz")  # before the work, not after it
    _, words = _load(args)
    counts = BigramCounts.fit(words)
    xs, ys = bigram_pairs(words, counts.vocab)
    model = NeuralBigram(counts.vocab.size, seed=args.seed, itos="".join(counts.vocab.itos))
    try:
        last = drive(train(model, (xs, ys), config), total=config.steps, label="bigram",
                     describe=lambda r: f"loss {r.loss:.4f}")
    except FloatingPointError as e:  # divergence: a message and exit status 1, nothing saved
        print(f"playground: error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    if last is None:
        raise CommandError("stopped before the first step")
    if args.save:
        checkpoint.save_model(args.save, model, {"steps": last.step, "train": config.to_dict(),
                                                 "command": "playground train bigram"})
    # the loss was measured before the last update; measure the final W
    _, final_nll = model.forward(xs, ys)
    return {"steps": last.step, "count_nll": counts.nll(words),
            "loss": final_nll + config.l2 * float((model.W.astype(float) ** 2).mean())}


