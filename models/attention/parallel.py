"""One training step split over threads: each thread runs forward and backward on its share of
the batch with a replica of the model that shares its weights, and the gradients are averaged.

NumPy lets go of the interpreter lock inside its loops and BLAS calls, so the replicas really run
at the same time, each on one core with single-threaded BLAS. Unlike BLAS's own threads, which
spin while they wait and collapse on a busy machine, these threads sleep when they wait.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from models.attention.model import GPT


def replica(model: GPT) -> GPT:
    """A GPT whose parameters are the arrays of `model` (not copies), with its own activations
    and gradient buffers."""
    twin = GPT(model.config, model.itos, model.task, model.sort)
    for name, (layer, n) in twin._views.items():
        source, sn = model._views[name]
        setattr(layer, n, getattr(source, sn))
    twin.flat_params = model.flat_params  # the same storage, for anyone who looks
    return twin


class ParallelStep:
    """step(x, y) -> loss: forward and backward of the whole batch, gradients left in
    model.flat_grads exactly as one model.forward/backward on (x, y) would leave them."""

    def __init__(self, model: GPT, workers: int = 2):
        self.model = model
        self.replicas = [replica(model) for _ in range(max(0, workers - 1))]
        for i, r in enumerate(self.replicas):
            r.reseed_dropout(model.config.seed * 1000 + i + 1)
        self.pool = ThreadPoolExecutor(len(self.replicas), thread_name_prefix="gpt-step") if self.replicas else None

    def __call__(self, x, y) -> float:
        model = self.model
        B = len(x)
        parts = min(len(self.replicas) + 1, B)
        if parts == 1:
            return _forward_backward(model, x, y)[0]
        bounds = np.linspace(0, B, parts + 1).round().astype(int)
        futures = []
        for r, lo, hi in zip(self.replicas, bounds[1:-1], bounds[2:]):
            r.causal, r.attention_temperature = model.causal, model.attention_temperature
            r.training = model.training
            futures.append(self.pool.submit(_forward_backward, r, x[lo:hi], y[lo:hi]))
        loss0, n0 = _forward_backward(model, x[:bounds[1]], y[:bounds[1]])
        results = [(loss0, n0, model)] + [(*f.result(), r) for f, r in zip(futures, self.replicas)]
        total = sum(n for _, n, _ in results)
        if total == 0:
            return 0.0
        # each part's loss is a mean over its own targets: weight parts by their target counts
        for key, grad in model.flat_grads.items():
            grad *= n0 / total
            for _, n, r in results[1:]:
                if n:
                    theirs = r.flat_grads[key]
                    theirs *= n / total  # in place: no temporary of the parameters' size
                    grad += theirs
        return sum(loss * n for loss, n, _ in results) / total

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def _forward_backward(model: GPT, x, y) -> tuple[float, int]:
    count = int((np.asarray(y) >= 0).sum())
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its loss, quietly
        _, loss = model.forward(x, y)
        model.backward()
    return loss, count
