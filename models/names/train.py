"""Training the names model: a generator that takes one minibatch step per report.

    for report in train(model, data, TrainConfig(steps=1000)):
        print(report["step"], report["loss"])

The classic recipe of the lectures: minibatches of 32, SGD at 0.1, then 0.01 for the second half
(step decay); Adam is there to compare. Nothing here prints, sleeps or knows about Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.names.model import NamesData, NamesModel
from models.core.blas import blas_threads
from models.core.optim import SGD, Adam


@dataclass
class TrainConfig:
    steps: int = 200_000  # minibatch steps
    batch_size: int = 32  # examples per step
    lr: float = 0.1  # learning rate at the start
    lr_decay: float = 0.1  # the rate is multiplied by this ...
    decay_at: tuple = (0.5,)  # ... at each of these fractions of the steps (step decay)
    optimizer: str = "sgd"  # "sgd" or "adam"
    weight_decay: float = 0.0  # L2 penalty (weight_decay / 2) * |w|^2 on every parameter
    seed: int = 42  # minibatch order
    eval_every: int = 0  # estimate the val loss every this many steps (0: never)
    eval_examples: int = 0  # val examples for that estimate (0: the whole val split)

    def validate(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch size must be at least 1.")
        if self.batch_size > 65536:
            raise ValueError("A batch of more than 65,536 examples is too large here.")
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise ValueError("The learning rate must be a positive number.")
        if isinstance(self.decay_at, (int, float)):
            self.decay_at = (float(self.decay_at),)
        if not (0 < self.lr_decay <= 1) or not all(0 <= f <= 1 for f in self.decay_at):
            raise ValueError("The decay factor must be in (0, 1] and the decay points in [0, 1].")
        if not (0 <= self.weight_decay < 1):
            raise ValueError("The weight decay must be in [0, 1).")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: use 'sgd' or 'adam'.")


# Training recipes per model preset (models.names.model.PRESETS): the lectures' 200k steps at a rate
# of 0.1, then 0.01 for the second half. Batch norm gets batches of 256: at 32 its batch
# statistics are noisy enough to cost ~0.02 of val loss (2.112 vs 2.093 on the lecture list).
# The WaveNet overfits (train 1.79, val 1.99): a third stage at 0.001 from 80% and a little
# weight decay bring val from 1.994 to 1.981.
PRESETS = {
    "mlp": TrainConfig(steps=200_000),
    "batchnorm": TrainConfig(steps=200_000, batch_size=256),
    "wavenet": TrainConfig(steps=200_000, decay_at=(0.5, 0.8), weight_decay=1e-4),
}


def learning_rate(config: TrainConfig, step: int) -> float:
    """Step decay: lr, times lr_decay after each milestone decay_at[i] * steps. `step` counts from 0."""
    milestones = (config.decay_at,) if isinstance(config.decay_at, (int, float)) else config.decay_at
    passed = sum(step >= f * config.steps for f in milestones)
    return config.lr * config.lr_decay ** passed


def make_optimizer(model: NamesModel, config: TrainConfig):
    # One flat parameter array and one flat gradient array: a single vectorised update.
    if config.optimizer == "adam":
        return Adam([model.params], [model.grads], lr=config.lr, weight_decay=config.weight_decay)
    return SGD([model.params], [model.grads], lr=config.lr, weight_decay=config.weight_decay)


@dataclass
class TrainState:
    """What the diagnostics need right after a step (read in the worker, between steps)."""
    model: NamesModel
    optimizer: object
    xb: np.ndarray  # (B, T) the last minibatch
    yb: np.ndarray  # (B,)


def train(model: NamesModel, data: NamesData, config: TrainConfig, start_step: int = 0):
    """Yield a report after every step: {"step", "loss" (this minibatch), "loss_ema" (smoothed
    over ~100 steps), "lr", "state"}, plus "val_loss" every eval_every steps and at the last step.
    Once measured, "last_val" = (step, val loss) rides along in every later report, so a viewer
    that sees only some reports still gets every val point. `start_step` resumes a schedule.
    BLAS runs single-threaded meanwhile (models.core.blas): these matrices are too small to share."""
    config.validate()
    if data.block_size != model.block_size:
        raise ValueError(f"The data has context {data.block_size}, the model {model.block_size}.")
    if len(data.Ytr) == 0:
        raise ValueError("The word list is too short to train on.")
    rng = np.random.default_rng(config.seed)
    opt = make_optimizer(model, config)
    Xtr, Ytr, n = data.Xtr, data.Ytr, len(data.Ytr)
    xval, yval = data.Xval, data.Yval
    if config.eval_examples and len(yval) > config.eval_examples:
        pick = np.random.default_rng(0).choice(len(yval), config.eval_examples, replace=False)
        xval, yval = xval[pick], yval[pick]
    model.train()
    with blas_threads(1):
        yield from _steps(model, opt, Xtr, Ytr, n, xval, yval, config, start_step, rng)


def _steps(model, opt, Xtr, Ytr, n, xval, yval, config, start_step, rng):
    state = TrainState(model, opt, Xtr[:0], Ytr[:0])
    ema, ema_weight, last_val = 0.0, 0.0, None
    # Draw and gather the minibatches of ~32k examples at once: one fancy index per chunk, not per step.
    chunk = max(16, 32768 // config.batch_size)
    for step in range(start_step, config.steps):
        k = (step - start_step) % chunk
        if k == 0:
            batches = rng.integers(0, n, (chunk, config.batch_size))  # (chunk, B)
            xchunk, ychunk = Xtr[batches], Ytr[batches]  # (chunk, B, T), (chunk, B)
        xb, yb = xchunk[k], ychunk[k]  # (B, T), (B,)
        opt.lr = learning_rate(config, step)
        loss = model.loss_and_backward(xb, yb)
        opt.step()
        state.xb, state.yb = xb, yb
        ema, ema_weight = 0.99 * ema + 0.01 * loss, 0.99 * ema_weight + 0.01
        report = {"step": step + 1, "loss": loss, "loss_ema": ema / ema_weight, "lr": opt.lr, "state": state}
        if len(yval) and ((config.eval_every and (step + 1) % config.eval_every == 0) or step + 1 == config.steps):
            report["val_loss"] = model.eval_loss(xval, yval)
            last_val = (step + 1, report["val_loss"])
        if last_val is not None:
            report["last_val"] = last_val
        yield report


def calibrate_batchnorm(model: NamesModel, X: np.ndarray, chunk: int = 8192) -> None:
    """Set every BatchNorm's running mean and variance to their exact values over X (the
    lecture's "calibrate the batch norm at the end of training"), one layer at a time, since
    each layer's inputs depend on the statistics of the layers before it."""
    from models.core.layers import BatchNorm1d

    layers = model.infer.layers  # eval mode: earlier layers use their (already calibrated) statistics
    for k, layer in enumerate(layers):
        if not isinstance(layer, BatchNorm1d):
            continue
        total = np.zeros(layer.gamma.shape, np.float64)  # (C,)
        total_sq = np.zeros(layer.gamma.shape, np.float64)
        count = 0
        for i in range(0, len(X), chunk):
            h = X[i:i + chunk]
            for earlier in layers[:k]:
                h = earlier.forward(h)
            h = h.reshape(-1, h.shape[-1]).astype(np.float64)  # (n, C)
            total += h.sum(axis=0)
            total_sq += (h * h).sum(axis=0)
            count += h.shape[0]
        mean = total / count
        var = np.maximum(total_sq / count - mean * mean, 0.0) * count / max(count - 1, 1)
        layer.running_mean[...] = mean  # in place: the training graph shares these arrays
        layer.running_var[...] = var
