"""Training the character transformer: AdamW over the model's flat buffers, the training generator
of models.core.training, and snapshot() for the reports that cross to the GUI thread.

    data = TrainData(row_sampler(*names.train), evaluate=lambda m: evaluate_loss(m, *names.val))
    for report in train(model, data, AttentionTrainConfig(steps=1000)):
        print(report.step, report.loss, report.val_loss)
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable

import numpy as np

from models.attention.model import GPT, GPTConfig
from models.attention.parallel import ParallelStep
from models.core.optim import AdamW
from models.core.training import Report, TrainConfig


@dataclass
class AttentionTrainConfig(TrainConfig):
    """nanoGPT's recipe: AdamW, linear warm-up, cosine decay to a tenth of the peak rate."""
    steps: int = 5000  # optimisation steps
    batch_size: int = 32  # sequences per step
    lr: float = 1e-3  # peak learning rate
    schedule: str = "cosine"  # after the warm-up, half a cosine from lr down to lr * lr_end
    lr_end: float = 0.1  # the rate ends at a tenth of the peak
    warmup: int = 100  # steps of linear warm-up to lr
    weight_decay: float = 0.01  # AdamW decay, on weight matrices and embeddings only
    eval_every: int = 500  # steps between validation losses (and at the last step); 0 = never
    beta2: float = 0.99  # AdamW second-moment decay (beta1 is 0.9)
    workers: int = 2  # processes each step's batch is split over (models.attention.parallel)
    ema: float = 0.0  # decay of a running average of the weights, evaluated instead (0 = off)
    keep_at: tuple = ()  # steps after which a copy of the weights is kept (report.payload["kept"])

    def validate(self) -> None:
        super().validate()
        if not (1 <= self.workers <= 64):
            raise ValueError("Workers must be between 1 and 64.")
        if not (0 <= self.ema < 1) or not (0 < self.beta2 < 1):
            raise ValueError("The weight average's decay must be in [0, 1) and beta2 in (0, 1).")


@dataclass
class TrainData:
    """What train() learns from."""
    sample: Callable  # sample(rng, batch_size) -> x, y (B, T) token ids; y = -1: no target there
    evaluate: Callable | None = None  # evaluate(model) -> the held-out loss, or None: no val_loss


def make_optimizer(model: GPT, config: AttentionTrainConfig, step: ParallelStep | None = None):
    """AdamW, in place over the model's two flat buffers (decay on the matrices only); given the
    training `step`, one part per process of the step, each over its chunk (the same updates,
    sooner). Make it before the step's first call."""
    def make(params, grads, mask):
        return AdamW(params, grads, lr=config.lr, betas=(0.9, config.beta2),
                     weight_decay=config.weight_decay, decay_mask=mask, in_place=True)
    if step is not None:
        return step.optimizer(make)
    return make(*model.param_groups())


def evaluate_loss(model: GPT, X, Y, batch_size: int = 64) -> float:
    """Mean loss over every target of X, Y that is not -1 (batches weighted by their targets)."""
    total, count = 0.0, 0
    training, model.training = model.training, False  # no dropout when measuring
    try:
        for i in range(0, len(X), batch_size):
            y = Y[i:i + batch_size]
            n = int((y >= 0).sum())
            if n:
                _, loss = model.forward(X[i:i + batch_size], y)
                total += loss * n
                count += n
    finally:
        model.training = training
    return total / max(count, 1)


def train(model: GPT, data: TrainData, config: AttentionTrainConfig, start_step: int = 0):
    """Yield a Report after each step from step start_step + 1 to config.steps: loss, lr, and
    every eval_every steps and at the last one val_loss = data.evaluate(model). metrics:
    "loss_ema" (the training loss smoothed over ~100 steps) and, once measured, "val_step" /
    "val_loss" of the latest validation (so a viewer that sees only some reports misses none).
    payload = {"weights": the live parameters by name, "kept": [(step, copy of the weights)] at
    config.keep_at}; snapshot() copies it.

    `start_step` continues a model that has taken that many steps: the rates are lr_at(step)
    of the steps that follow (a run that continues a model passes its own step count).
    With config.ema, reports with val_loss are yielded while the model holds the averaged
    weights (what was evaluated), and the model keeps them when the run ends or is stopped.
    A step whose loss or gradients are not finite raises FloatingPointError before it changes
    the weights: the model keeps the last finite state."""
    config.validate()
    rng = np.random.default_rng(config.seed + start_step)
    forward_backward = ParallelStep(model, config.workers)
    opt = make_optimizer(model, config, forward_backward)
    average = WeightAverage(model, config.ema) if config.ema else None
    weights, kept, keep_at = model.live_params(), [], set(config.keep_at)
    model.training = True
    targets_seen, taken, ema, ema_weight, last_val = 0, 0, 0.0, 0.0, {}
    try:
        for step in range(start_step, config.steps):
            opt.lr = config.lr_at(step)
            x, y = data.sample(rng, config.batch_size)
            loss = forward_backward(x, y)
            check_finite(model, loss, step + 1, opt.lr)
            # Every target counts the same, whatever batch it came in: the loss is a mean over
            # the batch's targets, so a batch of short words (fewer targets) is scaled down to
            # its share, as if its mean had been taken over an average batch's count.
            count = int((y >= 0).sum())
            targets_seen += count
            scale = count * (step - start_step + 1) / max(targets_seen, 1)
            if scale != 1.0:
                for grad in model.flat_grads.values():
                    grad *= scale
            opt.step()
            taken += 1
            if average is not None:
                average.update(step)  # its memory grows with the model's age, not this run's
            if step + 1 in keep_at:
                kept = kept + [(step + 1, model.state_dict())]  # a new list: a snapshot's stays as it was
            ema, ema_weight = 0.99 * ema + 0.01 * loss, 0.99 * ema_weight + 0.01
            report = Report(step + 1, loss, opt.lr, metrics={"loss_ema": ema / ema_weight, **last_val},
                            payload={"weights": weights, "kept": kept})
            last = step + 1 == config.steps
            if data.evaluate is not None and config.eval_every and ((step + 1) % config.eval_every == 0 or last):
                with average.swapped_in() if average is not None else nullcontext():
                    report.val_loss = data.evaluate(model)
                    last_val = {"val_step": float(step + 1), "val_loss": report.val_loss}
                    report.metrics.update(last_val)
                    yield report
                continue
            yield report
    finally:
        model.training = False
        forward_backward.close()
        if average is not None and taken:
            average.keep()


