"""Training the tiny MLP of Values on points of the plane, as in micrograd's demo notebook.

    data = split(*make_dataset("moons"), test_ratio=0.5)
    for report in train(model, data, AutogradTrainConfig()):   # one SGD step per report
        print(report.step, report.loss, report.metrics["accuracy"], report.val_loss)

Every step builds the graph of the loss over the step's points with the Value engine, calls
backward() and moves each weight against its grad. The held-out points are scored with the
NumPy twin of the same weights (models.autograd.model.layer_outputs): they are never trained on.
`snapshot` turns a report into what the tab draws (copies: the GUI never reads live Values).
"""
from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field

import numpy as np

from models.autograd.engine import abs_total, dot
from models.autograd.model import LOSSES, PlaneMLP, accuracy, loss_numpy, scores_numpy
from models.autograd.plane import boundary_segments, neuron_grids, thumbnails
from models.autograd.toy_data import MAX_POINTS, PlaneData
from models.core.live import LiveChannel
from models.core.training import Report, TrainConfig


@dataclass
class AutogradTrainConfig(TrainConfig):
    steps: int = 100  # the schedule's length (micrograd's demo: 100); the run goes on until stopped
    batch_size: int = MAX_POINTS  # points per step; at least the data's size = all (the demo)
    lr: float = 1.0  # SGD step size at step 0
    schedule: str = "linear"  # micrograd's demo: lr * (1 - 0.9 * step / steps), then flat ...
    lr_end: float = 0.1  # ... at a tenth; schedule "constant" keeps lr
    weight_decay: float = 1e-4  # L2: weight_decay * Σ p² is added to the loss (the demo's 1e-4)
    seed: int = 1337  # picks the mini-batches
    loss: str = "max_margin"  # "max_margin" (the demo), "mse" or "bce"; regression uses "mse"
    l1: float = 0.0  # L1: l1 * Σ |p| is added to the loss (pushes weights to exactly 0)

    def validate(self) -> None:
        super().validate()
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if not 0 <= self.l1 < 1:
            raise ValueError("The L1 rate must be in [0, 1).")


LIVE_FIELDS = ("lr", "weight_decay", "l1")  # what may change while a run goes on


class Live(LiveChannel):
    """Settings the GUI changes while a run goes on: the learning rate and the regularisation
    rates, edited weights, and the part of the plane the page shows. The GUI thread calls
    set() / edit() / set_bounds(); the run calls take() before each step and bounds() in
    snapshot(). take() gives {"values": {name: value}, "edits": [(name, index, value)],
    "bounds": (x0, x1, y0, y1)}, each only when it changed (models/core/live.py)."""

    def __init__(self, bounds=(-1.5, 1.5, -1.5, 1.5)):
        super().__init__()
        self._bounds = tuple(float(b) for b in bounds)

    def set_bounds(self, bounds) -> None:
        """(x0, x1, y0, y1) the next snapshots cover (the plot was resized or re-ranged)."""
        self.put({"bounds": bounds})

    def bounds(self) -> tuple:
        with self._lock:
            return self._bounds

    def set(self, **values) -> None:
        unknown = set(values) - set(LIVE_FIELDS)
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))} cannot change during a run")
        self.put({"values": values})

    def edit(self, name: str, index: tuple, value: float) -> None:
        """Set weight `name`[index] (state_dict names, e.g. "W1", (2, 0)) before the next step."""
        self.put({"edits": [(name, tuple(index), float(value))]})

    def merge(self, pending: dict, changes: dict) -> None:
        if changes.get("values"):
            pending.setdefault("values", {}).update(changes["values"])
        if changes.get("edits"):
            pending.setdefault("edits", []).extend(changes["edits"])
        if changes.get("bounds") is not None:
            self._bounds = pending["bounds"] = tuple(float(b) for b in changes["bounds"])


def set_weight(model: PlaneMLP, name: str, index: tuple, value: float) -> None:
    """model's W{k}[j, i] or b{k}[j] = value (the Value behind that entry of state_dict)."""
    layer = model.layers[int(name[1:])]
    neuron = layer.neurons[index[0]]
    param = neuron.w[index[1]] if name[0] == "W" else neuron.b
    param.data = float(value)


def penalised(model: PlaneMLP, data_loss, config: AutogradTrainConfig):
    """data_loss + weight_decay * Σ p² + l1 * Σ |p|, each penalty one node of the graph."""
    params = model.parameters()
    loss = data_loss
    if config.weight_decay:
        loss = loss + config.weight_decay * dot(params, params, params[0] * 0.0)  # Σ p², one node
    if config.l1:
        loss = loss + abs_total(params, config.l1)
    return loss


def evaluate(model: PlaneMLP, X, y, loss: str = "max_margin", arrays=None) -> dict:
    """{"loss": the data loss, "accuracy": for classification} of the model on points (X, y),
    with the NumPy twin (`arrays`: a state_dict to use instead of reading the model's Values)."""
    arrays = model.state_dict() if arrays is None else arrays
    with np.errstate(over="ignore", invalid="ignore"):  # a run on its way to diverge: inf, said
        scores = scores_numpy(arrays, model.activations, model.inputs(X))
        out = {"loss": loss_numpy(scores, y, "mse" if model.task == "regress" else loss)}
    if model.task == "classify":
        out["accuracy"] = accuracy(scores, y)
    return out


