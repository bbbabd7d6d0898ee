"""`playground train mnist` and `playground eval mnist`: the digit classifiers (the MLP, or with
--model cnn the small CNN), headless."""
from __future__ import annotations

import sys
from pathlib import Path

from playground.cli_types import bounded, positive, seed

AUGMENTS = ("classic", "sloppy", "none")


def register(train, evaluate) -> None:
    p = train.add_parser("mnist", help="train a digit classifier on MNIST (an MLP or a small CNN, in NumPy)")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="the MLP (default) or the CNN")
    p.add_argument("--arch", default="784-800-10", help="MLP layer widths, e.g. 784-128-10, 784-800-10, "
                   "784-512-256-10 (default: %(default)s)")
    p.add_argument("--channels", default="16,32", help="CNN: feature maps of its two convolutions "
                   "(default: %(default)s)")
    p.add_argument("--hidden", type=bounded(4096, least=0), default=128, help="CNN: units of its hidden layer, 0 for none "
                   "(default: %(default)s)")
    p.add_argument("--epochs", type=positive, default=30, help="passes over the 60,000 training images")
    p.add_argument("--batch-size", type=bounded(60_000), default=128, help="images per step")
    p.add_argument("--lr", type=positive, default=0.05, help="peak learning rate")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default="momentum",
                   help="plain SGD, SGD with momentum 0.9, or Adam")
    p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine",
                   help="learning-rate schedule over the run")
    p.add_argument("--augment", choices=AUGMENTS, default="classic",
                   help="random distortions: classic (shifts, rotations, scales, slant, stroke weight), "
                   "sloppy (stronger, plus wobble, gaps and specks) or none")
    p.add_argument("--no-augment", action="store_true", help="the same as --augment none")
    p.add_argument("--seed", type=seed, default=0, help="initialisation, shuffling and augmentation")
    p.add_argument("--init", help="start from the weights in this file (a second stage of a recipe) instead of "
                   "a fresh initialisation; its architecture wins over --arch / --channels / --hidden")
    p.add_argument("--data", help="folder with the four MNIST IDX files (default: "
                   "$PLAYGROUND_DATA_DIR/mnist, else the shipped copy)")
    p.add_argument("--out", default="mnist_mlp.npz", help="weights file to write (default: %(default)s)")
    p.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    p.set_defaults(func=_train)

    p = evaluate.add_parser("mnist", help="test accuracy of digits weights on the 10,000 MNIST test digits")
    p.add_argument("--weights", help="weights file (default: the shipped assets/weights/mnist_mlp.npz)")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                   help="which shipped net, when no --weights is given")
    p.add_argument("--data", help="folder with the MNIST IDX files (default: $PLAYGROUND_DATA_DIR/mnist, "
                   "else the shipped copy)")
    p.add_argument("--sloppy", type=bounded(1000, least=0), default=0, metavar="N",
                   help="also score the synthetic sloppy drawings (models/digits/sloppy.py): N per digit "
                   "and category (100 for the figures in assets/README.md)")
    p.add_argument("--sloppy-seed", type=seed, default=1, help="seed of the sloppy drawings (default: %(default)s)")
    p.add_argument("--old-preprocess", action="store_true",
                   help="read the sloppy drawings without dropping specks or evening out the pen (as before issue 14)")
    p.set_defaults(func=_eval)


def build(args):
    """The untrained model the arguments describe (CommandError for a bad architecture)."""
    from playground.cli import CommandError

    from models.digits.cnn import CNN
    from models.digits.net import MLP, MLPConfig, parse_arch

    try:
        if args.model == "cnn":
            c1, c2 = (int(v) for v in args.channels.split(","))
            return CNN.from_config({"c1": c1, "c2": c2, "hidden": args.hidden, "seed": args.seed})
        return MLP(MLPConfig(sizes=parse_arch(args.arch), seed=args.seed))
    except ValueError as e:
        raise CommandError(f"bad architecture: {e}") from None


def describe_model(model) -> str:
    from models.digits.cnn import CNN

    if isinstance(model, CNN):
        c = model.config
        return f"cnn-{c.c1}-{c.c2}-{c.hidden}"
    return model.config.arch


