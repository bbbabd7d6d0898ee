"""Learning-rate schedules: the one place a training run asks "what rate at this step?".

Every model's TrainConfig (models.core.training) carries the same schedule fields, so a schedule
means the same thing in every tab and on the command line:

    constant   lr at every step
    step       lr, times decay_factor after each milestone decay_at[i] * steps (makemore)
    linear     lr down to lr * lr_end in a straight line over `steps`, then flat (micrograd's demo)
    cosine     lr down to lr * lr_end along half a cosine over `steps` (nanoGPT)

`warmup` > 0 first ramps linearly from lr / warmup up to lr (any schedule).
"""
from __future__ import annotations

import math

SCHEDULES = ("constant", "step", "linear", "cosine")


def learning_rate(config, step: int) -> float:
    """The rate for step `step` (counted from 0) of a run described by `config` (a TrainConfig)."""
    lr, warmup = config.lr, config.warmup
    if step < warmup:
        return lr * (step + 1) / warmup
    kind = config.schedule
    if kind == "constant":
        return lr
    if kind == "step":
        return lr * config.decay_factor ** sum(step >= f * config.steps for f in config.decay_at)
    progress = min(1.0, max(0, step - warmup) / max(1, config.steps - warmup))
    end = lr * config.lr_end
    if kind == "linear":
        return lr + (end - lr) * progress
    if kind == "cosine":
        return end + 0.5 * (lr - end) * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"Unknown schedule {kind!r}: use one of {', '.join(SCHEDULES)}.")