def train(model: PlaneMLP, data: PlaneData, config: AutogradTrainConfig, start_step: int = 0,
          live: Live | None = None):
    """SGD on data.X, data.y until the caller stops, yielding a Report after every update.

    report.loss is the step's loss (with penalties) and metrics["accuracy"] its batch's accuracy,
    both before the update (micrograd's demo prints the same); every `eval_every` steps,
    after the update, metrics["train_loss"] / ["train_accuracy"] cover all training points and
    val_loss / metrics["test_accuracy"] the held-out ones (data loss, no penalty).
    payload: {"model": the live model}; `snapshot` copies what a view needs.

    Divergence (a loss, a gradient or a weight that is not a finite number, or an overflow in
    the engine) raises FloatingPointError naming the step; the model keeps the weights of the
    last good step, so nothing non-finite can be saved or shown."""
    config.validate()
    if not len(data.y):
        raise ValueError("there are no data points to train on")
    X, y = data.X, data.y
    rng = random.Random(config.seed + start_step)
    params = model.parameters()
    step = start_step
    while True:
        if live is not None:
            changes = live.take()
            if changes.get("values"):
                config = dataclasses.replace(config, **changes["values"])
            for name, index, value in changes.get("edits", ()):
                set_weight(model, name, index, value)
        if config.batch_size < len(y):
            idx = rng.sample(range(len(y)), config.batch_size)
            Xb, yb = X[idx], y[idx]
        else:
            Xb, yb = X, y
        lr = config.lr_at(step)
        try:
            scores, data_loss = model.forward(Xb, yb, config.loss)
            loss = penalised(model, data_loss, config)
            model.backward(loss)
            finite = math.isfinite(loss.data) and math.isfinite(sum(p.grad for p in params))
        except (OverflowError, ZeroDivisionError):  # exp / ** beyond a float's range
            finite = False
        if not finite:
            raise FloatingPointError(_diverged(step + 1, lr))
        old = [p.data for p in params]
        for p in params:
            p.data -= lr * p.grad
        if not math.isfinite(sum(p.data for p in params)):
            for p, value in zip(params, old):  # back to the last good weights
                p.data = value
            raise FloatingPointError(_diverged(step + 1, lr))
        step += 1
        metrics = {"data_loss": data_loss.data}
        if model.task == "classify":
            metrics["accuracy"] = accuracy([s.data for s in scores], yb)
        val_loss = None
        if config.eval_every and step % config.eval_every == 0:
            val_loss = _measure(model, data, config.loss, metrics)
        yield Report(step, loss.data, lr, val_loss, metrics, {"model": model})


def _diverged(step: int, lr: float) -> str:
    return (f"the loss diverged at step {step:,} (it is no longer a finite number): lower the "
            f"learning rate (it was {lr:.3g}); the weights are kept from the step before")


def _measure(model: PlaneMLP, data: PlaneData, loss: str, metrics: dict):
    """All training points and the test points through the NumPy twin; the test loss or None."""
    arrays = model.state_dict()
    for part, X, y in (("train", data.X, data.y), ("test", data.X_test, data.y_test)):
        if len(y):
            metrics.update({f"{part}_{k}": v for k, v in evaluate(model, X, y, loss, arrays).items()})
    return metrics.get("test_loss")


@dataclass
class PlaneView:
    """What the tiny-MLP page draws from one report (copies, made where the run is: its worker
    thread or child process, at the view's rate only; the GUI thread just applies it)."""
    weights: dict  # state_dict copy: "W0" (h1, F), "b0" (h1,), ...
    grads: dict  # the same names: each weight's gradient at this step
    neurons: list  # [(F, R, R) inputs, (h1, R, R), ..., (1, R, R) score] over the plane
    bounds: tuple  # (x0, x1, y0, y1) the grids cover; row r is y
    thumbs: list  # per layer (n, T, T) uint8: the network view's (plane.thumbnails)
    boundary: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2)))  # score-0 line

    @property
    def grid(self) -> np.ndarray:
        return self.neurons[-1][0]  # (R, R) the network's output


def view_of(model: PlaneMLP, bounds, resolution: int = 80) -> PlaneView:
    """The PlaneView of a model as it is now: one vectorised NumPy forward over the whole grid.
    The hidden layers' grids are float32 (they are only drawn; half the bytes to the GUI)."""
    arrays = model.state_dict()
    neurons = neuron_grids(arrays, model.activations, model.features, bounds, resolution)
    boundary = (boundary_segments(neurons[-1][0], bounds) if model.task == "classify"
                else np.zeros((0, 2, 2)))
    thumbs = thumbnails(neurons)
    neurons = [g.astype(np.float32) for g in neurons[:-1]] + neurons[-1:]
    return PlaneView(arrays, model.grad_dict(), neurons, tuple(bounds), thumbs, boundary)


def snapshot(report: Report, bounds, resolution: int = 80) -> Report:
    """The report with its payload replaced by a PlaneView: what crosses to the GUI thread.
    `bounds`: (x0, x1, y0, y1), or a callable giving them (Live.bounds: the page's view)."""
    bounds = bounds() if callable(bounds) else bounds
    view = view_of(report.payload["model"], bounds, resolution)
    return dataclasses.replace(report, metrics=dict(report.metrics), payload=view)
