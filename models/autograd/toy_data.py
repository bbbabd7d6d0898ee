"""Two-class toy sets in the plane, for the tiny MLP of the Autograd tab.

Each generator returns X (n, 2) float64 and y (n,) float64 with labels -1 / +1 (micrograd's
convention: the sign of the score is the class). Same (points, noise, seed) -> same data.
"""
from __future__ import annotations

import numpy as np

DATASETS = ("moons", "circles", "xor", "spiral")
MAX_POINTS = 2_000  # the scalar engine trains on every point each step; beyond this it crawls


def moons(n=100, noise=0.1, seed=1):
    """Two interleaving half circles (the shape of sklearn's make_moons). With the defaults this
    is exactly the data of micrograd's demo benchmark (../shared/bench/micrograd_reference.py)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out = np.linspace(0, np.pi, n_out)  # (n_out,)
    t_in = np.linspace(0, np.pi, n - n_out)  # (n_in,)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])  # (n, 2)
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n - n_out)])  # (n,)
    return X, y


def circles(n=100, noise=0.1, seed=1):
    """A ring around a disc: class -1 on radius 1, class +1 on radius 0.5."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t = rng.uniform(0, 2 * np.pi, n)  # (n,)
    r = np.where(np.arange(n) < n_out, 1.0, 0.5)  # (n,)
    X = np.stack([r * np.cos(t), r * np.sin(t)], 1)  # (n, 2)
    X += rng.normal(scale=noise, size=X.shape)
    y = np.where(np.arange(n) < n_out, -1.0, 1.0)  # (n,)
    return X, y


def xor(n=100, noise=0.1, seed=1):
    """Four squares of side 1, a gap of 0.2 between them: class +1 where x and y have the same
    sign (first and third quadrants), -1 in the other two. Half the points in each class."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < n // 2, -1.0, 1.0)  # (n,)
    sx = rng.choice([-1.0, 1.0], n)  # (n,) the quadrant: sign of x, and of y times the class
    X = rng.uniform(0.1, 1.1, (n, 2)) * np.stack([sx, sx * y], 1)  # (n, 2)
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def spiral(n=100, noise=0.1, seed=1):
    """Two interleaved spirals, 1.5 turns each, radius 0.1 .. 1."""
    rng = np.random.default_rng(seed)
    n_a = n // 2
    counts = (n_a, n - n_a)
    parts, labels = [], []
    for k, m in enumerate(counts):
        s = np.linspace(0, 1, m)  # (m,)
        r = 0.1 + 0.9 * s
        t = 3 * np.pi * s + k * np.pi
        parts.append(np.stack([r * np.cos(t), r * np.sin(t)], 1))  # (m, 2)
        labels.append(np.full(m, -1.0 if k == 0 else 1.0))
    X = np.concatenate(parts)  # (n, 2)
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.concatenate(labels)


_GENERATORS = {"moons": moons, "circles": circles, "xor": xor, "spiral": spiral}


def make_dataset(name: str, points: int = 100, noise: float = 0.1, seed: int = 1):
    """(X (n, 2), y (n,)) of the named set; ValueError with a user message for bad settings."""
    if name not in _GENERATORS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points must be between 2 and {MAX_POINTS}, not {points}")
    if not 0 <= noise <= 2:
        raise ValueError(f"noise must be between 0 and 2, not {noise:g}")
    return _GENERATORS[name](points, noise, seed)
