"""Training the neural bigram: gradient descent on the NLL of the list's pairs.

    for report in train(model, (xs, ys), NeuralBigramConfig(steps=300)):
        print(report.step, report.loss, report.metrics["nll"])

The lecture's recipe: the whole list every step (full batch), plain SGD at lr 50, optionally
l2 * mean(W**2) added to the loss. Nothing here prints, sleeps or knows about Qt.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from models.bigram.neural import NeuralBigram, softmax_rows
from models.core.optim import SGD
from models.core.training import Report, TrainConfig

CHUNK_FLOATS = 8_000_000  # most probabilities held at once while training (32 MB in float32)
DIVERGED = "the loss is no longer finite: lower the learning rate"


@dataclass
class NeuralBigramConfig(TrainConfig):
    steps: int = 300  # gradient steps per run
    batch_size: int = 0  # pairs per step, drawn at random; 0 = every pair (full batch, the lecture)
    lr: float = 50.0  # gradient-descent step (the lecture's 50)
    l2: float = 0.0  # weight of mean(W**2) added to the loss (the lecture used 0.01)

    def validate(self) -> None:
        full = self.batch_size == 0
        if full:
            self.batch_size = 1  # the base class checks the rest
        try:
            super().validate()
        finally:
            if full:
                self.batch_size = 0
        if not (0 <= self.l2 < 1e6):
            raise ValueError("The L2 weight must be between 0 and 1,000,000.")


def train(model: NeuralBigram, data, config: NeuralBigramConfig, start_step: int = 0):
    """Gradient descent on the pairs `data` = (xs (N,), ys (N,)) of previous and next character
    ids. Yields a Report after every step: loss (NLL + the L2 term, measured before the step's
    update), metrics {"nll"}, payload {"W": the live weights} (snapshot() copies them).
    Raises FloatingPointError when the loss stops being finite; W is then as after the last
    finite step (never NaN or inf)."""
    config.validate()
    xs, ys = (np.asarray(a, dtype=np.int64) for a in data)
    if xs.size == 0 or xs.shape != ys.shape:
        raise ValueError("There are no (previous, next) pairs to learn from.")
    V = model.vocab_size
    if max(int(xs.max()), int(ys.max())) >= V or min(int(xs.min()), int(ys.min())) < 0:
        raise ValueError(f"The pairs use characters beyond this model's {V}.")
    full = config.batch_size == 0 or config.batch_size >= xs.size
    if full:  # the mean is order-free; sorted by x, the scatter in backward is cheap
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    rng = np.random.default_rng([config.seed, start_step])  # the same run from the same step
    grad = model.grads["W"]  # (V, V): the optimiser reads the gradient here
    # loss += l2 * mean(W**2) has gradient 2 * l2 * W / V**2, which is SGD's weight decay
    opt = SGD([model.W], [grad], lr=config.lr,
              weight_decay=config.weight_decay + 2.0 * config.l2 / model.W.size)
    for i in range(config.steps):
        if full:
            bx, by = xs, ys
        else:
            pick = np.sort(rng.integers(0, xs.size, config.batch_size))  # (B,) sorted rows
            bx, by = xs[pick], ys[pick]
        nll = _full_gradient(model, bx, by, grad)
        loss = nll + config.l2 * float(np.mean(model.W.astype(np.float64) ** 2))
        if not np.isfinite(loss):
            raise FloatingPointError(DIVERGED)
        before = model.W.copy()  # (V, V): a step that overflows W is taken back
        opt.lr = config.lr_at(start_step + i)
        opt.step()
        if not np.isfinite(model.W).all():
            model.W[...] = before
            raise FloatingPointError(DIVERGED)
        yield Report(step=start_step + i + 1, loss=loss, lr=opt.lr, metrics={"nll": nll},
                     payload={"W": model.W})


def _full_gradient(model: NeuralBigram, xs: np.ndarray, ys: np.ndarray, grad: np.ndarray) -> float:
    """The mean NLL of all pairs and its gradient (into `grad`). A huge list is taken in slices
    of at most CHUNK_FLOATS probabilities; their gradients add up to the whole batch's, so memory
    stays bounded and the maths is unchanged."""
    N, V = xs.size, model.vocab_size
    chunk = max(1, CHUNK_FLOATS // V)
    if N <= chunk:
        _, nll = model.forward(xs, ys)
        model.backward()  # writes grad (model.grads["W"])
        return nll
    total = np.zeros_like(grad)  # (V, V)
    nll = 0.0
    for start in range(0, N, chunk):
        weight = min(chunk, N - start) / N
        _, part = model.forward(xs[start:start + chunk], ys[start:start + chunk])
        nll += weight * part
        total += weight * model.backward()
    grad[...] = total
    return nll


def snapshot(report: Report) -> Report:
    """What crosses to the GUI thread (runs in the worker): the report with payload
    {"W": a copy of W (V, V), "P": softmax(W) (V, V) float64}, the view's two readings."""
    W = report.payload["W"].copy()
    return dataclasses.replace(report, metrics=dict(report.metrics),
                               payload={"W": W, "P": softmax_rows(W)})

