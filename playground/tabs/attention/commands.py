"""`playground train attention` and `playground eval attention`: the character transformer on
names (a language model) or on the sorting task.

    playground train attention --task names --out assets/weights/attention_names.npz
    playground eval attention --weights assets/weights/attention_names.npz
"""
from __future__ import annotations

from models.attention.limits import LIMITS
from playground.cli_types import add_names, bounded, fraction, positive


# Per task: model shape and training recipe used when the flags are not given. The names recipe
# is the one that reaches test loss 1.94 on the lecture list: at 25k steps and dropout 0.15 the
# model stopped at 1.97; more dropout, twice the steps and a running average of the weights
# (evaluated and saved instead of the raw weights) gained the last 0.03.
DEFAULTS = {
    "names": dict(layers=4, heads=4, embd=64, steps=60000, batch_size=64, lr=1e-3, eval_every=500,
                  dropout=0.2, weight_decay=0.1, ema=0.999),
    "sort": dict(layers=2, heads=4, embd=64, steps=3000, batch_size=64, lr=2e-3, eval_every=250,
                 dropout=0.0, weight_decay=0.01, ema=0.0),
}
SNAPSHOT_FRACTIONS = (0.0, 0.02, 0.1, 0.4)  # when to keep a copy of the weights for the viewer
# Upper limits of the sizing options, checked before anything is made (the model's own shape
# limits, models.attention.model.LIMITS, and the memory a run needs are checked after these).
MAX_BATCH = 4096  # sequences per step
MAX_HELDOUT = 20_000  # sort: held-out sequences scored (2,000 take a few seconds)
MAX_WORKERS = 16  # processes a step is split over
MAX_SEED = 2**31 - 1
MAX_STEPS = 10_000_000  # as models.core.training.MAX_STEPS (not imported: no NumPy to build the parser)
HISTORY_POINTS = 1000  # training-loss points kept in the weights file's history


def register(train, evaluate) -> None:
    p = train.add_parser("attention", help="train the character transformer (names or sort)")
    p.add_argument("--task", choices=tuple(DEFAULTS), default="names",
                   help="names: a language model of a word list; sort: sort 6 letters (default names)")
    add_names(p)
    p.add_argument("--steps", type=bounded(MAX_STEPS), help="training steps (names 60000, sort 3000)")
    p.add_argument("--batch-size", type=bounded(MAX_BATCH), help="sequences per step (default 64)")
    p.add_argument("--lr", type=positive, help="peak learning rate (names 1e-3, sort 2e-3)")
    p.add_argument("--layers", type=bounded(LIMITS["n_layer"][1]), help="transformer blocks (names 4, sort 2)")
    p.add_argument("--heads", type=bounded(LIMITS["n_head"][1]), help="attention heads per block (default 4)")
    p.add_argument("--embd", type=bounded(LIMITS["n_embd"][1]), help="embedding width (default 64)")
    p.add_argument("--eval-every", type=bounded(MAX_STEPS), help="steps between validation checks")
    p.add_argument("--dropout", type=fraction, help="dropout while training (names 0.2, sort 0)")
    p.add_argument("--weight-decay", type=fraction, help="AdamW weight decay (names 0.1, sort 0.01)")
    p.add_argument("--ema", type=fraction, metavar="DECAY",
                   help="evaluate and save a running average of the weights with this decay "
                        "(names 0.999, sort 0: off)")
    p.add_argument("--workers", type=bounded(MAX_WORKERS), default=2,
                   help="processes each step is split over (default 2; Linux only, else 1)")
    p.add_argument("--seed", type=bounded(MAX_SEED, 0), default=0,
                   help="initial weights and batch order (default 0)")
    p.add_argument("--no-mask", action="store_true",
                   help="lift the causal mask: the future leaks in and the loss drops by cheating")
    p.add_argument("--out", metavar="W.npz",
                   help="save the best weights (by validation loss) here, also during training")
    _add_heldout(p)
    p.set_defaults(func=_train)

    p = evaluate.add_parser("attention", help="evaluate a character transformer weights file")
    p.add_argument("--weights", metavar="W.npz",
                   help="weights file (default: the shipped model of --task)")
    p.add_argument("--task", choices=tuple(DEFAULTS), default="names",
                   help="which shipped weights to use when --weights is not given")
    add_names(p)
    _add_heldout(p)
    p.set_defaults(func=_eval)


