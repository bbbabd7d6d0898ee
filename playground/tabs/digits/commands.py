"""`playground train mnist` and `playground eval mnist`: the digit classifier, headless."""
from __future__ import annotations

from pathlib import Path


def register(train, evaluate) -> None:
    p = train.add_parser("mnist", help="train the MNIST digit classifier (an MLP in NumPy)")
    p.add_argument("--arch", default="784-800-10", help="layer widths, e.g. 784-128-10, 784-800-10, "
                   "784-512-256-10 (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=30, help="passes over the 60,000 training images")
    p.add_argument("--batch-size", type=int, default=128, help="images per step")
    p.add_argument("--lr", type=float, default=0.05, help="peak learning rate")
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default="momentum",
                   help="plain SGD, SGD with momentum 0.9, or Adam")
    p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine",
                   help="learning-rate schedule over the run")
    p.add_argument("--no-augment", action="store_true", help="train on the plain images (no random "
                   "shifts, rotations, scales, slant and stroke weight)")
    p.add_argument("--seed", type=int, default=0, help="initialisation, shuffling and augmentation")
    p.add_argument("--data", help="folder with the four MNIST IDX files (default: "
                   "$PLAYGROUND_DATA_DIR/mnist, else the shipped copy)")
    p.add_argument("--out", default="mnist_mlp.npz", help="weights file to write (default: %(default)s)")
    p.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    p.set_defaults(func=_train)

    p = evaluate.add_parser("mnist", help="test accuracy of MNIST weights on the 10,000 test digits")
    p.add_argument("--weights", help="weights file (default: the shipped assets/weights/mnist_mlp.npz)")
    p.add_argument("--data", help="folder with the MNIST IDX files (default: $PLAYGROUND_DATA_DIR/mnist, "
                   "else the shipped copy)")
    p.set_defaults(func=_eval)


def _train(args) -> dict:
    from playground.cli import CommandError
    from playground.progress import drive

    from models.digits.mnist import load_mnist
    from models.digits.net import MLP, MLPConfig, parse_arch
    from models.digits.train import Training, TrainConfig

    try:
        sizes = parse_arch(args.arch)
    except ValueError as e:
        raise CommandError(str(e)) from None
    if args.epochs < 1 or args.batch_size < 1 or not args.lr > 0:
        raise CommandError("--epochs and --batch-size must be at least 1 and --lr positive")
    x_train, y_train = load_mnist("train", args.data)
    x_test, y_test = load_mnist("test", args.data)
    net = MLP(MLPConfig(sizes=sizes, seed=args.seed))
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         optimizer=args.optimizer, schedule=args.schedule,
                         augment=not args.no_augment, seed=args.seed)
    run = Training(net, x_train, y_train, config, x_test, y_test)
    last_eval = {}

    def describe(report):
        if "test_acc" in report:
            last_eval.update(report)
        text = f"epoch {report['epoch']:.2f} loss {report['loss']:.4f}"
        if last_eval:
            text += f" train {last_eval['train_acc']:.4f} test {last_eval['test_acc']:.4f}"
        return text

    last = drive(run.run(), run.total_steps, "train mnist", describe)
    if last is None:
        raise CommandError("training stopped before the first step")
    final = run.evaluate()  # the weights as they are now: the recipe is the full schedule, no picking
    meta = {"arch": args.arch, "epochs": args.epochs, "steps": last["step"],
            "test_accuracy": final["test_acc"], "train_accuracy": final["train_acc"],
            "command": "playground train mnist " + " ".join(_argv(args))}
    out = net.save(args.out, meta=meta, half=args.half)
    if args.half:  # report what the stored float16 weights score, not the float32 ones
        final["test_acc"] = MLP.load(out).accuracy(x_test.reshape(len(x_test), -1) / 255.0, y_test)
    return {"steps": last["step"], "loss": float(last["loss"]), "train_accuracy": final["train_acc"],
            "weights": str(Path(out)), "test_accuracy": final["test_acc"]}


def _argv(args) -> list[str]:
    flags = [f"--arch {args.arch}", f"--epochs {args.epochs}", f"--batch-size {args.batch_size}",
             f"--lr {args.lr}", f"--optimizer {args.optimizer}", f"--schedule {args.schedule}",
             f"--seed {args.seed}"]
    return flags + (["--no-augment"] if args.no_augment else []) + (["--half"] if args.half else [])


def _eval(args) -> dict:
    from models.digits.mnist import load_mnist, load_pretrained, to_float

    net = load_pretrained(args.weights)
    x, y = load_mnist("test", args.data)
    acc = net.accuracy(to_float(x), y)
    return {"arch": net.config.arch, "test_images": len(y), "test_accuracy": acc}
