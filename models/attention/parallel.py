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
        # each flat buffer cut into one contiguous chunk per thread, for the element-wise work
        cuts = [np.linspace(0, f.size, len(self.replicas) + 2).astype(int) for f in model.flat_params.values()]
        self.chunks = [tuple(slice(c[i], c[i + 1]) for c in cuts) for i in range(len(self.replicas) + 1)]

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
        theirs = [(n / total, list(r.flat_grads.values())) for _, n, r in results[1:] if n]
        grads = list(model.flat_grads.values())
        self.sharded(lambda i: _merge(self.chunks[i], grads, n0 / total, theirs))
        return sum(loss * n for loss, n, _ in results) / total

    def sharded(self, fn) -> None:
        """fn(i) on every thread i at once, for element-wise work on chunks[i] of the flat buffers
        (a slice per buffer, in flat_params' order)."""
        if self.pool is None:  # one thread, or closed: every chunk here
            for i in range(len(self.chunks)):
                fn(i)
            return
        futures = [self.pool.submit(fn, i) for i in range(1, len(self.chunks))]
        fn(0)
        for f in futures:
            f.result()

    def optimizer(self, make) -> ShardedOptimizer:
        """The optimiser make(params, grads, decay_mask) builds, stepped in chunks on every thread."""
        return ShardedOptimizer(self, make)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def _merge(slices, grads, own: float, theirs) -> None:
    """grads = own * grads + the sum of w * their grads, on one thread's chunk (in place: their
    gradients are scaled where they are, no temporary of the parameters' size)."""
    for i, (s, grad) in enumerate(zip(slices, grads)):
        g = grad[s]
        g *= own
        for w, other in theirs:
            o = other[i][s]
            o *= w
            g += o


class ShardedOptimizer:
    """An optimiser over the model's flat buffers stepped in chunks on the step's threads: one
    `make(params, grads, decay_mask)` per chunk, the same arithmetic as one over the whole
    buffers (each element's update depends on that element alone). `lr` sets every chunk's."""

    def __init__(self, step: ParallelStep, make):
        params, grads, mask = step.model.param_groups()
        self.step_threads = step
        self.parts = [make([p[s] for p, s in zip(params, sl)], [g[s] for g, s in zip(grads, sl)], mask)
                      for sl in step.chunks]

    @property
    def lr(self) -> float:
        return self.parts[0].lr

    @lr.setter
    def lr(self, value: float) -> None:
        for part in self.parts:
            part.lr = value

    def step(self) -> None:
        self.step_threads.sharded(lambda i: self.parts[i].step())


def _forward_backward(model: GPT, x, y) -> tuple[float, int]:
    count = int((np.asarray(y) >= 0).sum())
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its loss, quietly
        _, loss = model.forward(x, y)
        model.backward()
    return loss, count
