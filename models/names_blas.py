"""One BLAS thread for the names models' small matrices, set for the calling thread only.

OpenBLAS splits even a (64, 256) @ (256, 128) product over its threads; on a busy two-core
machine the threads wait for each other and one such product took 13 ms instead of 0.3 ms.
`openblas_set_num_threads_local` (OpenBLAS >= 0.3.27, bundled with NumPy 2) changes the count
for the calling thread alone, so a training worker can go single-threaded without slowing
anything else in the process. Without it (another BLAS, an old OpenBLAS) this does nothing.
"""
from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager

import numpy as np

_setter = None
_looked = False


def _thread_local_setter():
    """openblas_set_num_threads_local from NumPy's bundled OpenBLAS, or None."""
    global _setter, _looked
    if not _looked:
        _looked = True
        root = os.path.dirname(np.__file__)
        candidates = (glob.glob(os.path.join(root, "..", "numpy.libs", "*openblas*"))  # Linux, Windows
                      + glob.glob(os.path.join(root, ".dylibs", "*openblas*")))  # macOS
        for path in candidates:
            try:
                fn = ctypes.CDLL(path).openblas_set_num_threads_local
            except (OSError, AttributeError):
                continue
            fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
            _setter = fn
            break
    return _setter


@contextmanager
def blas_threads(n: int = 1):
    """Within the block, BLAS calls made by this thread use `n` threads."""
    setter = _thread_local_setter()
    if setter is None:
        yield
        return
    previous = setter(n)
    try:
        yield
    finally:
        setter(previous)
