"""How many threads OpenBLAS (bundled with NumPy) uses for our matmuls.

Our models' matrices are small. OpenBLAS splits even a (64, 256) @ (256, 128) product over its
threads; on a busy two-core machine the threads wait for each other and one such product took
13 ms instead of 0.3 ms. Two tools:

- `blas_threads(n)`: a block in which the calling thread alone uses n threads
  (`openblas_set_num_threads_local`, OpenBLAS >= 0.3.27), so a training worker can go
  single-threaded without slowing anything else in the process. The names and transformer
  models train this way.
- `ThreadTuner`: the MNIST net's matmuls are large enough for two threads to win on an idle
  machine, so it times a few steps with each count now and then and keeps the faster one.

And one BLAS call NumPy does not offer: `subtract_product(c, a, b)`, c -= a.T @ b in place
(sgemm with beta = 1), with which the MNIST MLP's plain-SGD step updates a weight matrix by the
very product that makes its gradient.

The library is found through ctypes, the way threadpoolctl does it. Where it is not found
(another BLAS, an unusual install), everything here quietly does nothing.
"""
from __future__ import annotations

import ctypes
import glob
import os
import statistics
import time
from contextlib import contextmanager

import numpy as np

# Symbol names differ between builds: NumPy's wheels prefix and suffix some (64-bit integers), not all.
_NAMES = {
    "get": ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads"),
    "set": ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads"),
    "set_local": ("openblas_set_num_threads_local", "scipy_openblas_set_num_threads_local64_",
                  "scipy_openblas_set_num_threads_local"),
}
# cblas_sgemm: the "64_" builds (NumPy's wheels) take 64-bit integers, the others 32-bit ones.
_SGEMM_NAMES = ("scipy_cblas_sgemm64_", "cblas_sgemm64_", "scipy_cblas_sgemm", "cblas_sgemm")
_functions: dict | None = None


def _library_paths() -> list[str]:
    root = os.path.dirname(np.__file__)
    paths = (glob.glob(os.path.join(root, "..", "numpy.libs", "*openblas*"))  # Linux, Windows wheels
             + glob.glob(os.path.join(root, ".dylibs", "*openblas*")))  # macOS wheels
    try:  # whatever OpenBLAS this process has actually loaded (Linux)
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths += sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        pass
    return paths


def _blas() -> dict:
    """{"get", "set", "set_local"} C functions of the loaded OpenBLAS; missing ones are absent."""
    global _functions
    if _functions is None:
        _functions = {}
        for path in _library_paths():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            found = {key: getattr(lib, name) for key, names in _NAMES.items()
                     for name in reversed(names) if hasattr(lib, name)}  # reversed: the first name wins
            if "get" in found and "set" in found:
                found["get"].restype = ctypes.c_int
                if "set_local" in found:
                    found["set_local"].restype, found["set_local"].argtypes = ctypes.c_int, [ctypes.c_int]
                sgemm = next((name for name in _SGEMM_NAMES if hasattr(lib, name)), None)
                if sgemm:
                    i, n, f, p = ctypes.c_int, ctypes.c_int64 if sgemm.endswith("64_") else ctypes.c_int, \
                        ctypes.c_float, ctypes.c_void_p
                    found["sgemm"] = getattr(lib, sgemm)
                    found["sgemm"].restype = None  # (order, trans a, trans b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
                    found["sgemm"].argtypes = [i, i, i, n, n, n, f, p, n, p, n, f, p, n]
                _functions = found
                break
    return _functions


def get_threads() -> int | None:
    fn = _blas().get("get")
    return int(fn()) if fn else None


def set_threads(n: int) -> None:
    """The thread count for the whole process."""
    fn = _blas().get("set")
    if fn:
        fn(int(n))


@contextmanager
def blas_threads(n: int = 1):
    """Within the block, BLAS calls made by this thread use `n` threads."""
    setter = _blas().get("set_local")
    if setter is None:
        yield
        return
    previous = setter(n)
    try:
        yield
    finally:
        setter(previous)


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS's enums


def can_subtract_product() -> bool:
    return "sgemm" in _blas()


def subtract_product(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """c -= a.T @ b, for a (K, M), b (K, N), c (M, N), float32 and C-contiguous, as one BLAS call
    (sgemm with alpha -1, beta 1): the product is added into c as it is made, with no (M, N)
    array for it and no second pass over c. Returns False, having done nothing, where that call
    is unavailable (another BLAS, another dtype, a strided array)."""
    sgemm = _blas().get("sgemm")
    if (sgemm is None or not (a.dtype == b.dtype == c.dtype == np.float32)
            or not (a.flags.c_contiguous and b.flags.c_contiguous and c.flags.c_contiguous)):
        return False
    (k, m), n = a.shape, b.shape[1]
    if b.shape[0] != k or c.shape != (m, n):  # BLAS would read or write past the arrays
        raise ValueError(f"cannot subtract {a.shape}.T @ {b.shape} from {c.shape}")
    sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, -1.0, a.ctypes.data, m, b.ctypes.data, n, 1.0, c.ctypes.data, n)
    return True


class ThreadTuner:
    """Call `before_step()` and `after_step()` around each training step. Every `every` steps it
    tries each thread count (1, then the default) for up to `probe` steps, cutting a trial short
    when a step is far slower than the best so far, and keeps the faster count until the next
    trials, which also start at once when steps turn 3x faster than the trials said, or slower
    than they allow: 4x for one thread, and for several no slower than one thread was (the load
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
        self._slowest = None  # a step slower than this is off (see the class's docstring)
        self._off = 0  # consecutive steps far slower or faster than expected

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
                # off: slower than the trials allow, or 3x faster (they ran in a busy spell, now over)
                elapsed = time.perf_counter() - self._t0
                off = not (self.expected / 3 <= elapsed <= self._slowest)
                self._off = self._off + 1 if off else 0
                if self._off >= 3:  # the machine got busier (or quieter): try again now
                    self._trial, self._times, self._off = 0, {}, 0
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
                # Several threads stay only while they beat one: a second core that gets busy
                # can make them lose by 30% without stalling them (4x)
                self._slowest = 4 * self.expected if self.chosen == 1 else min(4 * self.expected, medians[1])
                self._trial = None

    def restore(self) -> None:
        if self.options and self.default:
            set_threads(self.default)
