"""`playground train autograd` and `playground eval autograd`: the Value-engine MLP on toy data.

    playground train autograd --dataset moons --steps 100      # micrograd's demo, prints accuracy
    playground train autograd --dataset spiral --features x1,x2,x1x2,sinx1,sinx2 --hidden 8,8 \\
        --test-ratio 0.5                                        # also prints test_accuracy=

Every size is bounded before anything is made (points, layers, batch, steps), `--out` is checked
before training, and a run whose loss diverges stops with a message and exit status 1, saving
nothing.
"""
from __future__ import annotations

import math
import sys

DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "plane", "gaussians")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LOSSES = ("max_margin", "mse", "bce")
SCHEDULES = ("linear", "constant", "cosine")
FEATURES = "x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2"
MAX_STEPS = 100_000  # the scalar engine: ~10 ms a step on 100 points, so ~20 minutes


def register(train, evaluate) -> None:
    p = train.add_parser("autograd", help="train the tiny MLP of scalar Values on 2-D toy data "
                         "(micrograd's demo by default)")
    _data_arguments(p)
    p.add_argument("--hidden", default="16,16", help="hidden layer sizes, comma-separated "
                   "(default 16,16)")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                   help="activation of every hidden layer (default relu); the output is linear")
    p.add_argument("--features", default="x1,x2", help=f"the network's inputs, from {FEATURES} "
                   "(default x1,x2)")
    p.add_argument("--loss", choices=LOSSES, default="max_margin", help="default max_margin; "
                   "regression sets (plane, gaussians) always use mse")
    p.add_argument("--lr", type=float, help="SGD learning rate (default 1.0, micrograd's; 0.3 "
                   "on the regression sets, whose MSE has the steeper slope)")
    p.add_argument("--schedule", choices=SCHEDULES, default="linear", help="linear: down to a "
                   "tenth over --steps like micrograd's demo (default); constant: lr throughout")
    p.add_argument("--l2", type=float, default=1e-4, help="L2 penalty rate (default 1e-4)")
    p.add_argument("--l1", type=float, default=0.0, help="L1 penalty rate (default 0)")
    p.add_argument("--batch-size", type=int, default=0, help="points per step (default 0: all "
                   "training points, like micrograd's demo; at most the points)")
    p.add_argument("--steps", type=int, default=100, help=f"SGD steps (default 100, at most "
                   f"{MAX_STEPS:,})")
    p.add_argument("--init-seed", type=int, default=1337, help="weight initialisation seed")
    p.add_argument("--out", help="weights file to write (optional)")
    p.set_defaults(func=_train)

    p = evaluate.add_parser("autograd", help="accuracy of saved tiny-MLP weights on toy data")
    p.add_argument("--weights", required=True, help="a weights file saved by the Autograd tab or "
                   "`playground train autograd --out`")
    _data_arguments(p)
    p.set_defaults(func=_eval)


def _data_arguments(p) -> None:
    p.add_argument("--dataset", choices=DATASETS, default="moons", help="default moons; plane "
                   "and gaussians are regression sets")
    p.add_argument("--points", type=int, default=100, help="number of points (default 100, "
                   "at most 2,000: the engine is scalar)")
    p.add_argument("--noise", type=float, default=0.1, help="noise scale (default 0.1, 0 to 2)")
    p.add_argument("--seed", type=int, default=1, help="data seed (default 1, not negative)")
    p.add_argument("--test-ratio", type=float, default=0.0, help="fraction of the points held "
                   "out as a test set, never trained on (default 0)")


def _hidden(text: str) -> tuple[int, ...]:
    from playground.cli import CommandError

    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise CommandError(f"--hidden must look like 16,16, not {text!r}") from None
    if not sizes or not all(1 <= s <= 64 for s in sizes) or len(sizes) > 4:
        raise CommandError("--hidden takes 1 to 4 layer sizes between 1 and 64")
    return sizes


def _check_data(args) -> None:
    """The data options within their limits, before anything is made."""
    from models.autograd.toy_data import MAX_POINTS
    from playground.cli import CommandError

    if not 2 <= args.points <= MAX_POINTS:
        raise CommandError(f"--points must be between 2 and {MAX_POINTS:,} (the engine is "
                           f"scalar), not {args.points:,}")
    if not 0 <= args.noise <= 2:  # also refuses nan
        raise CommandError(f"--noise must be between 0 and 2, not {args.noise:g}")
    if not 0 <= args.seed < 2 ** 63:
        raise CommandError(f"--seed must be a number from 0 to 2**63 - 1, not {args.seed}")
    if not 0 <= args.test_ratio < 1:
        raise CommandError(f"--test-ratio must be in [0, 1): the test ratio {args.test_ratio:g} "
                           "leaves nothing to train on")


