"""Helper processes for a training step split over cores, and the memory they share.

    helper = Helper.fork(serve)      # serve(kind, numbers, payload) -> float, run in the child
    helper.order(kind, numbers, payload)
    ...                              # the parent does its own share meanwhile
    value = helper.result()          # what serve returned (an error in it is raised here)
    end([helper])

Why processes, not threads: a training step of our small models is hundreds of short NumPy
calls. Threads run the arithmetic at the same time but take turns for the Python between the
calls (the interpreter lock): two threads made the transformer's step only ~1.2x faster than one,
two processes ~1.9x. The child is forked, so `serve` may be any closure over the parent's objects
(its model replica, its part of the optimiser): nothing is pickled. What both must see changing
(weights, gradients, the batch) lives in `shared_zeros` memory made before the fork.

Forking needs Linux (after Qt or Accelerate it is unsafe on macOS; Windows has no fork): where
`can_fork()` is False, callers run the whole step in their own process. A helper ends when
`end()` closes its pipes, or when its parent ends (the pipe closes with it).

Users: models/attention/parallel.py (the transformer) and models/digits/parallel.py (the MLP/CNN).
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

import numpy as np

SPIN_S = 0.002  # how long a process waiting for the other polls before it sleeps
_ORDER = struct.Struct("<BI6d")  # kind, payload bytes, six numbers
_DONE = struct.Struct("<dB")  # the value serve returned, ok


def can_fork() -> bool:
    """Helper processes by fork(): Linux only (see the module's docstring)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def shared_zeros(size: int, dtype) -> np.ndarray:
    """A flat array of zeros in memory that processes forked later share with this one."""
    nbytes = max(int(size) * np.dtype(dtype).itemsize, 1)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype, count=int(size))  # anonymous: MAP_SHARED


def shared_copy(a: np.ndarray) -> np.ndarray:
    """A copy of `a` (same shape and values) in shared memory."""
    out = shared_zeros(a.size, a.dtype).reshape(a.shape)
    out[...] = a
    return out


class Helper:
    """The parent's handle on one helper process: its pid and its two pipes."""

    def __init__(self, pid: int, orders: int, results: int):
        self.pid, self.orders, self.results = pid, orders, results

    @classmethod
    def fork(cls, serve) -> "Helper":
        """A child process that answers each order with serve(kind, numbers, payload)."""
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
            _serve(serve, orders_r, results_w)
        os.close(orders_r)
        os.close(results_w)
        return cls(pid, orders_w, results_r)

    def order(self, kind: int, numbers=(), payload: bytes = b"") -> None:
        """Ask for serve(kind, numbers, payload); up to six numbers (floats), any bytes."""
        numbers = tuple(float(v) for v in numbers) + (0.0,) * (6 - len(numbers))
        try:
            _write(self.orders, _ORDER.pack(kind, len(payload), *numbers) + payload)
        except (BrokenPipeError, OSError):  # it was killed (out of memory, say)
            raise RuntimeError("a training helper process ended unexpectedly") from None

    def result(self) -> float:
        """The value of the last order (waits for it)."""
        try:
            value, ok = _DONE.unpack(_read(self.results, _DONE.size))
        except EOFError:
            raise RuntimeError("a training helper process ended unexpectedly") from None
        if not ok:
            raise RuntimeError("a training helper process failed (its error is on standard error)")
        return value


def end(helpers: list) -> None:
    """Close the helpers' pipes (each exits when it sees that) and reap them; one that does not
    exit within a second is killed. Empties the list."""
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


def _serve(serve, orders: int, results: int) -> None:
    """The helper's loop: carry out orders until the pipe closes, then exit (never returns)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
        gc.disable()
        _close_other_files((orders, results))
        while True:
            try:
                kind, size, *numbers = _ORDER.unpack(_read(orders, _ORDER.size))
                payload = _read(orders, size)
            except EOFError:
                break
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # a diverging run shows in its loss
                    done = _DONE.pack(serve(kind, numbers, payload), 1)
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
