"""Finite-difference gradients, the yardstick every hand-written backward is checked against."""
from __future__ import annotations

import numpy as np


def numerical_grad(f, x: np.ndarray, eps: float = 1e-5, max_entries: int | None = None, rng=None):
    """Central differences of the scalar f() with respect to the array x (perturbed in place and
    restored). With `max_entries`, only that many randomly chosen entries are probed; the rest
    stay NaN. Returns an array shaped like x."""
    grad = np.full(x.shape, np.nan, dtype=np.float64)
    flat = x.reshape(-1)
    indices = np.arange(flat.size)
    if max_entries is not None and flat.size > max_entries:
        indices = (rng or np.random.default_rng(0)).choice(flat.size, max_entries, replace=False)
    gflat = grad.reshape(-1)
    for i in indices:
        old = flat[i]
        flat[i] = old + eps
        up = float(f())
        flat[i] = old - eps
        down = float(f())
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def max_relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a - n| / max(1e-8, |a| + |n|) over the entries numeric has (non-NaN)."""
    mask = ~np.isnan(numeric)
    a, n = np.asarray(analytic, dtype=np.float64)[mask], numeric[mask]
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))
