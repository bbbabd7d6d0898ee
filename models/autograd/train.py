"""Training the Value-engine MLP on 2-D toy data, as in micrograd's demo notebook.

    for report in train(model, X, y, TrainConfig()):   # one SGD step per report
        print(report["step"], report["loss"], report["accuracy"])

Labels are -1 / +1 and the network's single output is a score whose sign is the class. The
decision boundary for the view is computed with NumPy from a copy of the weights
(`decision_grid`), never with Values: 6,400 grid points through the scalar engine would stall.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from models.core import checkpoint
from models.autograd.engine import ACTIVATIONS, MLP, dot, total

LOSSES = ("max_margin", "mse", "bce")
LOSS_NAMES = {"max_margin": "max-margin (hinge)", "mse": "mean squared error",
              "bce": "binary cross-entropy"}
KIND = "autograd-mlp"


@dataclass
class TrainConfig:
    loss: str = "max_margin"  # "max_margin" (micrograd's demo), "mse" or "bce"
    lr: float = 1.0  # SGD learning rate at step 0
    lr_decay: bool = True  # micrograd's schedule: lr * (1 - 0.9 * step / steps), then flat
    steps: int = 100  # length of the learning-rate schedule (training may go on after it)
    l2: float = 1e-4  # weight of the L2 penalty sum(p^2) added to the loss
    batch_size: int | None = None  # None: every point each step (micrograd's demo)
    seed: int = 1337  # picks the mini-batches


def make_mlp(hidden=(16, 16), activations=("relu", "relu"), seed=1337, nin=2) -> MLP:
    """MLP(2, [*hidden, 1]) with the given hidden activations and a linear score output."""
    if len(hidden) != len(activations):
        raise ValueError("give one activation per hidden layer")
    for size in hidden:
        if not 1 <= size <= 64:
            raise ValueError(f"a layer has {size} neurons; use 1 to 64 (the engine is scalar)")
    return MLP(nin, [*hidden, 1], [*activations, "linear"], rng=random.Random(seed))


def loss_of(model: MLP, X, y, loss: str, l2: float):
    """(loss Value, scores as floats) over the rows of X (lists of floats) with labels y (±1)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    scores = [model(x) for x in X]
    if loss == "max_margin":
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    elif loss == "mse":
        losses = [(si - yi) ** 2 for yi, si in zip(y, scores)]
    else:  # -log sigmoid(y * s), the cross-entropy of the label under p = sigmoid(s)
        losses = [(-yi * si).softplus() for yi, si in zip(y, scores)]
    data_loss = total(losses, 1.0 / len(losses))
    if l2:
        params = model.parameters()
        data_loss = data_loss + l2 * dot(params, params, params[0] * 0.0)  # sum p^2, one node
    return data_loss, [s.data for s in scores]


def accuracy(scores, y) -> float:
    """Fraction of points whose score has the sign of their label."""
    s, t = np.asarray(scores), np.asarray(y)
    return float(np.mean((s > 0) == (t > 0))) if len(t) else 0.0


def train(model: MLP, X, y, config: TrainConfig, start_step: int = 0):
    """SGD on (X (n, 2), y (n,)) forever (the caller stops it), yielding after every update:
    {"step", "loss", "accuracy", "lr", "model"}; loss and accuracy are those of the step's batch
    before its update (micrograd's demo prints the same)."""
    X = np.asarray(X, dtype=np.float64).tolist()
    y = np.asarray(y, dtype=np.float64).tolist()
    if not X:
        raise ValueError("there are no data points to train on")
    rng = random.Random(config.seed + start_step)
    params = model.parameters()
    step = start_step
    while True:
        if config.batch_size and config.batch_size < len(X):
            idx = rng.sample(range(len(X)), config.batch_size)
            Xb, yb = [X[i] for i in idx], [y[i] for i in idx]
        else:
            Xb, yb = X, y
        loss, scores = loss_of(model, Xb, yb, config.loss, config.l2)
        model.zero_grad()
        loss.backward()
        lr = learning_rate(config, step)
        for p in params:
            p.data -= lr * p.grad
        step += 1
        yield {"step": step, "loss": loss.data, "accuracy": accuracy(scores, yb), "lr": lr,
               "model": model}


def learning_rate(config: TrainConfig, step: int) -> float:
    if not config.lr_decay:
        return config.lr
    return config.lr * (1.0 - 0.9 * min(step, config.steps) / config.steps)


# -- NumPy views of the Value MLP: weights, fast scores, the decision boundary ----------------------
def weight_arrays(model: MLP) -> dict[str, np.ndarray]:
    """{"W0": (nout, nin), "b0": (nout,), ...} copied out of the Values."""
    arrays = {}
    for k, layer in enumerate(model.layers):
        arrays[f"W{k}"] = np.array([[w.data for w in n.w] for n in layer.neurons])  # (nout, nin)
        arrays[f"b{k}"] = np.array([n.b.data for n in layer.neurons])  # (nout,)
    return arrays


def set_weights(model: MLP, arrays: dict[str, np.ndarray]) -> None:
    for k, layer in enumerate(model.layers):
        W, b = arrays[f"W{k}"], arrays[f"b{k}"]
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data = float(W[j, i])
            neuron.b.data = float(b[j])