def _data(args):
    from models.autograd.toy_data import make_dataset, split

    _check_data(args)
    X, y = make_dataset(args.dataset, args.points, args.noise, args.seed)
    return split(X, y, args.test_ratio, args.seed)


def _train(args) -> dict:
    from models.autograd import features
    from models.autograd.model import PlaneMLP
    from models.autograd.toy_data import task_of
    from models.autograd.train import AutogradTrainConfig, evaluate
    from models.autograd.train import train as train_mlp
    from models.core import checkpoint
    from playground.cli import CommandError, check_output
    from playground.progress import drive

    hidden = _hidden(args.hidden)
    try:
        inputs = features.parse(args.features)
    except ValueError as e:
        raise CommandError(f"--features: {e}") from None
    task = task_of(args.dataset)
    lr = args.lr if args.lr is not None else (0.3 if task == "regress" else 1.0)
    if not 1 <= args.steps <= MAX_STEPS:
        raise CommandError(f"--steps must be between 1 and {MAX_STEPS:,} (the engine is scalar: "
                           f"~10 ms a step), not {args.steps:,}")
    if not 0 <= args.batch_size <= args.points:
        raise CommandError(f"--batch-size must be between 0 (all) and --points ({args.points:,}), "
                           f"not {args.batch_size:,}")
    if not (lr > 0 and math.isfinite(lr)) or not args.l2 >= 0 or not args.l1 >= 0:
        raise CommandError("--lr must be a positive number, --l1 and --l2 not negative")
    _check_data(args)
    if args.out:
        check_output(args.out, example="mlp.npz")  # before the work, not after it
    data = _data(args)
    model = PlaneMLP(hidden, (args.activation,) * len(hidden), args.init_seed, inputs, task)
    config = AutogradTrainConfig(loss="mse" if task == "regress" else args.loss, lr=lr,
                                 schedule=args.schedule, steps=args.steps, weight_decay=args.l2,
                                 l1=args.l1, batch_size=args.batch_size or len(data.y))
    config.validate()

    def steps():
        for report in train_mlp(model, data, config):
            yield report
            if report.step >= args.steps:
                return

    def describe(report):
        acc = report.metrics.get("accuracy")
        return f"loss {report.loss:.4f}" + (f" acc {acc:.0%}" if acc is not None else "")

    try:
        last = drive(steps(), args.steps, f"train autograd/{args.dataset}", describe)
    except FloatingPointError as e:  # divergence: a message and exit status 1, nothing saved
        print(f"playground: error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    if last is None:
        raise CommandError("training stopped before the first step")
    final = evaluate(model, data.X, data.y, config.loss)
    result = {"dataset": args.dataset, "steps": last.step}
    meta = {"dataset": args.dataset, "points": args.points, "noise": args.noise,
            "seed": args.seed, "test_ratio": args.test_ratio, "steps": last.step,
            "loss": last.loss, **{f"train_{k}": v for k, v in final.items()}}
    if len(data.y_test):
        test = evaluate(model, data.X_test, data.y_test, config.loss)
        meta.update({f"test_{k}": v for k, v in test.items()})
    if args.out:
        result["weights"] = str(checkpoint.save_model(args.out, model, meta))
    if "accuracy" in final:
        result["accuracy"] = final["accuracy"]
    result["loss"] = last.loss
    result.update({k: v for k, v in meta.items() if k.startswith(("train_", "test_"))
                   and k != "test_ratio"})
    return result


def _eval(args) -> dict:
    from models.autograd.model import PlaneMLP
    from models.autograd.train import evaluate
    from models.core import checkpoint

    from models.autograd.toy_data import task_of
    from playground.cli import CommandError

    model = checkpoint.load_model(args.weights, PlaneMLP).model
    if model.task != task_of(args.dataset):
        kind = "a regressor: use --dataset plane or gaussians" if model.task == "regress" else \
            "a classifier: use a classification --dataset"
        raise CommandError(f"{args.weights} holds {kind}")
    data = _data(args)
    result = {"dataset": args.dataset, "points": args.points}
    for part, X, y in (("", data.X, data.y), ("test_", data.X_test, data.y_test)):
        if len(y):
            result.update({part + k: v for k, v in evaluate(model, X, y).items()})
    return result