def _add_heldout(p) -> None:
    p.add_argument("--heldout", type=bounded(MAX_HELDOUT), default=2000, metavar="N",
                   help=f"sort: held-out sequences scored for exact_match (default 2000, at most {MAX_HELDOUT:,})")


def _words(args):
    from models.core.data import default_names_path, load_words

    path = args.names or default_names_path()
    return path, load_words(path)


def _train(args) -> dict:
    """Check everything, then build, then train: a bad option or --out costs nothing."""
    from playground.cli import CommandError, check_output

    if args.out:
        check_output(args.out, example="attention.npz")  # before the work, not after it
    if args.task == "sort" and args.names:
        raise CommandError("--names applies to --task names only")
    try:
        return _run(args, *_build(args))
    except MemoryError as e:  # a size the checks let through but this machine cannot hold
        raise CommandError(str(e) or "not enough memory for this model; use a smaller one") from None


def _build(args):
    """(model, data, config, names or None) for the options, every size checked before it is made."""
    import sys

    from playground.cli import CommandError

    from models.attention.data import names_data, row_sampler
    from models.attention.model import GPT, GPTConfig
    from models.attention.sort_task import SortTask
    from models.attention.train import AttentionTrainConfig, TrainData, check_memory, evaluate_loss

    d = DEFAULTS[args.task]
    pick = lambda name: getattr(args, name) if getattr(args, name) is not None else d[name]  # noqa: E731
    layers, heads, embd = pick("layers"), pick("heads"), pick("embd")
    if embd % heads:
        raise CommandError(f"--embd {embd} must be a multiple of --heads {heads}")
    steps = pick("steps")
    config = AttentionTrainConfig(steps=steps, batch_size=pick("batch_size"), lr=pick("lr"),
                                  warmup=min(200, steps // 10 + 1), eval_every=pick("eval_every"),
                                  weight_decay=pick("weight_decay"), seed=args.seed,
                                  workers=args.workers, ema=pick("ema"),
                                  keep_at=tuple(sorted({int(f * steps) for f in SNAPSHOT_FRACTIONS} - {0})))
    config.validate()
    sort, names = None, None
    if args.task == "names":
        path, words = _words(args)
        names = names_data(words)
        itos, block_size = names.itos, names.block_size
    else:
        sort = SortTask()
        itos, block_size = sort.itos, sort.block_size
    try:
        shape = GPTConfig(vocab_size=len(itos), block_size=block_size, n_layer=layers, n_head=heads,
                          n_embd=embd, dropout=pick("dropout"), seed=args.seed)
    except ValueError as e:
        raise CommandError(f"this model cannot be built: {e}") from None
    try:
        check_memory(shape, config.batch_size, bool(config.ema), len(config.keep_at) + 3, config.workers)
    except MemoryError as e:
        raise CommandError(str(e)) from None
    if names is not None:
        data = TrainData(row_sampler(*names.train, bucket=8, cut=not args.no_mask),
                         lambda m: evaluate_loss(m, *names.val))
        print(f"names: {path} ({len(words):,} words; train {len(names.train[0]):,}, "
              f"val {len(names.val[0]):,}, test {len(names.test[0]):,})", file=sys.stderr)
    else:
        val_x, val_y = sort.examples(sort.random_sequences(_rng(99), args.heldout, heldout=True))
        data = TrainData(sort.sampler(), lambda m: evaluate_loss(m, val_x, val_y))
    model = GPT(shape, itos, args.task, sort)
    model.causal = not args.no_mask
    print(f"model: {layers} layers x {heads} heads x {embd} dims, block {block_size}, "
          f"{model.num_params():,} parameters; {config}", file=sys.stderr)
    return model, data, config, names


def _run(args, model, data, config, names) -> dict:
    """Train, keeping the best weights (by validation loss) and the loss history; save them."""
    import sys

    from playground.cli import CommandError
    from playground.progress import drive

    from models.attention.history import Curve
    from models.attention.saving import save
    from models.attention.train import evaluate_loss, train

    snapshots = [(0, model.state_dict())]
    best = {"val_loss": float("inf"), "step": 0, "lr": config.lr, "state": model.state_dict()}
    meta = {"task": args.task, "train": config.to_dict(), "causal": model.causal,
            "command": "playground train attention " + " ".join(sys.argv[3:])}
    curves = {"train": Curve(), "val": Curve()}
    every = max(1, config.steps // HISTORY_POINTS)

    def save_best():
        if args.out:
            current = model.state_dict()
            model.load_state_dict(best["state"])
            history = {k: [list(p) for p in c.upto(best["step"]).points] for k, c in curves.items()}
            save(args.out, model, dict(meta, step=best["step"], val_loss=best["val_loss"], lr=best["lr"],
                                       history=history), snapshots)
            model.load_state_dict(current)

    def steps_taken():
        for report in train(model, data, config):
            snapshots[1:] = report.payload["kept"]
            if report.step % every == 0 or report.val_loss is not None:
                curves["train"].add(report.step, report.metrics["loss_ema"])
            if report.val_loss is not None:
                curves["val"].add(report.step, report.val_loss)
                if report.val_loss < best["val_loss"]:
                    best.update(val_loss=report.val_loss, step=report.step, lr=report.lr,
                                state=model.state_dict())
                    save_best()  # a checkpoint on disk while a long run goes on
            yield report

    describe = lambda r: f"loss {r.loss:.4f}" + (f" val {best['val_loss']:.4f}"  # noqa: E731
                                                 if best["step"] else "")
    try:
        last = drive(steps_taken(), total=config.steps, label=f"attention {args.task}", describe=describe)
    except FloatingPointError as e:  # divergence: a message and exit status 1, no NaN saved
        kept = f" The best weights so far (step {best['step']:,}) are in {args.out}." if args.out and best["step"] else ""
        print(f"playground: error: {e}{kept}", file=sys.stderr)
        raise SystemExit(1) from None
    if last is None:
        raise CommandError("stopped before the first step")
    if best["step"] == 0:  # stopped before the first validation: keep the weights we have
        best.update(val_loss=data.evaluate(model), step=last.step, lr=last.lr, state=model.state_dict())
        curves["val"].add(last.step, best["val_loss"])
    model.load_state_dict(best["state"])
    result = {"steps": last.step, "best_step": best["step"]}
    if names is not None:
        meta["test_loss"] = evaluate_loss(model, *names.test)
        result.update(val_loss=best["val_loss"], test_loss=meta["test_loss"])
    else:
        meta["exact_match"] = model.sort.exact_match(model, n=args.heldout)
        result.update(val_loss=best["val_loss"], exact_match=meta["exact_match"])
    save_best()
    if args.out:
        print(f"saved {args.out}", file=sys.stderr)
    return result


def _rng(seed):
    import numpy as np

    return np.random.default_rng(seed)


def _eval(args) -> dict:
    from models.attention.data import names_data
    from models.attention.saving import load
    from models.attention.train import evaluate_loss
    from models.core.assets import asset_path

    path = args.weights or asset_path("weights", f"attention_{args.task}.npz")
    loaded = load(path)
    model = loaded.model
    model.causal = bool(loaded.meta.get("causal", True))
    if model.task == "names":
        _, words = _words(args)
        data = names_data(words, model.itos, model.block_size)
        return {"val_loss": evaluate_loss(model, *data.val), "test_loss": evaluate_loss(model, *data.test)}
    sort = model.sort
    val_x, val_y = sort.examples(sort.random_sequences(_rng(99), args.heldout, heldout=True))
    return {"heldout_loss": evaluate_loss(model, val_x, val_y),
            "exact_match": sort.exact_match(model, n=args.heldout)}