def _train(args) -> dict:
    from playground.cli import CommandError, check_output
    from playground.progress import drive

    from models.core import checkpoint
    from models.digits.augment import SLOPPY, AugmentConfig
    from models.digits.mnist import load_mnist, load_pretrained
    from models.digits.train import DigitsData, DigitsTrainConfig, evaluate, train

    check_output(args.out, example="mnist_mlp.npz")  # before loading or training anything
    if args.init:
        try:
            net = load_pretrained(args.init).model  # a digits model of either kind
        except checkpoint.CheckpointError as e:
            raise CommandError(str(e)) from None
        args.model = "cnn" if type(net).__name__ == "CNN" else "mlp"
    else:
        net = build(args)
    augment = "none" if args.no_augment else args.augment
    x_train, y_train = load_mnist("train", args.data)
    x_test, y_test = load_mnist("test", args.data)
    try:
        config = DigitsTrainConfig.for_epochs(
            args.epochs, len(x_train), batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
            schedule=args.schedule, augment=augment != "none",
            augment_config=SLOPPY if augment == "sloppy" else AugmentConfig(), seed=args.seed)
        config.eval_every = -(-len(x_train) // config.batch_size)  # once an epoch
        config.validate()
    except ValueError as e:
        raise CommandError(str(e)) from None
    data = DigitsData(x_train, y_train, x_test, y_test)

    def describe(report):
        text = f"epoch {report.metrics['epoch']:.2f} loss {report.loss:.4f}"
        evals = report.payload["evals"]
        if evals and "test_acc" in evals[-1]:
            text += f" train {evals[-1]['train_acc']:.4f} test {evals[-1]['test_acc']:.4f}"
        return text

    try:
        last = drive(train(net, data, config), config.steps, "train mnist", describe)
    except FloatingPointError as e:  # divergence: a message and exit status 1, no NaN saved
        print(f"playground: error: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    if last is None:
        raise CommandError("training stopped before the first step")
    final = evaluate(net, data)  # the weights as they are now: the recipe is the full schedule, no picking
    meta = {"arch": describe_model(net), "epochs": args.epochs, "steps": last.step,
            "test_accuracy": final["test_acc"], "train_accuracy": final["train_acc"],
            "command": "playground train mnist " + " ".join(_argv(args))}
    saved = net
    if args.half:  # the same weights stored as float16; they load back as float32
        saved = type(net).from_config(net.get_config()).astype("float16")
        saved.load_state_dict(net.state_dict())
    out = checkpoint.save_model(args.out, saved, meta)
    if args.half:  # report what the stored float16 weights score, not the float32 ones
        final["test_acc"] = checkpoint.load_model(out).model.accuracy(x_test.reshape(len(x_test), -1) / 255.0, y_test)
    return {"steps": last.step, "loss": float(last.loss), "train_accuracy": final["train_acc"],
            "weights": str(Path(out)), "test_accuracy": final["test_acc"]}


def _argv(args) -> list[str]:
    flags = [f"--model {args.model}"]
    if args.model == "cnn":
        flags += [f"--channels {args.channels}", f"--hidden {args.hidden}"]
    else:
        flags += [f"--arch {args.arch}"]
    if args.init:
        flags += [f"--init {Path(args.init).name}"]
    flags += [f"--epochs {args.epochs:g}", f"--batch-size {args.batch_size}", f"--lr {args.lr}",
              f"--optimizer {args.optimizer}", f"--schedule {args.schedule}",
              f"--augment {'none' if args.no_augment else args.augment}", f"--seed {args.seed}"]
    return flags + (["--half"] if args.half else [])


def _eval(args) -> dict:
    from models.digits.mnist import load_mnist, load_pretrained, to_float

    net = load_pretrained(args.weights, args.model).model
    x, y = load_mnist("test", args.data)
    acc = net.accuracy(to_float(x), y)
    out = {"arch": describe_model(net), "test_images": len(y)}
    if args.sloppy > 0:
        out.update(_sloppy(net, args))
    out["test_accuracy"] = acc
    return out


def _sloppy(net, args) -> dict:
    """Accuracy per category of sloppiness, drawn and read the way the tab reads a canvas."""
    import numpy as np

    from models.digits.preprocess import preprocess
    from models.digits.sloppy import score, sloppy_set

    canvases, labels, kinds = sloppy_set(args.sloppy, seed=args.sloppy_seed)
    keep = not args.old_preprocess
    x = np.stack([preprocess(c, clean=keep, even_pen=keep) for c in canvases])
    return {f"sloppy_{k}": round(v, 4) for k, v in score(net.predict(x), labels, kinds).items()}
