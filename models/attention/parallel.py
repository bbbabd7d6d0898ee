"""One training step split over processes: each helper process runs forward and backward on its
share of the batch with a replica of the model, and the parts' gradients are added up (each
weighted by its share of the batch's targets).

Why processes, not threads: a step of this small transformer is hundreds of short NumPy calls.
Threads run the arithmetic at the same time but take turns for the Python between the calls
(the interpreter lock), so two threads made a step only ~1.2x faster than one; two processes
make it ~1.9x faster, as fast as two cores can.

How they share: before the first step, the model's flat parameter buffer and every replica's
gradient buffer move into memory shared with the forked helpers (an anonymous shared mapping).
A helper reads the weights the optimiser has just written, with no copying; the parent reads its
gradients where it wrote them. Each step sends a helper its rows of the batch through a pipe
and gets back its loss. Each process then steps its own chunk of the flat
buffers with its own part of the optimiser (each element's update depends on that element alone).

Helpers are forked, so they need Linux (fork after Qt or Accelerate is unsafe on macOS, and
Windows has no fork); elsewhere the whole batch runs in the one process. A helper ends when the
step is closed, or when the pipe from its parent closes (the parent ended).
"""
from __future__ import annotations

import gc
import mmap
import os
import select
import signal
import struct
import sys
import time
import traceback
import weakref

import numpy as np

from models.attention.model import GPT

_STEP, _OPTIMISE = 1, 2
SPIN_S = 0.002  # how long a process waiting for the other polls before it sleeps
_ORDER = struct.Struct("<BqqBBdd")  # what, rows, T, causal, training, temperature, lr or weight
_DONE = struct.Struct("<dB")  # loss, ok


def can_fork() -> bool:
    """Helper processes by fork(): Linux only (see the module's docstring)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def shared_zeros(size: int, dtype) -> np.ndarray:
    """A flat array of zeros in memory that processes forked later share with this one."""
    nbytes = max(int(size) * np.dtype(dtype).itemsize, 1)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype, count=int(size))  # anonymous: MAP_SHARED


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
        self.helpers: list[_Helper] = []
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
        self._finalizer = weakref.finalize(self, _end, self.helpers)

    @property
    def parallel(self) -> bool:
        """True when the step has helper processes (more than one worker, on Linux)."""
        return bool(self.replicas)

    def _start(self) -> None:
        if self.closed:
            raise RuntimeError("this training step was closed")
        if self.replicas and not self.helpers:
            self.helpers.extend(_Helper.fork(r, i + 1, self.parts) for i, r in enumerate(self.replicas))

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
        for h, lo, hi, n in zip(helpers, bounds[1:-1], bounds[2:], counts[1:]):
            h.order(_STEP, x[lo:hi], y[lo:hi], model, weight=n / total)
        loss = _forward_backward(model, x[:bounds[1]], y[:bounds[1]], counts[0] / total)
        losses = [loss] + [h.result() for h in helpers]
        grads = list(model.flat_grads.values())
        for h, n in zip(helpers, counts[1:]):
            if n:  # a part without targets has no gradient (nor a finite loss)
                for g, theirs in zip(grads, h.twin.flat_grads.values()):
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
        _end(self.helpers)
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
            h.order(_OPTIMISE, lr=self.lr)
        self.parts[0].step()
        for h in step.helpers:
            h.result()


def _forward_backward(model: GPT, x, y, weight: float = 1.0) -> float:
    """The loss of (x, y), and its gradients times `weight` left in the model's grads."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its loss, quietly
        _, loss = model.forward(x, y)
        model.backward(weight)
    return loss


