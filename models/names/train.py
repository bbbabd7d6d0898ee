"""Training the names model: a generator that takes one minibatch step per Report.

    for report in train(model, data, NamesTrainConfig(steps=1000)):
        print(report.step, report.loss, report.metrics["loss_ema"])

The classic recipe of the lectures: minibatches of 32, SGD at 0.1, then 0.01 for the second half
(the "step" schedule of models.core.schedules); Adam is there to compare. Nothing here prints,
sleeps or knows about Qt. `snapshot(report)` turns a report into what the tab's views read.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from models.core.blas import blas_threads
from models.core.layers import BatchNorm1d
from models.core.live import LiveChannel
from models.core.optim import SGD, Adam
from models.core.training import Report, TrainConfig, copy_report
from models.names import diagnostics
from models.names.data import NamesData
from models.names.model import NamesModel

OPTIMIZERS = ("sgd", "adam")


@dataclass
class NamesTrainConfig(TrainConfig):
    """TrainConfig's shared fields (same meanings everywhere) with the lectures' defaults."""
    steps: int = 200_000  # minibatch steps
    lr: float = 0.1  # the rate before the first decay point
    schedule: str = "step"  # the lectures' step decay: lr * decay_factor at each decay_at point
    seed: int = 42  # minibatch order
    optimizer: str = "sgd"  # "sgd" or "adam"
    eval_examples: int = 0  # val examples for each eval_every estimate (0: the whole val split)

    def validate(self) -> None:
        super().validate()
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: use 'sgd' or 'adam'.")
        if self.eval_examples < 0:
            raise ValueError("eval_examples must be 0 (the whole split) or more.")


# Training recipes per model preset (models.names.model.PRESETS): the lectures' 200k steps at a rate
# of 0.1, then 0.01 for the second half. Batch norm gets batches of 256: at 32 its batch
# statistics are noisy enough to cost ~0.02 of val loss (2.112 vs 2.093 on the lecture list).
# The WaveNet overfits (train 1.79, val 1.99): a third stage at 0.001 from 80% and a little
# weight decay bring val from 1.994 to 1.981.
RECIPES = {
    "mlp": NamesTrainConfig(),
    "batchnorm": NamesTrainConfig(batch_size=256),
    "wavenet": NamesTrainConfig(decay_at=(0.5, 0.8), weight_decay=1e-4),
}


def continued(config: NamesTrainConfig, steps_done: int) -> tuple[NamesTrainConfig, int, str]:
    """How a run of `config` goes on from a model already trained `steps_done` steps (its
    checkpoint's meta knows them): (config, start_step, a note for the status bar). Short of the
    schedule's end, the schedule resumes at `steps_done`; past it, `config.steps` more steps at the
    rate the schedule ended with (a fine-tune), never a restart at the first, large rate, which
    undoes the end of training (val 2.10 -> 2.21 for the shipped MLP)."""
    if steps_done <= 0:
        return config, 0, ""
    if steps_done < config.steps:
        return config, steps_done, (f"Resuming the schedule at step {steps_done:,} of {config.steps:,} "
                                    f"(lr {config.lr_at(steps_done):g})")
    lr = config.lr_at(config.steps - 1)
    tuned = dataclasses.replace(config, lr=lr, schedule="constant", decay_at=(), warmup=0)
    return tuned, 0, f"Fine-tuning at lr {lr:g}, the rate the schedule ended with, for {config.steps:,} more steps"


def make_optimizer(model: NamesModel, config: NamesTrainConfig):
    # One flat parameter array and one flat gradient array: a single vectorised update.
    if config.optimizer == "adam":
        return Adam([model.params], [model.grads], lr=config.lr, weight_decay=config.weight_decay)
    # in_place: the same update written into a scratch array made once (no allocation per step)
    return SGD([model.params], [model.grads], lr=config.lr, weight_decay=config.weight_decay, in_place=True)


@dataclass
class TrainState:
    """A report's payload: the live objects of the step just taken (copied by snapshot())."""
    model: NamesModel
    optimizer: object
    xb: np.ndarray  # (B, T) the last minibatch
    yb: np.ndarray  # (B,)


def train(model: NamesModel, data: NamesData, config: NamesTrainConfig, start_step: int = 0):
    """Yield a Report after every step: its minibatch loss and learning rate; metrics
    "loss_ema" (smoothed over ~100 steps) and, once the val loss was measured (every
    eval_every steps and at the last step), "val_step" / "val_loss" of the latest measurement
    (so a viewer that sees only some reports still gets every val point); payload a TrainState.
    `start_step` resumes a schedule. A non-finite loss raises FloatingPointError (with a
    message) before it touches the weights. BLAS runs single-threaded meanwhile (models.core.blas):
    these matrices are too small to share."""
    config.validate()
    if data.block_size != model.block_size:
        raise ValueError(f"The data has context {data.block_size}, the model {model.block_size}.")
    if len(data.Ytr) == 0:
        raise ValueError("The word list is too short to train on.")
    rng = np.random.default_rng(config.seed)
    opt = make_optimizer(model, config)
    xval, yval = data.Xval, data.Yval
    if config.eval_examples and len(yval) > config.eval_examples:
        pick = np.random.default_rng(0).choice(len(yval), config.eval_examples, replace=False)
        xval, yval = xval[pick], yval[pick]
    model.train()
    # overflow on the way to a divergence is quiet: the non-finite loss is reported, once
    with blas_threads(1), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        yield from _steps(model, opt, data.Xtr, data.Ytr, xval, yval, config, start_step, rng)


def _steps(model, opt, Xtr, Ytr, xval, yval, config, start_step, rng):
    state = TrainState(model, opt, Xtr[:0], Ytr[:0])
    ema, ema_weight, last_val = 0.0, 0.0, {}
    backup = np.empty_like(model.params)  # the weights before the step being taken
    ones = np.ones_like(model.params)  # ones @ params: a sum that is not finite if any weight is not (one BLAS call)
    evals = len(yval) and config.eval_every
    # Draw and gather the minibatches of ~32k examples at once: one fancy index per chunk, not per step.
    chunk = max(16, 32768 // config.batch_size)
    for step in range(start_step, config.steps):
        k = (step - start_step) % chunk
        if k == 0:
            batches = rng.integers(0, len(Ytr), (chunk, config.batch_size))  # (chunk, B)
            # take() gathers rows ~3x faster than Xtr[batches]
            xchunk, ychunk = Xtr.take(batches, axis=0), Ytr.take(batches)  # (chunk, B, T), (chunk, B)
        xb, yb = xchunk[k], ychunk[k]  # (B, T), (B,)
        opt.lr = config.lr_at(step)
        loss = model.train_loss(xb, yb)
        if not math.isfinite(loss):  # before the update: the model keeps its last finite weights
            raise FloatingPointError(_diverged(step + 1, opt.lr))
        model.backward()
        np.copyto(backup, model.params)  # one memcpy: a step that overflows the weights is undone
        opt.step()
        if not math.isfinite(np.dot(ones, model.params)):
            np.copyto(model.params, backup)
            raise FloatingPointError(_diverged(step + 1, opt.lr))
        state.xb, state.yb = xb, yb
        ema, ema_weight = 0.99 * ema + 0.01 * loss, 0.99 * ema_weight + 0.01
        val = None
        if evals and ((step + 1) % config.eval_every == 0 or step + 1 == config.steps):
            val = model.eval_loss(xval, yval)
            last_val = {"val_step": float(step + 1), "val_loss": val}
        yield Report(step + 1, loss, opt.lr, val, {"loss_ema": ema / ema_weight, **last_val}, state)


def _diverged(step: int, lr: float) -> str:
    return (f"the loss diverged at step {step:,} (it is no longer a finite number): lower the learning "
            f"rate (it was {lr:.3g}); the weights are kept from the step before")


def snapshot(report: Report, weights: bool = True, detail: bool = True) -> Report:
    """The GUI's copy of a training report, made on the worker thread between two steps: the
    scalars, and as payload a diagnostics.Health (histograms unless not `detail`, ratios, the
    embedding, the batch and, with `weights`, a copy of the weights to sample from)."""
    state = report.payload
    if not isinstance(state, TrainState):
        return copy_report(report)
    health = diagnostics.measure(state.model, state.optimizer, state.xb, state.yb, weights, detail)
    return dataclasses.replace(report, metrics=dict(report.metrics), payload=health)


class Views(LiveChannel):
    """Whether a run's snapshots measure the histograms (`detail`): only while a view that shows
    them is open. The GUI thread calls set_detail(); snapshot() reads it between two steps; a run
    in a child process gets the change through the runner (`live=`, models/core/live.py)."""

    def __init__(self, detail: bool = True):
        super().__init__()
        self._detail = bool(detail)

    @property
    def detail(self) -> bool:
        return self._detail

    def set_detail(self, on: bool) -> None:
        self.put({"detail": bool(on)})

    def merge(self, pending: dict, changes: dict) -> None:
        if "detail" in changes:
            self._detail = pending["detail"] = bool(changes["detail"])

    def snapshot(self, report: Report) -> Report:
        return snapshot(report, detail=self._detail)


def diagnose(model: NamesModel, xb, yb, lr: float = 0.1) -> Report:
    """The snapshot of one training step on (xb, yb) taken by a copy of the model, so the model
    itself (weights and BatchNorm statistics) is untouched: for a model that was loaded or made
    rather than trained in this session. report.loss is the loss before that step (at step 0
    of a fresh model, the first loss); the update ratio assumes SGD at `lr`."""
    twin = model.clone()
    twin.train()
    with blas_threads(1):
        _, loss = twin.forward(xb, yb)
        twin.backward()
    state = TrainState(twin, SGD([twin.params], [twin.grads], lr=lr), xb, yb)
    return snapshot(Report(0, loss, lr, payload=state), weights=False)


def calibrate_batchnorm(model: NamesModel, X: np.ndarray, chunk: int = 8192) -> None:
    """Set every BatchNorm's running mean and variance to their exact values over X (the
    lecture's "calibrate the batch norm at the end of training"), one layer at a time, since
    each layer's inputs depend on the statistics of the layers before it."""
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
