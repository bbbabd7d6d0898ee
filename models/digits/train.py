"""Training the MNIST MLP: a generator that yields a report after every step.

The CLI, the Digits tab's worker and the tests all drive the same generator. The run keeps the
weights that scored best on the evaluation set, so stopping early never loses a good model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.digits.augment import AugmentConfig, augment
from models.core.blas import ThreadTuner
from models.digits.net import MLP
from models.core.optim import Adam


@dataclass
class TrainConfig:
    epochs: int = 10  # passes over the training images
    batch_size: int = 64  # images per step
    lr: float = 0.01  # learning rate (peak, when a schedule is on)
    optimizer: str = "momentum"  # "sgd" (plain), "momentum" (SGD, 0.9) or "adam"
    momentum: float = 0.9  # for "momentum"
    schedule: str = "cosine"  # "constant" or "cosine" (decay to 0 over the run)
    augment: bool = True  # random shifts, rotations, scales, slant and stroke weight
    augment_config: AugmentConfig = field(default_factory=AugmentConfig)  # its ranges
    eval_every: int = 0  # steps between evaluations; 0 = once per epoch, -1 = never
    eval_train_samples: int = 10000  # training images scored for the train-accuracy curve
    tune_threads: bool = True  # time 1 vs the default BLAS threads now and then, keep the faster
    seed: int = 0  # shuffling and augmentation


class InPlaceMomentum:
    """SGD with momentum that allocates nothing per step: v = mu v + g; p -= lr v."""

    def __init__(self, params, grads, momentum: float):
        self.params, self.grads, self.momentum = params, grads, momentum
        self.velocity = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, lr: float):
        for p, g, v, s in zip(self.params, self.grads, self.velocity, self.scratch):
            v *= self.momentum
            v += g
            np.multiply(v, lr, out=s)
            p -= s


def confusion_matrix(pred: np.ndarray, y: np.ndarray, n: int = 10) -> np.ndarray:
    """(n, n) counts: row = true class, column = predicted class."""
    return np.bincount(y.astype(np.int64) * n + pred, minlength=n * n).reshape(n, n)


class Training:
    """One training run. Iterate `run()` for reports; `best_arrays` / `best_accuracy` hold the best
    weights seen at an evaluation; `history` the evaluation points."""

    def __init__(self, net: MLP, x_train: np.ndarray, y_train: np.ndarray, config: TrainConfig | None = None,
                 x_eval: np.ndarray | None = None, y_eval: np.ndarray | None = None):
        self.net, self.config = net, config or TrainConfig()
        self.x_train = np.asarray(x_train).reshape(len(x_train), -1)  # (N, 784) uint8 or float32
        self.y_train = np.asarray(y_train).astype(np.int64)  # (N,)
        self.x_eval = None if x_eval is None else np.asarray(x_eval).reshape(len(x_eval), -1)
        self.y_eval = None if y_eval is None else np.asarray(y_eval).astype(np.int64)
        self.best_arrays = net.arrays()
        self.best_accuracy = -1.0
        self.history: list[dict] = []
        c = self.config
        if c.optimizer not in ("sgd", "momentum", "adam"):
            raise ValueError(f"optimizer must be sgd, momentum or adam, not {c.optimizer!r}")
        if c.batch_size < 1 or c.epochs < 1 or not c.lr > 0:
            raise ValueError("batch size and epochs must be at least 1 and the learning rate positive")
        self.steps_per_epoch = math.ceil(len(self.x_train) / c.batch_size)
        self.total_steps = self.steps_per_epoch * c.epochs

    def _float(self, x: np.ndarray) -> np.ndarray:
        return x.astype(np.float32) * (1 / 255.0) if x.dtype == np.uint8 else x.astype(np.float32, copy=False)

    def evaluate(self) -> dict:
        """Accuracies on a fixed slice of the training set and on the evaluation set."""
        n = min(self.config.eval_train_samples, len(self.x_train))
        out = {"train_acc": self.net.accuracy(self._float(self.x_train[:n]), self.y_train[:n])}
        if self.x_eval is not None:
            pred = self.net.predict(self._float(self.x_eval))
            out["test_acc"] = float((pred == self.y_eval).mean())
            out["confusion"] = confusion_matrix(pred, self.y_eval)
            out["wrong"] = np.flatnonzero(pred != self.y_eval)  # indices into the evaluation set
            out["wrong_pred"] = pred[out["wrong"]]
        return out

    def run(self):
        """Yield {"step", "epoch", "loss", "lr"} after every step, plus "train_acc", "test_acc",
        "confusion", "wrong", "wrong_pred", "best_acc" after each evaluation."""
        c, net = self.config, self.net
        rng = np.random.default_rng(c.seed)
        adam = momentum = None
        if c.optimizer == "adam":
            adam = Adam(net.params, net.grads, lr=c.lr)
        elif c.optimizer == "momentum":
            momentum = InPlaceMomentum(net.params, net.grads, c.momentum)
        xb = np.empty((c.batch_size, 784), np.float32)  # the batch, gathered in place
        every = c.eval_every or self.steps_per_epoch
        tuner = ThreadTuner() if c.tune_threads else None
        try:
            yield from self._steps(net, rng, xb, every, adam, momentum, tuner)
        finally:
            if tuner is not None:
                tuner.restore()

    def _steps(self, net, rng, xb, every, adam, momentum, tuner):
        c = self.config
        N, B = len(self.x_train), c.batch_size
        step = 0
        for epoch in range(c.epochs):
            perm = rng.permutation(N)
            for i in range(0, N, B):
                idx = perm[i:i + B]
                x = xb[:len(idx)]
                if self.x_train.dtype == np.float32:
                    # mode="clip": with the default "raise", take() copies via a temporary: 10x slower
                    np.take(self.x_train, idx, axis=0, out=x, mode="clip")
                else:
                    np.multiply(self.x_train[idx], np.float32(1 / 255.0), out=x)
                y = self.y_train[idx]
                if tuner is not None:
                    tuner.before_step()
                if c.augment:
                    x = augment(x.reshape(-1, 28, 28), rng, c.augment_config, y).reshape(-1, 784)
                lr = c.lr
                if c.schedule == "cosine":
                    lr = c.lr * 0.5 * (1 + math.cos(math.pi * step / self.total_steps))
                if adam is None and momentum is None:
                    loss = net.sgd_step(x, y, lr)
                else:
                    net.forward(x)
                    loss = net.loss_and_grad(y)
                    net.backward()
                    if adam is not None:
                        adam.lr = lr
                        adam.step()
                    else:
                        momentum.step(lr)
                if tuner is not None:
                    tuner.after_step()
                step += 1
                report = {"step": step, "epoch": epoch + (i + len(idx)) / N, "loss": loss, "lr": lr}
                if not math.isfinite(loss):
                    raise FloatingPointError(f"the loss became {loss} at step {step}: lower the learning rate")
                if every > 0 and (step % every == 0 or step == self.total_steps):
                    report.update(self.evaluate())
                    score = report.get("test_acc", report["train_acc"])
                    if score > self.best_accuracy:
                        self.best_accuracy, self.best_arrays = score, net.arrays()
                    report["best_acc"] = self.best_accuracy
                    self.history.append({k: report[k] for k in ("step", "epoch", "loss", "train_acc")}
                                        | ({"test_acc": report["test_acc"]} if "test_acc" in report else {}))
                yield report


def train(net: MLP, x_train, y_train, config: TrainConfig | None = None, x_eval=None, y_eval=None):
    """Shorthand generator: the reports of a fresh Training run."""
    yield from Training(net, x_train, y_train, config, x_eval, y_eval).run()
