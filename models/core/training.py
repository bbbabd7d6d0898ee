"""The one training protocol every model follows.

    for report in train(model, data, config, start_step=0):   # a generator, one Report a step
        ...

- `config` is a dataclass that subclasses TrainConfig: the shared fields below mean the same in
  every model; a model adds only its own (one comment each).
- After every optimisation step the generator yields a Report. Stopping is closing the
  generator (or simply not asking for the next report); pausing is not asking yet. Nothing in a
  generator prints, sleeps or knows about Qt.
- `report.payload` holds what a view needs and may reference live model arrays; whoever hands
  a report to another thread first makes a copy with the model's `snapshot(report)` (or
  `copy_report` when a plain deep copy of arrays will do). The GUI never reads live arrays.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.core.schedules import SCHEDULES, learning_rate

MAX_STEPS = 10_000_000  # a bound for every run: more is a typo, not a plan
MAX_BATCH = 65_536


@dataclass
class TrainConfig:
    """The fields every training config shares. Subclass it; keep these meanings."""
    steps: int = 1000  # optimisation steps in the schedule (the run's length)
    batch_size: int = 32  # examples per step
    lr: float = 0.1  # the peak learning rate
    schedule: str = "constant"  # "constant", "step", "linear" or "cosine" (models.core.schedules)
    lr_end: float = 0.0  # linear/cosine: the rate ends at lr * lr_end
    decay_at: tuple = (0.5,)  # step: fractions of `steps` where the rate is multiplied ...
    decay_factor: float = 0.1  # ... by this
    warmup: int = 0  # steps of linear warm-up to lr before the schedule
    weight_decay: float = 0.0  # L2 / decoupled decay strength (the optimiser says which)
    eval_every: int = 0  # measure the held-out loss every this many steps; 0 = never
    seed: int = 0  # minibatch order, dropout, augmentation: the same seed, the same run

    def lr_at(self, step: int) -> float:
        """The learning rate of step `step` (from 0)."""
        return learning_rate(self, step)

    def validate(self) -> None:
        """Raise ValueError with a sentence a user can act on; subclasses extend it."""
        if not (1 <= int(self.steps) <= MAX_STEPS):
            raise ValueError(f"Steps must be between 1 and {MAX_STEPS:,}.")
        if not (1 <= int(self.batch_size) <= MAX_BATCH):
            raise ValueError(f"The batch size must be between 1 and {MAX_BATCH:,}.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("The learning rate must be a positive number.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Unknown schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}.")
        if isinstance(self.decay_at, (int, float)):
            self.decay_at = (float(self.decay_at),)
        if not (0 < self.decay_factor <= 1) or not all(0 <= f <= 1 for f in self.decay_at):
            raise ValueError("The decay factor must be in (0, 1] and the decay points in [0, 1].")
        if not (0 <= self.lr_end <= 1):
            raise ValueError("lr_end is a fraction of the learning rate, in [0, 1].")
        if self.warmup < 0 or self.eval_every < 0:
            raise ValueError("Warm-up and eval_every must be 0 or more.")
        if not (0 <= self.weight_decay < 1):
            raise ValueError("The weight decay must be in [0, 1).")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """A config from saved values; unknown keys (from another version) are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


@dataclass
class Report:
    """What a training generator yields after each step."""
    step: int  # steps this model has taken in all, this one included (1 after the first)
    loss: float  # this step's training loss (on its minibatch)
    lr: float  # the learning rate this step used
    val_loss: float | None = None  # the held-out loss, on the steps that measured it
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. loss_ema, accuracy
    payload: Any = None  # what the model's views read; the model's snapshot() documents it


def copy_arrays(value):
    """Deep-copy NumPy arrays inside dicts, lists, tuples and dataclasses; the rest passes through."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(copy_arrays(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: copy_arrays(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


def copy_report(report: Report) -> Report:
    """The default snapshot: the same report with every array inside it copied."""
    return copy_arrays(report)