_NUMPY_ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
              "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "linear": lambda z: z}


def scores_numpy(arrays, activations, X) -> np.ndarray:
    """The MLP's scores for the rows of X (N, 2) with NumPy; equal to the Value forward pass."""
    h = np.asarray(X, dtype=np.float64)  # (N, nin)
    for k, act in enumerate(activations):
        h = _NUMPY_ACT[act](h @ arrays[f"W{k}"].T + arrays[f"b{k}"])  # (N, nout)
    return h[:, 0]  # (N,)


def decision_grid(arrays, activations, bounds, resolution=80) -> np.ndarray:
    """Scores on a resolution x resolution grid over bounds (x0, x1, y0, y1); row r is y."""
    x0, x1, y0, y1 = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    points = np.stack([gx.ravel(), gy.ravel()], 1)  # (res*res, 2)
    return scores_numpy(arrays, activations, points).reshape(resolution, resolution)  # (res, res)


def boundary_segments(grid, bounds) -> np.ndarray:
    """The line where the score is 0, as segments (M, 2, 2) of (x, y) pairs: marching squares
    over the grid, vectorised, so the view just draws them (in the worker, not the GUI)."""
    g = np.asarray(grid, dtype=np.float64)  # (R, C), row r at y, column c at x
    R, C = g.shape
    x0, x1, y0, y1 = bounds
    xs, ys = np.linspace(x0, x1, C), np.linspace(y0, y1, R)
    with np.errstate(divide="ignore", invalid="ignore"):
        th = g[:, :-1] / (g[:, :-1] - g[:, 1:])  # (R, C-1) where along a row edge it crosses
        tv = g[:-1, :] / (g[:-1, :] - g[1:, :])  # (R-1, C) the same along column edges
    cross_h = (g[:, :-1] > 0) != (g[:, 1:] > 0)  # (R, C-1)
    cross_v = (g[:-1, :] > 0) != (g[1:, :] > 0)  # (R-1, C)
    hx = xs[:-1] + th * (xs[1] - xs[0])  # (R, C-1)
    hy = np.broadcast_to(ys[:, None], hx.shape)
    vy = ys[:-1, None] + tv * (ys[1] - ys[0])  # (R-1, C)
    vx = np.broadcast_to(xs[None, :], vy.shape)
    # the 4 edges of cell (i, j), going round it: bottom, left, top, right
    px = np.stack([hx[:-1], vx[:, :-1], hx[1:], vx[:, 1:]], -1)  # (R-1, C-1, 4)
    py = np.stack([hy[:-1], vy[:, :-1], hy[1:], vy[:, 1:]], -1)  # (R-1, C-1, 4)
    hit = np.stack([cross_h[:-1], cross_v[:, :-1], cross_h[1:], cross_v[:, 1:]], -1)
    points = np.stack([px, py], -1)[hit].reshape(-1, 2)  # (2 or 4 per crossed cell, 2)
    return points.reshape(-1, 2, 2)  # consecutive crossings pair up (a saddle: 2 segments)


def plot_bounds(X, margin=0.5):
    """(x0, x1, y0, y1) around the data, square, so the plane is not distorted."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    lo = X.min(0) - margin if len(X) else np.array([-1.5, -1.5])
    hi = X.max(0) + margin if len(X) else np.array([1.5, 1.5])
    centre, half = (lo + hi) / 2, max(hi - lo) / 2
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def snapshot(report, bounds, resolution=80):
    """What the GUI gets from a report (runs in the worker): numbers, weights and the grid."""
    model = report["model"]
    arrays = weight_arrays(model)
    grid = decision_grid(arrays, model.activations, bounds, resolution)
    return {"step": report["step"], "loss": report["loss"], "accuracy": report["accuracy"],
            "lr": report["lr"], "weights": arrays, "grid": grid,
            "boundary": boundary_segments(grid, bounds)}


# -- weights on disk -----------------------------------------------------------------------------
def save_mlp(path, model: MLP, meta: dict | None = None):
    return checkpoint.save(path, KIND, weight_arrays(model),
                           {"sizes": model.sizes, "activations": model.activations}, meta)


def load_mlp(path) -> MLP:
    """The MLP saved at `path`. Raises CheckpointError (a message for the user) for other files."""
    arrays, config, _ = checkpoint.load(path, KIND)
    sizes, acts = config.get("sizes"), config.get("activations")
    if (not isinstance(sizes, list) or not isinstance(acts, list) or len(sizes) != len(acts) + 1
            or not all(isinstance(s, int) and 1 <= s <= 64 for s in sizes)
            or not all(a in ACTIVATIONS for a in acts)):
        raise checkpoint.CheckpointError(f"{getattr(path, 'name', path)} has a damaged MLP config.")
    shapes = {}
    for k in range(len(acts)):
        shapes[f"W{k}"], shapes[f"b{k}"] = (sizes[k + 1], sizes[k]), (sizes[k + 1],)
    checkpoint.check_shapes(str(path), arrays, shapes)
    model = MLP(sizes[0], sizes[1:], acts, rng=random.Random(0))
    set_weights(model, arrays)
    return model
