"""Forward and backward of one batch of a digit classifier (the MLP or the CNN) split over
processes: each helper process runs its share of the batch's rows on a replica of the net that
reads the same weights, and the parts' gradients are added up into the net's own.

The processes and their shared memory are models/core/helpers.py's (why processes: see there).
Only a step with much arithmetic per weight is split: each step, the weights and gradients
cross between the cores, and the gradients are added and the optimiser run in one process,
which costs about 10 ns a weight, against half the step saved. The CNN at batch 128 (200K weights, 60 ms a step) takes 37 ms
split; the MLPs are memory-bound (784-128-10 at batch 64, 0.3 ms a step: 0.41 ms alone, 0.45
split; 784-800-10, 1.1 ms a step for 636K weights: 1.75 ms alone, 2.1 split), so they stay whole.
The net's parameters and every replica's gradients move into shared memory when the step is
made, and so does the batch: train() gathers (and augments) it into `step.x` / `step.y`, so an
order to a helper is only "rows lo to hi, gradients times w". The optimiser then runs as
before, on the net's (summed) gradients, in this process.
"""
from __future__ import annotations

import time
import weakref

import numpy as np

from models.core.blas import blas_threads
from models.core.helpers import Helper, can_fork, end, shared_copy, shared_zeros

MIN_STEP_S = 0.001  # a step shorter than this is never split (see above)
SPLIT_COST_S = 1e-8  # seconds a weight costs a split step, against half the step saved


def slots(net) -> list[tuple[object, str]]:
    """(layer, name) of every parameter of the net, in order (its layers own them)."""
    return [(leaf, n) for _, leaf in net.named_leaves() for n in leaf.param_names]


def replica(net):
    """A net of the same shape whose parameters are the arrays of `net` (not copies), with its
    own activations and its own gradients, in shared memory where the parent reads them."""
    twin = type(net).from_config(net.get_config())
    for (leaf, n), (source, _) in zip(slots(twin), slots(net)):
        setattr(leaf, n, getattr(source, n))
        leaf.grads[n] = shared_zeros(leaf.grads[n].size, leaf.grads[n].dtype).reshape(leaf.grads[n].shape)
    return twin


class ParallelStep:
    """step(rows, scale) -> loss: forward and backward of the batch in x[:rows], y[:rows], with
    the gradients of scale * the loss left in the net's grads, as one net.forward / backward
    would leave them. With one worker (or no fork) everything runs here."""

    def __init__(self, net, batch_size: int, workers: int = 2, split: bool | None = None):
        """split: None = when worth_splitting() says so; True / False = always / never."""
        self.net = net
        n_in = 784
        self.replicas, self.helpers = [], []
        self.closed = False
        parallel = workers > 1 and can_fork() and batch_size > 1
        parallel = parallel and (worth_splitting(net, batch_size) if split is None else split)
        make = shared_zeros if parallel else np.zeros
        self.x = make(batch_size * n_in, np.float32).reshape(batch_size, n_in)  # the batch, written by train()
        self.y = make(batch_size, np.int64)
        if parallel:
            for leaf, n in slots(net):  # the weights, where the helpers read them
                setattr(leaf, n, shared_copy(getattr(leaf, n)))
            self.replicas = [replica(net) for _ in range(workers - 1)]
            self.helpers.extend(Helper.fork(_server(r, self.x, self.y)) for r in self.replicas)
        self._finalizer = weakref.finalize(self, end, self.helpers)

    @property
    def parallel(self) -> bool:
        return bool(self.helpers)

    def __call__(self, rows: int, scale: float = 1.0) -> float:
        if self.closed:
            raise RuntimeError("this training step was closed")
        net, x, y = self.net, self.x[:rows], self.y[:rows]
        parts = min(len(self.helpers) + 1, rows)
        if parts == 1:
            _, loss = net.forward(x, y)
            net.backward(scale=scale)
            return loss
        # Each part's loss is a mean over its rows; the batch's is their mean weighted by the
        # parts' row counts, and so are its gradients: each part scales its own in its backward,
        # and the sum of the parts' gradients is the batch's.
        bounds = np.linspace(0, rows, parts + 1).round().astype(int)
        for h, lo, hi in zip(self.helpers, bounds[1:-1], bounds[2:]):
            h.order(0, (lo, hi, scale * (hi - lo) / rows))
        w0 = bounds[1] / rows
        with blas_threads(1):  # one core per process: BLAS's own threads would only compete
            _, loss = net.forward(x[:bounds[1]], y[:bounds[1]])
            net.backward(scale=scale * w0)
        loss *= w0
        for h, lo, hi in zip(self.helpers, bounds[1:-1], bounds[2:]):
            loss += h.result() * (hi - lo) / rows
        grads = net.gradients()
        for r in self.replicas[:parts - 1]:
            for g, theirs in zip(grads, r.gradients()):
                g += theirs
        return loss

    def close(self) -> None:
        """End the helpers; the net's weights become private arrays again (safe to fork later)."""
        if self.closed:
            return
        self.closed = True
        if self.replicas:
            end(self.helpers)
            for leaf, n in slots(self.net):
                setattr(leaf, n, np.array(getattr(leaf, n)))


def worth_splitting(net, batch_size: int) -> bool:
    """Does a step of this net at this batch size do enough arithmetic per weight to gain from
    a second process? (Measured: one step is timed here.)"""
    weights = sum(p.size for p in net.parameters())
    return step_seconds(net, batch_size) / 2 >= max(MIN_STEP_S / 2, SPLIT_COST_S * weights)


def step_seconds(net, batch_size: int) -> float:
    """How long one forward and backward of a batch takes here on one BLAS thread (the faster of
    two; it leaves gradients that the first real step overwrites). One thread: two would time
    their stalls on a busy machine (a 0.3 ms MLP step timed at 28 ms, and was split)."""
    x, y = np.zeros((batch_size, 784), np.float32), np.zeros(batch_size, np.int64)
    best = float("inf")
    with blas_threads(1):
        for _ in range(2):
            t0 = time.perf_counter()
            net.forward(x, y)
            net.backward()
            best = min(best, time.perf_counter() - t0)
    return best


def _server(twin, x, y):
    """What a helper does with an order: forward and backward of rows lo to hi of the shared
    batch on `twin`, gradients times w; returns the loss of those rows."""
    def serve(kind, numbers, payload) -> float:
        lo, hi, w = int(numbers[0]), int(numbers[1]), numbers[2]
        with blas_threads(1):
            _, loss = twin.forward(x[lo:hi], y[lo:hi])
            twin.backward(scale=w)
        return loss
    return serve
