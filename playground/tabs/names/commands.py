"""`playground train names` and `playground eval names`: the character MLP for names, headless."""
from __future__ import annotations

import sys
from pathlib import Path

PRESET_NAMES = ("mlp", "batchnorm", "wavenet")


def register(train, evaluate) -> None:
    p = train.add_parser("names", help="train the names MLP (Bengio 2003; makemore parts 2-5)")
    p.add_argument("--names", help="word list, one name per line (default: $PLAYGROUND_DATA_DIR/names.txt, "
                   "else the shipped assets/names/names.txt)")
    p.add_argument("--preset", choices=PRESET_NAMES, default="mlp",
                   help="mlp: context 3, embedding 10, hidden 200, tanh; batchnorm: the same with batch "
                   "norm; wavenet: context 8, pairs fused 3 times, embedding 24, hidden 128, batch norm")
    p.add_argument("--steps", type=int, help="minibatch steps (default: the preset's recipe)")
    p.add_argument("--batch-size", type=int, help="examples per step (default: the preset's recipe)")
    p.add_argument("--lr", type=float, help="initial learning rate (default: the preset's recipe)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), help="default: the preset's recipe (sgd)")
    p.add_argument("--decay-at", help="fractions of the steps where the rate drops tenfold, e.g. 0.5 or "
                   "0.5,0.8, or 'never' (default: the preset's recipe)")
    p.add_argument("--weight-decay", type=float, help="L2 weight decay (default: the preset's recipe)")
    p.add_argument("--seed", type=int, default=42, help="initialisation and minibatch order")
    p.add_argument("--out", help="weights file to write (default: names_PRESET.npz)")
    p.add_argument("--find-lr", action="store_true",
                   help="instead of training, sweep the learning rate from 0.001 to 1 over 1,000 steps of "
                   "fresh weights (makemore part 2) and print the suggested rate")
    p.set_defaults(func=_train)

    p = evaluate.add_parser("names", help="train/val/test loss of names-MLP weights")
    p.add_argument("--weights", help="weights file (default: the shipped assets/weights/names_mlp.npz)")
    p.add_argument("--names", help="word list to evaluate on, cut 80/10/10 the standard way "
                   "(default: $PLAYGROUND_DATA_DIR/names.txt, else the shipped list)")
    p.set_defaults(func=_eval)


def _train(args) -> dict:
    from dataclasses import replace

    from playground.cli import CommandError, check_output
    from playground.progress import drive

    from models.core.data import default_names_path, load_words
    from models.core.checkpoint import save_model
    from models.names.data import NamesData
    from models.names.model import PRESETS, NamesModel
    from models.names.lr_finder import LRFinderConfig
    from models.names.train import RECIPES, train

    changes = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size), ("lr", args.lr),
                                 ("optimizer", args.optimizer), ("weight_decay", args.weight_decay))
               if v is not None}
    if args.decay_at is not None:
        try:
            changes["decay_at"] = () if args.decay_at == "never" else tuple(
                float(p) for p in args.decay_at.split(","))
        except ValueError:
            raise CommandError(f"--decay-at must look like 0.5 or 0.5,0.8 or never, not {args.decay_at!r}") from None
    config = replace(RECIPES[args.preset], seed=args.seed, **changes)
    if args.find_lr:
        config = LRFinderConfig(**{k: v for k, v in changes.items() if k in ("steps", "batch_size", "optimizer")},
                                seed=args.seed)
    try:
        config.validate()
    except ValueError as e:
        raise CommandError(f"{e} (check --steps, --batch-size, --lr, --decay-at, --weight-decay)") from None
    out = (check_output(args.out or f"names_{args.preset}.npz", example="names_mlp.npz")
           if not args.find_lr else None)  # before the work
    names_path = Path(args.names) if args.names else default_names_path()
    words = load_words(names_path)
    model_config = replace(PRESETS[args.preset])
    data = NamesData.from_words(words, model_config.block_size)
    model_config.vocab_size = data.vocab.size
    model = NamesModel(model_config, data.vocab, seed=args.seed)
    if len(data.Ytr) == 0 or len(data.Yval) == 0:
        raise CommandError(f"{names_path.name} is too short: the standard split leaves no training or "
                           "validation examples (it needs at least 10 words)")
    if args.find_lr:
        return _find_lr(model, data, config, args.preset)
    config.eval_every = max(500, config.steps // 20)  # a progress-bar estimate; the final figure is exact

    def describe(report):
        text = f"loss {report.loss:.4f} lr {report.lr:g}"
        val = report.metrics.get("val_loss")
        return text + (f" val {val:.4f}" if val is not None else "")

    history = []  # (step, smoothed loss, val loss or None): the tab draws the curve of shipped weights
    every = max(1, config.steps // 200)

    def recorded(reports):
        for report in reports:
            if report.step % every == 0 or report.step == 1 or report.val_loss is not None:
                history.append((report.step, round(report.metrics["loss_ema"], 5),
                                round(report.val_loss, 5) if report.val_loss is not None else None))
            yield report

    try:
        last = drive(recorded(train(model, data, config)), config.steps, f"train names/{args.preset}", describe)
    except FloatingPointError as e:  # divergence: a message and exit status 1, no NaN saved
        print(f"playground: error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    if last is None:
        raise CommandError("training stopped before the first step")
    losses = data.split_losses(model, ("train", "val"))
    meta = {"preset": args.preset, "steps": last.step, "names_file": names_path.name,
            "words": len(words), "train_loss": losses["train"], "val_loss": losses["val"],
            "command": " ".join(_command(args, names_path, out)), "history": history}
    save_model(out, model, meta)
    return {"preset": args.preset, "steps": last.step, "params": model.num_params(), "weights": str(out),
            "train_loss": losses["train"], "val_loss": losses["val"]}


def _find_lr(model, data, config, preset) -> dict:
    from playground.cli import CommandError
    from playground.progress import drive

    from models.names.lr_finder import find_lr

    last = drive(find_lr(model, data, config), config.steps, f"find lr names/{preset}",
                 lambda r: f"lr {r.lr:.3g} loss {r.metrics['smoothed']:.3f}")
    if last is None or not last.payload.done:
        raise CommandError("the sweep stopped before it could suggest a rate")
    sweep = last.payload
    if sweep.suggestion is None:
        raise CommandError("the sweep was too short to suggest a rate (use --steps 100 or more)")
    return {"preset": preset, "steps": len(sweep.lrs), "lr_min": config.lr_min, "lr_max": config.lr,
            "steepest_lr": _rate(sweep.steepest_lr),
            "lowest_lr": _rate(sweep.lowest_lr), "suggested_lr": _rate(sweep.suggestion)}


def _rate(lr) -> str:
    return "none" if lr is None else f"{lr:.3g}"


def _command(args, names_path, out) -> list[str]:
    words = ["playground", "train", "names", "--names", str(names_path), "--preset", args.preset]
    for flag, value in (("--steps", args.steps), ("--batch-size", args.batch_size), ("--lr", args.lr),
                        ("--optimizer", args.optimizer), ("--decay-at", args.decay_at),
                        ("--weight-decay", args.weight_decay)):
        if value is not None:
            words += [flag, str(value)]
    return words + ["--seed", str(args.seed), "--out", str(out)]


def _eval(args) -> dict:
    from models.core.assets import asset_path
    from models.core.checkpoint import load_model
    from models.core.data import default_names_path, load_words
    from models.names.data import NamesData
    from models.names.model import NamesModel

    weights = Path(args.weights) if args.weights else asset_path("weights", "names_mlp.npz")
    loaded = load_model(weights, NamesModel)
    model, meta = loaded.model, loaded.meta
    names_path = Path(args.names) if args.names else default_names_path()
    data = NamesData.from_words(load_words(names_path), model.block_size, vocab=model.vocab)
    losses = data.split_losses(model)
    return {"model": meta.get("preset", "custom"), "params": model.num_params(), "names": names_path.name,
            "train_loss": losses["train"], "val_loss": losses["val"], "test_loss": losses["test"]}
