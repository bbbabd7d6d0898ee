"""`playground train autograd` and `playground eval autograd`: the Value-engine MLP on toy data.

    playground train autograd --dataset moons --steps 100      # micrograd's demo, prints accuracy
"""
from __future__ import annotations

DATASETS = ("moons", "circles", "xor", "spiral")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LOSSES = ("max_margin", "mse", "bce")


def register(train, evaluate) -> None:
    p = train.add_parser("autograd", help="train the tiny MLP of scalar Values on 2-D toy data "
                         "(micrograd's demo by default)")
    _data_arguments(p)
    p.add_argument("--hidden", default="16,16", help="hidden layer sizes, comma-separated "
                   "(default 16,16)")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                   help="activation of every hidden layer (default relu); the output is linear")
    p.add_argument("--loss", choices=LOSSES, default="max_margin", help="default max_margin")
    p.add_argument("--lr", type=float, default=1.0, help="SGD learning rate, decayed linearly to "
                   "a tenth over --steps like micrograd's demo (default 1.0)")
    p.add_argument("--l2", type=float, default=1e-4, help="L2 penalty weight (default 1e-4)")
    p.add_argument("--steps", type=int, default=100, help="SGD steps on all points (default 100)")
    p.add_argument("--init-seed", type=int, default=1337, help="weight initialisation seed")
    p.add_argument("--out", help="weights file to write (optional)")
    p.set_defaults(func=_train)

    p = evaluate.add_parser("autograd", help="accuracy of saved tiny-MLP weights on toy data")
    p.add_argument("--weights", required=True, help="a weights file saved by the Autograd tab or "
                   "`playground train autograd --out`")
    _data_arguments(p)
    p.set_defaults(func=_eval)


def _data_arguments(p) -> None:
    p.add_argument("--dataset", choices=DATASETS, default="moons", help="default moons")
    p.add_argument("--points", type=int, default=100, help="number of points (default 100)")
    p.add_argument("--noise", type=float, default=0.1, help="noise scale (default 0.1)")
    p.add_argument("--seed", type=int, default=1, help="data seed (default 1)")


def _hidden(text: str) -> tuple[int, ...]:
    from playground.cli import CommandError

    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise CommandError(f"--hidden must look like 16,16, not {text!r}") from None
    if not sizes or not all(1 <= s <= 64 for s in sizes) or len(sizes) > 4:
        raise CommandError("--hidden takes 1 to 4 layer sizes between 1 and 64")
    return sizes


def _train(args) -> dict:
    from models.autograd.train import (TrainConfig, accuracy, make_mlp, save_mlp, scores_numpy,
                                       weight_arrays)
    from models.autograd.train import train as train_mlp
    from models.autograd.toy_data import make_dataset
    from playground.cli import CommandError
    from playground.progress import drive

    hidden = _hidden(args.hidden)
    if args.steps < 1 or not args.lr > 0 or args.l2 < 0:
        raise CommandError("--steps must be at least 1, --lr positive and --l2 not negative")
    X, y = make_dataset(args.dataset, args.points, args.noise, args.seed)
    model = make_mlp(hidden, (args.activation,) * len(hidden), seed=args.init_seed)
    config = TrainConfig(loss=args.loss, lr=args.lr, steps=args.steps, l2=args.l2)

    def steps():
        for report in train_mlp(model, X, y, config):
            yield report
            if report["step"] >= args.steps:
                return

    def describe(report):
        return f"loss {report['loss']:.4f} acc {report['accuracy']:.0%}"

    last = drive(steps(), args.steps, f"train autograd/{args.dataset}", describe)
    if last is None:
        raise CommandError("training stopped before the first step")
    final = accuracy(scores_numpy(weight_arrays(model), model.activations, X), y)
    result = {"dataset": args.dataset, "steps": last["step"]}
    if args.out:
        meta = {"dataset": args.dataset, "points": args.points, "noise": args.noise,
                "seed": args.seed, "steps": last["step"], "loss": last["loss"], "accuracy": final}
        result["weights"] = str(save_mlp(args.out, model, meta))
    result.update(accuracy=final, loss=last["loss"])
    return result


def _eval(args) -> dict:
    from models.autograd.train import accuracy, load_mlp, loss_of, scores_numpy, weight_arrays
    from models.autograd.toy_data import make_dataset

    model = load_mlp(args.weights)
    X, y = make_dataset(args.dataset, args.points, args.noise, args.seed)
    loss, _ = loss_of(model, X.tolist(), y.tolist(), "max_margin", 0.0)
    acc = accuracy(scores_numpy(weight_arrays(model), model.activations, X), y)
    return {"dataset": args.dataset, "points": args.points, "accuracy": acc, "loss": loss.data}