def check_finite(model: GPT, loss: float, step: int, lr: float) -> None:
    """Raise FloatingPointError when a step's loss or gradients are not finite numbers (the
    run diverged), before the optimiser applies them."""
    if math.isfinite(loss) and all(np.isfinite(g).all() for g in model.flat_grads.values()):
        return
    what = "loss" if not math.isfinite(loss) else "gradient"
    raise FloatingPointError(f"Training diverged at step {step:,}: the {what} is not a finite number "
                             f"(learning rate {lr:.2g}; try a smaller one). The weights are those of "
                             "the step before.")


def training_bytes(config: GPTConfig, batch_size: int, ema: bool = False, kept: int = 0,
                   workers: int = 1) -> int:
    """About the memory a training run of this shape takes: weights, gradients, AdamW's two
    moments and scratch (and the weight average), `kept` copies of the weights, each worker's
    own gradients, and every layer's activations and their gradients for a batch (the buffers
    each layer keeps; models.attention.layers)."""
    C, T, V, H = config.n_embd, config.block_size, config.vocab_size, config.n_head
    P = config.num_params()
    rows = batch_size * T
    per_layer = rows * (90 * C + 4 * H * T)  # LayerNorms, q/k/v, scores, MLP, GELU, dropout, residuals
    floats = (P * (5 + 2 * bool(ema) + kept + max(0, workers - 1)) + config.n_layer * per_layer
              + rows * (5 * V + 8 * C))
    return 4 * floats


def memory_limit() -> int:
    """Bytes a training run may plan to use: half of this machine's memory, at most 8 GB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 4 << 30
    return int(min(total // 2, 8 << 30))


def check_memory(config: GPTConfig, batch_size: int, ema: bool = False, kept: int = 0,
                 workers: int = 1) -> None:
    """Raise MemoryError with a sentence naming the limit, before anything is allocated."""
    need, limit = training_bytes(config, batch_size, ema, kept, workers), memory_limit()
    if need > limit:
        raise MemoryError(f"training this model with batches of {batch_size:,} needs about "
                          f"{need / 2**30:.1f} GB; the limit on this machine is {limit / 2**30:.1f} GB "
                          "(use fewer layers, a smaller width or smaller batches)")


def snapshot(report: Report) -> Report:
    """The report as it may cross to another thread: the weights copied (the kept copies are
    never changed, and their list is replaced, not grown, so it is shared as it is)."""
    payload = report.payload or {}
    weights = {name: a.copy() for name, a in payload.get("weights", {}).items()}
    return Report(report.step, report.loss, report.lr, report.val_loss, dict(report.metrics),
                  {"weights": weights, "kept": payload.get("kept", [])})


class WeightAverage:
    """An exponential moving average of the model's weights (Polyak averaging): it wanders
    less than the weights themselves, and usually generalises a little better."""

    def __init__(self, model: GPT, decay: float):
        self.model, self.decay = model, decay
        self.average = {k: p.copy() for k, p in model.flat_params.items()}
        self.scratch = {k: np.empty_like(p) for k, p in model.flat_params.items()}

    def update(self, t: int) -> None:
        d = min(self.decay, (1 + t) / (10 + t))  # short memory at first, while weights move fast
        for k, p in self.model.flat_params.items():
            self.average[k] *= d
            np.multiply(p, 1 - d, out=self.scratch[k])
            self.average[k] += self.scratch[k]

    def keep(self) -> None:
        """The model takes the averaged weights for good (the end of a run)."""
        for k, p in self.model.flat_params.items():
            p[...] = self.average[k]

    @contextmanager
    def swapped_in(self):
        """Within the block, the model holds the averaged weights."""
        for k, p in self.model.flat_params.items():
            self.scratch[k][...] = p
            p[...] = self.average[k]
        try:
            yield
        finally:
            for k, p in self.model.flat_params.items():
                p[...] = self.scratch[k]
