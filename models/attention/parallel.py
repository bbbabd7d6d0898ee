"""One training step of the transformer split over processes: each helper process runs forward
and backward on its share of the batch with a replica of the model, and the parts' gradients
are added up (each weighted by its share of the batch's targets).

The processes and their shared memory are models/core/helpers.py's (why processes: see there).
Before the first step, the model's flat parameter buffer and every replica's gradient buffer
move into shared memory: a helper reads the weights the optimiser has just written, with no
copying, and the parent reads its gradients where it wrote them. Each step sends a helper its
rows of the batch and gets back its loss. Each process then steps its own chunk of the flat
buffers with its own part of the optimiser (each element's update depends on that element alone).
"""
from __future__ import annotations

import weakref

import numpy as np

from models.attention.model import GPT
from models.core.helpers import Helper, can_fork, end, shared_zeros

_STEP, _OPTIMISE = 1, 2  # the orders a helper takes


def move_buffers(model: GPT, alloc, groups=("flat_params", "flat_grads")) -> None:
    """Copy the model's flat buffers into new ones made by alloc(size, dtype) and point every
    parameter (and gradient) view at its place in them."""
    for group in groups:
        flats = getattr(model, group)
        for key, old in list(flats.items()):
            new = alloc(old.size, old.dtype)
            new[...] = old
            flats[key] = new
            for layer, n in model._views.values():
                if group == "flat_params":
                    view = _rebase(getattr(layer, n), old, new)
                    if view is not None:
                        setattr(layer, n, view)
                else:
                    view = _rebase(layer.grads[n], old, new)
                    if view is not None:
                        layer.grads[n] = view


def _rebase(view: np.ndarray, old: np.ndarray, new: np.ndarray):
    """The view of `new` at the place `view` has in `old`, or None when it is not in `old`."""
    start = (view.__array_interface__["data"][0] - old.__array_interface__["data"][0]) // old.itemsize
    if not 0 <= start < old.size:
        return None
    return new[start:start + view.size].reshape(view.shape)


def replica(model: GPT) -> GPT:
    """A GPT whose parameters are the arrays of `model` (not copies), with its own activations
    and gradient buffers (in shared memory, where the parent reads them)."""
    twin = GPT(model.config, model.itos, model.task, model.sort)
    move_buffers(twin, shared_zeros, ("flat_grads",))
    for name, (layer, n) in twin._views.items():
        source, sn = model._views[name]
        setattr(layer, n, getattr(source, sn))
    twin.flat_params = model.flat_params  # the same storage, for anyone who looks
    return twin