class _Helper:
    """The parent's handle on one helper process: its pid, its two pipes, its replica."""

    def __init__(self, pid: int, orders: int, results: int, twin: GPT):
        self.pid, self.orders, self.results, self.twin = pid, orders, results, twin

    @classmethod
    def fork(cls, twin: GPT, index: int, parts) -> "_Helper":
        orders_r, orders_w = os.pipe()
        results_r, results_w = os.pipe()
        for fd in (orders_r, results_r):  # read by polling first (see _read)
            os.set_blocking(fd, False)
        gc.freeze()  # the child's collector leaves the parent's objects (and any Qt wrappers) alone
        try:
            pid = os.fork()
        finally:
            gc.unfreeze()
        if pid == 0:  # the helper: never returns
            _serve(twin, parts[index] if parts else None, orders_r, results_w)
        os.close(orders_r)
        os.close(results_w)
        return cls(pid, orders_w, results_r, twin)

    def order(self, what: int, x=None, y=None, model: GPT | None = None, weight: float = 1.0,
              lr: float = 0.0) -> None:
        """_STEP: forward and backward of (x, y) as `model` is set up, gradients times `weight`;
        _OPTIMISE: step the helper's part of the optimiser at rate `lr`."""
        if what == _STEP:
            x, y = np.ascontiguousarray(x, np.int64), np.ascontiguousarray(y, np.int64)
            head = _ORDER.pack(_STEP, x.shape[0], x.shape[1], model.causal, model.training,
                               model.attention_temperature, weight)
            _write(self.orders, head + x.tobytes() + y.tobytes())
        else:
            _write(self.orders, _ORDER.pack(what, 0, 0, 0, 0, 0.0, lr))

    def result(self) -> float:
        try:
            loss, ok = _DONE.unpack(_read(self.results, _DONE.size))
        except EOFError:
            raise RuntimeError("a training helper process ended unexpectedly") from None
        if not ok:
            raise RuntimeError("a training helper process failed (its error is on standard error)")
        return loss


def _serve(twin: GPT, part, orders: int, results: int) -> None:
    """The helper's loop: carry out orders until the pipe closes, then exit (never returns)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
        gc.disable()
        _close_other_files((orders, results))
        while True:
            try:
                what, rows, T, causal, training, temperature, number = _ORDER.unpack(_read(orders, _ORDER.size))
            except EOFError:
                break
            try:
                if what == _STEP:
                    xy = np.frombuffer(_read(orders, 2 * rows * T * 8), np.int64).reshape(2, rows, T)
                    twin.causal, twin.attention_temperature, twin.training = bool(causal), temperature, bool(training)
                    done = _DONE.pack(_forward_backward(twin, xy[0], xy[1], number), 1)
                else:
                    part.lr = number
                    part.step()
                    done = _DONE.pack(0.0, 1)
            except EOFError:
                break
            except Exception:
                _tell_stderr(traceback.format_exc())
                done = _DONE.pack(0.0, 0)
            _write(results, done)
    except BaseException:  # e.g. the parent gone mid-write: nothing to report to
        code = 1
    finally:
        os._exit(code)


def _tell_stderr(text: str) -> None:
    """Write to descriptor 2 itself: sys.stderr may wrap a descriptor the helper closed."""
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def _close_other_files(keep) -> None:
    """Close every inherited descriptor but stdin/out/err and `keep`: a helper holding another
    helper's pipe would keep that one from seeing its parent close it."""
    edges = [2, *sorted(keep), os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096]
    for lo, hi in zip(edges, edges[1:]):
        os.closerange(lo + 1, hi)


def _end(helpers) -> None:
    """Close the helpers' pipes (each exits when it sees that) and reap them; one that does not
    exit within a second is killed."""
    for h in helpers:
        for fd in (h.orders, h.results):
            try:
                os.close(fd)
            except OSError:
                pass
    deadline = time.monotonic() + 1.0
    for h in helpers:
        while True:
            try:
                pid, _ = os.waitpid(h.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(h.pid, signal.SIGKILL)
                os.waitpid(h.pid, 0)
                break
            time.sleep(0.001)
    helpers.clear()


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read(fd: int, n: int) -> bytes:
    """n bytes from a pipe whose reading end is non-blocking. The reader first polls for up to
    SPIN_S, then sleeps in select(): an answer due within a millisecond is taken without the
    cost of being put to sleep and woken (~0.1 ms a message in a virtual machine)."""
    parts, spin_until = [], time.perf_counter() + SPIN_S
    while n:
        try:
            chunk = os.read(fd, n)
        except BlockingIOError:
            if time.perf_counter() > spin_until:
                select.select([fd], [], [])
            continue
        if not chunk:
            raise EOFError("the other process closed the pipe")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)
