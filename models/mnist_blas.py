"""How many threads OpenBLAS uses for the training matmuls, chosen by timing them.

At batch 64 the MLP's matmuls are small. On an idle machine two threads are a little faster
than one; when the other core is busy (another program, the GUI, a second training run) the
threads wait for each other and an epoch took 10-50x longer than with one thread. So the
training loop times a few steps with each thread count now and then and keeps the faster one.

NumPy's wheels bundle OpenBLAS (as libscipy_openblas64_*.so); its thread count is set through
ctypes, the way threadpoolctl does it. Where that library is not found (another BLAS, another
OS), everything here quietly does nothing.
"""
from __future__ import annotations

import ctypes
import statistics
import time

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_lib = None
_searched = False


def _openblas():
    """The loaded OpenBLAS library with (get, set) thread functions, or None."""
    global _lib, _searched
    if not _searched:
        _searched = True
        try:
            with open("/proc/self/maps", encoding="utf-8") as f:
                paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
            for path in paths:
                lib = ctypes.CDLL(path)
                for name in _SETTERS:
                    get = getattr(lib, name.replace("set_", "get_"), None)
                    if hasattr(lib, name) and get is not None:
                        get.restype = ctypes.c_int
                        _lib = (get, getattr(lib, name))
                        break
                if _lib:
                    break
        except (OSError, AttributeError):
            _lib = None
    return _lib


def get_threads() -> int | None:
    lib = _openblas()
    return int(lib[0]()) if lib else None


def set_threads(n: int) -> None:
    lib = _openblas()
    if lib:
        lib[1](int(n))


class ThreadTuner:
    """Call `before_step()` and `after_step()` around each training step. Every `every` steps it
    tries each thread count (1, then the default) for up to `probe` steps, cutting a trial short
    when a step is far slower than the best so far, and keeps the faster count until the next
    trials, which also start at once when steps turn 4x slower than the trials said (the load
    on the machine changed). `restore()` puts the default back."""

    def __init__(self, probe: int = 6, every: int = 1000):
        self.default = get_threads()
        self.options = [1, self.default] if self.default and self.default > 1 else []  # 1 first: the safe one
        self.probe, self.every = probe, every
        self.chosen = self.default
        self._step = 0
        self._trial = 0 if self.options else None  # index into options under trial, or None
        self._times: dict[int, list[float]] = {}
        self._t0 = 0.0
        self.expected = None  # seconds per step of the chosen count, from the last trials
        self._slow = 0  # consecutive steps far slower than expected

    def before_step(self) -> None:
        if not self.options:
            return
        if self._trial is None and self._step % self.every == 0:
            self._trial, self._times = 0, {}
        n = self.options[self._trial] if self._trial is not None else self.chosen
        if n != get_threads():
            set_threads(n)
        self._t0 = time.perf_counter()

    def after_step(self) -> None:
        self._step += 1
        if self._trial is None:
            if self.expected is not None:
                slow = time.perf_counter() - self._t0 > 4 * self.expected
                self._slow = self._slow + 1 if slow else 0
                if self._slow >= 3:  # the machine got busier (or quieter): try again now
                    self._trial, self._times, self._slow = 0, {}, 0
            return
        n = self.options[self._trial]
        times = self._times.setdefault(n, [])
        times.append(time.perf_counter() - self._t0)
        best = min((statistics.median(t) for k, t in self._times.items() if k != n), default=self.expected)
        too_slow = best is not None and times[-1] > 4 * best
        if len(times) >= self.probe or too_slow:
            self._trial += 1
            if self._trial == len(self.options):  # all tried: keep the fastest (first step is warm-up)
                medians = {k: statistics.median(t[1:] or t) for k, t in self._times.items()}
                self.chosen = min(medians, key=medians.get)
                self.expected = medians[self.chosen]
                self._trial = None

    def restore(self) -> None:
        if self.options and self.default:
            set_threads(self.default)
