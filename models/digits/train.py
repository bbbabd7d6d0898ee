"""Training the digit classifiers (the MLP and the CNN): a generator that yields a Report after
every step, on the one training protocol (models.core.training).

    for report in train(net, DigitsData(x, y, x_test, y_test), DigitsTrainConfig(steps=...)):
        ...

The CLI, the Digits tab's runner and the tests all drive the same generator. The run remembers
the weights that scored best at an evaluation (report.payload["best_state"]), so stopping early
never loses a good model; `snapshot()` beside it is what the tab's runner sends across threads.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from models.core.blas import ThreadTuner
from models.core.optim import SGD, Adam
from models.core.training import Report, TrainConfig, copy_arrays
from models.digits.augment import AugmentConfig, augment
from models.digits.parallel import ParallelStep

OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass
class DigitsTrainConfig(TrainConfig):
    """The shared fields (steps, batch_size, lr, schedule, eval_every: 0 = never, seed, ...) plus:"""
    batch_size: int = 64  # images per step
    lr: float = 0.01  # the peak learning rate
    schedule: str = "cosine"  # down to lr * lr_end (0) over the run, as before the one house
    optimizer: str = "momentum"  # "sgd" (plain), "momentum" (SGD, 0.9) or "adam"
    momentum: float = 0.9  # for "momentum"
    augment: bool = True  # random rotations, slant, scale, stroke weight, wobble, gaps, specks
    augment_config: AugmentConfig = field(default_factory=AugmentConfig)  # its ranges
    eval_train_samples: int = 10000  # training images scored for the train-accuracy curve
    tune_threads: bool = True  # in one process: time 1 vs the default BLAS threads now and then
    workers: int = 2  # processes each step's batch is split over (models.digits.parallel)

    def validate(self) -> None:
        super().validate()
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be sgd, momentum or adam, not {self.optimizer!r}")
        if not (1 <= self.workers <= 64):
            raise ValueError("Workers must be between 1 and 64.")

    @classmethod
    def for_epochs(cls, epochs: float, n_train: int, **fields) -> "DigitsTrainConfig":
        """A config whose `steps` make `epochs` passes over n_train images."""
        config = cls(**fields)
        if not (config.batch_size >= 1 and epochs > 0 and n_train >= 1):
            raise ValueError(f"need a batch size of 1 or more, epochs above 0 and training images "
                             f"(got {config.batch_size}, {epochs}, {n_train})")
        config.steps = max(1, math.ceil(epochs * n_train / config.batch_size))
        return config

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["augment_config"] = dict(out["augment_config"])
        return out


@dataclass
class DigitsData:
    """Training images (N, 28, 28) or (N, 784), uint8 0..255 or float32 0..1, with labels (N,);
    optionally an evaluation set of the same kinds (MNIST's test set)."""
    x: np.ndarray
    y: np.ndarray
    x_eval: np.ndarray | None = None
    y_eval: np.ndarray | None = None

    def __post_init__(self):
        self.x = np.asarray(self.x).reshape(len(self.x), -1)  # (N, 784)
        self.y = np.asarray(self.y).astype(np.int64)  # (N,)
        if self.x_eval is not None:
            self.x_eval = np.asarray(self.x_eval).reshape(len(self.x_eval), -1)
            self.y_eval = np.asarray(self.y_eval).astype(np.int64)


def as_float(x: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float32 0..1; float arrays pass as float32."""
    return x.astype(np.float32) * (1 / 255.0) if x.dtype == np.uint8 else x.astype(np.float32, copy=False)


def confusion_matrix(pred: np.ndarray, y: np.ndarray, n: int = 10) -> np.ndarray:
    """(n, n) counts: row = true class, column = predicted class."""
    return np.bincount(y.astype(np.int64) * n + pred, minlength=n * n).reshape(n, n)


def evaluate(net, data: DigitsData, train_samples: int = 10000) -> dict:
    """Accuracies on a fixed slice of the training set and on the evaluation set (with its
    loss, confusion matrix and the indices of the digits it got wrong)."""
    n = min(train_samples, len(data.x))
    out = {"train_acc": net.accuracy(as_float(data.x[:n]), data.y[:n])}
    if data.x_eval is not None and len(data.y_eval):
        logits = net.logits(as_float(data.x_eval))  # (M, 10)
        pred = logits.argmax(axis=1)
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        out["val_loss"] = float(-logp[np.arange(len(pred)), data.y_eval].mean())
        out["test_acc"] = float((pred == data.y_eval).mean())
        out["confusion"] = confusion_matrix(pred, data.y_eval)
        out["wrong"] = np.flatnonzero(pred != data.y_eval)  # indices into the evaluation set
        out["wrong_pred"] = pred[out["wrong"]]
    return out


def make_optimizer(net, config: DigitsTrainConfig):
    params, grads = net.parameters(), net.gradients()
    if config.optimizer == "adam":
        return Adam(params, grads, lr=config.lr, weight_decay=config.weight_decay)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return SGD(params, grads, lr=config.lr, momentum=momentum, weight_decay=config.weight_decay, in_place=True)


def train(net, data: DigitsData, config: DigitsTrainConfig, start_step: int = 0):
    """Yield a Report after every step, from step start_step + 1 to config.steps.

    report.metrics: "epoch" (passes so far), and at evaluations "train_acc", "test_acc",
    "best_acc". report.payload: {"total_steps", "state" (the live weights), "evals" (every
    evaluation so far: step, epoch, train_acc, test_acc), "last_eval" (the latest evaluation:
    step, epoch, test_acc, best_acc, confusion, wrong, wrong_pred), "best_state" /
    "best_step" (the best weights so far)}. Arrays in the payload are live: snapshot() copies
    them. The last two ride on every report after they appear, so a report dropped on the way
    to the GUI loses nothing."""
    config.validate()
    rng = np.random.default_rng(config.seed)
    step = ParallelStep(net, config.batch_size, config.workers)  # before the optimiser: it moves the weights
    opt = make_optimizer(net, config)
    tuner = ThreadTuner() if config.tune_threads and not step.parallel else None
    try:
        yield from _steps(net, data, config, start_step, rng, opt, tuner, step)
    finally:
        step.close()
        if tuner is not None:
            tuner.restore()


def _steps(net, data, config, start_step, rng, opt, tuner, forward_backward):
    N, B = len(data.x), config.batch_size
    fold = config.optimizer == "sgd" and not config.weight_decay
    # plain SGD in one process: a net with sgd_step (the MLP) updates its weights as it backpropagates
    sgd_step = getattr(net, "sgd_step", None) if fold and not forward_backward.parallel else None
    xb, yb = forward_backward.x, forward_backward.y  # the batch, gathered in place
    evals: list[dict] = []
    last_eval = None  # the latest evaluation on the evaluation set, with its arrays
    best = {"acc": -1.0, "state": net.state_dict(), "step": 0}
    step, perm, i = start_step, rng.permutation(N), 0
    seen = start_step * B  # images seen, for the epoch count
    while step < config.steps:
        if i >= N:  # the next epoch: a fresh order
            perm, i = rng.permutation(N), 0
        idx = perm[i:i + B]
        i += len(idx)
        x = xb[:len(idx)]
        if data.x.dtype == np.float32:
            # mode="clip": with the default "raise", take() copies via a temporary: 10x slower
            np.take(data.x, idx, axis=0, out=x, mode="clip")
        else:
            np.multiply(data.x[idx], np.float32(1 / 255.0), out=x)
        y = yb[:len(idx)]
        np.take(data.y, idx, out=y, mode="clip")
        if tuner is not None:
            tuner.before_step()
        if config.augment:
            x[...] = augment(x.reshape(-1, 28, 28), rng, config.augment_config, y).reshape(len(idx), -1)
        lr = config.lr_at(step)
        if sgd_step is not None:
            loss = sgd_step(x, y, lr)
        elif fold:  # plain SGD: the rate scales the logits' gradient, the update is p -= grad
            loss = forward_backward(len(idx), scale=lr)
            opt.step(1.0)
        else:
            loss = forward_backward(len(idx))
            opt.lr = lr
            opt.step()
        if tuner is not None:
            tuner.after_step()
        step += 1
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss} at step {step}: lower the learning rate")
        seen += len(idx)
        epoch = seen / N
        report = Report(step=step, loss=loss, lr=lr, metrics={"epoch": epoch},
                        payload={"total_steps": config.steps, "state": dict(net.named_parameters()),
                                 "evals": evals})
        if config.eval_every > 0 and (step % config.eval_every == 0 or step == config.steps):
            result = evaluate(net, data, config.eval_train_samples)
            score = result.get("test_acc", result["train_acc"])
            if score > best["acc"]:
                best = {"acc": score, "state": net.state_dict(), "step": step}
            point = {"step": step, "epoch": epoch, "train_acc": result["train_acc"]}
            if "test_acc" in result:
                point["test_acc"] = result["test_acc"]
                report.val_loss = result["val_loss"]
            evals.append(point)
            report.metrics.update(train_acc=result["train_acc"], best_acc=best["acc"])
            if "test_acc" in result:
                report.metrics["test_acc"] = result["test_acc"]
                last_eval = {"step": step, "epoch": epoch, "test_acc": result["test_acc"], "best_acc": best["acc"],
                             **{k: result[k] for k in ("confusion", "wrong", "wrong_pred")}}
        if last_eval is not None:  # every report carries it: the runner may drop the one that made it
            report.payload["last_eval"] = last_eval
        if best["step"]:
            report.payload.update(best_state=best["state"], best_step=best["step"])
        yield report


def snapshot(report: Report, sent: dict | None = None, state_every: float = 0.0) -> Report:
    """The copy of a report that crosses to the GUI thread; the runner calls it in the worker,
    for the reports it sends. Copies the evaluation history, and the live weights at most every
    `state_every` seconds (always at a new evaluation and at the last step): the view reads
    them only at that rate, so copying them for every report is wasted. The latest evaluation
    and the best weights are copied only when they changed since the copies that `sent` (a dict
    the worker keeps for one run) remembers, and are left out otherwise."""
    payload = dict(report.payload)
    now = time.monotonic()
    fresh_eval = "last_eval" in payload and (sent is None or sent.get("eval_step") != payload["last_eval"]["step"])
    if (sent is None or now - sent.get("state_time", -math.inf) >= state_every or fresh_eval
            or report.step >= payload["total_steps"]):
        payload["state"] = copy_arrays(payload["state"])
        if sent is not None:
            sent["state_time"] = now
    else:
        del payload["state"]  # the view has recent enough weights
    payload["evals"] = [dict(p) for p in payload["evals"]]
    for key, step in (("last_eval", "eval_step"), ("best_state", "best_step")):
        if key not in payload:
            continue
        at = payload["last_eval"]["step"] if key == "last_eval" else payload["best_step"]
        if sent is not None and sent.get(step) == at:
            del payload[key]  # the GUI has these already
        else:
            payload[key] = copy_arrays(payload[key])
            if sent is not None:
                sent[step] = at
    return Report(report.step, report.loss, report.lr, report.val_loss, dict(report.metrics), payload)