class ParallelStep:
    """step(x, y) -> loss: forward and backward of the whole batch, gradients left in
    model.flat_grads exactly as one model.forward/backward on (x, y) would leave them.

    The helpers start at the first step (or optimiser step), so an optimiser from optimizer()
    must be made before it; close() ends them and gives the model private buffers again."""

    def __init__(self, model: GPT, workers: int = 2):
        self.model = model
        self.helpers: list[Helper] = []
        self.replicas: list[GPT] = []
        self.parts = None  # the optimiser, one part per process, once optimizer() made it
        self.closed = False
        if workers > 1 and can_fork():
            move_buffers(model, shared_zeros)
            self.replicas = [replica(model) for _ in range(workers - 1)]
            for i, r in enumerate(self.replicas):
                r.reseed_dropout(model.config.seed * 1000 + i + 1)
        # each flat buffer cut into one contiguous chunk per process, for the element-wise work
        cuts = [np.linspace(0, f.size, len(self.replicas) + 2).astype(int) for f in model.flat_params.values()]
        self.chunks = [tuple(slice(c[i], c[i + 1]) for c in cuts) for i in range(len(self.replicas) + 1)]
        self._finalizer = weakref.finalize(self, end, self.helpers)

    @property
    def parallel(self) -> bool:
        """True when the step has helper processes (more than one worker, on Linux)."""
        return bool(self.replicas)

    def _start(self) -> None:
        if self.closed:
            raise RuntimeError("this training step was closed")
        if self.replicas and not self.helpers:
            self.helpers.extend(Helper.fork(_server(r, self.parts[i + 1] if self.parts else None))
                                for i, r in enumerate(self.replicas))

    def __call__(self, x, y) -> float:
        model = self.model
        x, y = np.asarray(x), np.asarray(y)
        B = len(x)
        parts = min(len(self.replicas) + 1, B)
        if parts == 1:
            return _forward_backward(model, x, y)
        self._start()
        bounds = np.linspace(0, B, parts + 1).round().astype(int)
        counts = [int((y[lo:hi] >= 0).sum()) for lo, hi in zip(bounds, bounds[1:])]
        total = sum(counts)
        if total == 0:  # nothing to learn from: no gradient
            for g in model.flat_grads.values():
                g[...] = 0.0
            return 0.0
        # Each part's loss is a mean over its own targets; the batch's is their mean weighted by
        # the parts' target counts, and so are its gradients: each part scales its own in its
        # backward, and the sum of the parts' gradients is the batch's.
        helpers = self.helpers[:parts - 1]
        setup = (model.causal, model.training, model.attention_temperature)
        for h, lo, hi, n in zip(helpers, bounds[1:-1], bounds[2:], counts[1:]):
            xy = np.ascontiguousarray([x[lo:hi], y[lo:hi]], np.int64)  # (2, rows, T)
            h.order(_STEP, (n / total, hi - lo, xy.shape[2], *setup), xy.tobytes())
        loss = _forward_backward(model, x[:bounds[1]], y[:bounds[1]], counts[0] / total)
        losses = [loss] + [h.result() for h in helpers]
        grads = list(model.flat_grads.values())
        for r, n in zip(self.replicas, counts[1:]):
            if n:  # a part without targets has no gradient (nor a finite loss)
                for g, theirs in zip(grads, r.flat_grads.values()):
                    g += theirs
        return sum(part * n / total for part, n in zip(losses, counts) if n)

    def optimizer(self, make):
        """The optimiser make(params, grads, decay_mask) builds: with helpers, one part per process
        over its chunk of the flat buffers (ShardedOptimizer), else one over the whole buffers."""
        params, grads, mask = self.model.param_groups()
        if not self.parallel:
            return make(params, grads, mask)
        if self.helpers:
            raise RuntimeError("make the optimiser before the first step: the helpers have started")
        self.parts = [make([p[s] for p, s in zip(params, sl)], [g[s] for g, s in zip(grads, sl)], mask)
                      for sl in self.chunks]
        return ShardedOptimizer(self)

    def close(self) -> None:
        """End the helpers; the model's buffers become private again (safe to fork later)."""
        if self.closed:
            return
        self.closed = True
        end(self.helpers)
        if self.replicas:
            move_buffers(self.model, np.zeros)


class ShardedOptimizer:
    """Steps every process's part of the optimiser at once (each over its chunk of the flat
    buffers: the same arithmetic as one optimiser over the whole buffers). `lr` sets every part's."""

    def __init__(self, step: ParallelStep):
        self.step_processes = step
        self.parts = step.parts

    @property
    def lr(self) -> float:
        return self.parts[0].lr

    @lr.setter
    def lr(self, value: float) -> None:
        for part in self.parts:
            part.lr = value

    def step(self) -> None:
        step = self.step_processes
        step._start()
        for h in step.helpers:
            h.order(_OPTIMISE, (self.lr,))
        self.parts[0].step()
        for h in step.helpers:
            h.result()


def _forward_backward(model: GPT, x, y, weight: float = 1.0) -> float:
    """The loss of (x, y), and its gradients times `weight` left in the model's grads."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its loss, quietly
        _, loss = model.forward(x, y)
        model.backward(weight)
    return loss


def _server(twin: GPT, part):
    """What a helper does with an order: forward and backward of its rows on `twin` (set up as
    the parent's model is), or a step of its `part` of the optimiser."""
    def serve(kind, numbers, payload) -> float:
        if kind == _OPTIMISE:
            part.lr = numbers[0]
            part.step()
            return 0.0
        weight, rows, T, causal, training, temperature = numbers
        x, y = np.frombuffer(payload, np.int64).reshape(2, int(rows), int(T))
        twin.causal, twin.training, twin.attention_temperature = bool(causal), bool(training), temperature
        return _forward_backward(twin, x, y, weight)
    return serve
