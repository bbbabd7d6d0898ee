"""The learning-rate range test of makemore part 2: from fresh weights, take ~1,000 steps while
the rate grows exponentially (10^-3 up to 10^0), and watch the loss: it barely moves at tiny
rates, falls in between, is lowest around 0.1, and rises once the rate is too large (Smith 2017,
"Cyclical Learning Rates"; fastai's lr_find). It is a training run like any other (the same
train() generator) whose schedule is the sweep.

    for report in find_lr(model, data, LRFinderConfig()):
        ...
    sweep = report.payload   # on the last report: steepest_lr, lowest_lr, suggestion
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.core.training import Report
from models.names.data import NamesData
from models.names.model import NamesModel
from models.names.train import NamesTrainConfig, train

SMOOTHING = 0.98  # the live curve: an exponential moving average over ~50 steps
DIVERGED = 4.0  # the sweep stops once the smoothed loss is this many times its minimum


@dataclass
class LRFinderConfig(NamesTrainConfig):
    """A sweep: step i uses lr_min * (lr / lr_min) ** (i / (steps - 1)), so `lr` is the last rate.
    The defaults are the lecture's: 1,000 steps with the exponent going from -3 to 0."""
    steps: int = 1000  # steps of the sweep
    lr: float = 1.0  # the largest rate tried (the end of the sweep)
    lr_min: float = 1e-3  # the smallest rate tried (the start)
    schedule: str = "constant"  # unused: lr_at() below is the sweep

    def lr_at(self, step: int) -> float:
        return self.lr_min * (self.lr / self.lr_min) ** (min(step, self.steps - 1) / max(1, self.steps - 1))

    def validate(self) -> None:
        super().validate()
        if not (0 < self.lr_min < self.lr):
            raise ValueError("The sweep must start below where it ends (0 < lr_min < lr).")
        if self.steps < 20:
            raise ValueError("A learning-rate sweep needs at least 20 steps.")


@dataclass
class Sweep:
    """The payload of find_lr's reports: the curve so far and, on the last report, the verdict."""
    lrs: list = field(default_factory=list)  # the rate of each step so far
    losses: list = field(default_factory=list)  # its minibatch loss
    smoothed: list = field(default_factory=list)  # the moving average of the loss (lags ~50 steps)
    steepest_lr: float | None = None  # where the loss falls fastest per decade of rate
    lowest_lr: float | None = None  # where the (centred-average) loss is lowest: the lecture's pick
    suggestion: float | None = None  # the rate offered: lowest_lr (see suggest())
    done: bool = False  # True on the last report (finished or diverged)


def centred_average(values, width: int) -> np.ndarray:
    """The mean over a window of `width` (odd) centred on each point; the ends repeat the edge
    value. Unlike the moving average, it does not lag, so minima stay where they are."""
    values = np.asarray(values, float)
    half = width // 2
    padded = np.pad(values, (half, half), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")  # (n,)


def suggest(lrs, losses) -> tuple[float | None, float | None]:
    """(steepest-descent rate, lowest-loss rate) of a sweep, from the loss averaged over a
    centred window of 5% of the sweep.

    The lowest loss is where learning is fastest before the rate starts to hurt: the lecture
    reads 0.1 off this curve, and it is what we offer. The steepest descent (the slope over a
    window, before the lowest point) is the classic lr-finder mark; from fresh weights it sits
    further left (about 0.01-0.04 for the names MLP), because the first, easy gains (the letter
    frequencies) come at whatever rate the sweep has reached when they happen."""
    lrs = np.asarray(lrs, float)
    n = len(lrs)
    if n < 20:
        return None, None
    w = max(5, n // 20) | 1
    smooth = centred_average(losses, w)  # (n,)
    best = int(np.argmin(smooth))
    logs = np.log10(lrs)
    slopes = (smooth[w:] - smooth[:-w]) / (logs[w:] - logs[:-w])  # (n - w,) over [i, i + w]
    centre = np.arange(n - w) + w // 2
    usable = np.nonzero(centre < best)[0]
    steepest = float(lrs[centre[usable[np.argmin(slopes[usable])]]]) if usable.size else None
    return steepest, float(lrs[best])


def find_lr(model: NamesModel, data: NamesData, config: LRFinderConfig):
    """Sweep the rate over config.steps steps of train(), yielding a Report per step whose
    payload is the Sweep so far (a live object: copy it before another thread reads it).
    Stops early once the loss has clearly diverged; the last report has the verdict."""
    sweep = Sweep()
    acc, best = 0.0, math.inf
    report = None
    try:
        for report in train(model, data, config):
            i = len(sweep.losses)
            acc = SMOOTHING * acc + (1 - SMOOTHING) * report.loss
            value = acc / (1 - SMOOTHING ** (i + 1))  # bias-corrected: the start is not dragged to 0
            sweep.lrs.append(report.lr)
            sweep.losses.append(report.loss)
            sweep.smoothed.append(value)
            best = min(best, value)
            if not math.isfinite(report.loss) or (i > 20 and value > DIVERGED * best) or report.step == config.steps:
                break
            yield Report(report.step, report.loss, report.lr, metrics={"smoothed": value}, payload=sweep)
    except FloatingPointError:  # train() stops at a non-finite loss: the sweep has clearly diverged
        pass
    if report is None:
        return
    finite = [x if math.isfinite(x) else 1e9 for x in sweep.losses]
    sweep.steepest_lr, sweep.lowest_lr = suggest(sweep.lrs, finite)
    sweep.suggestion, sweep.done = sweep.lowest_lr, True
    yield Report(report.step, report.loss, report.lr, metrics={"smoothed": sweep.smoothed[-1]}, payload=sweep)
