"""Toy sets in the plane for the tiny MLP of the Autograd tab, and their train/test split.

Each generator returns X (n, 2) float64 and y (n,) float64. Classification sets have labels
-1 / +1 (micrograd's convention: the sign of the score is the class); regression sets have a
target in [-1, 1] at each point. Same (points, noise, seed) -> same data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CLASSIFICATION = ("moons", "circles", "xor", "spiral", "blobs")
REGRESSION = ("plane", "gaussians")
DATASETS = CLASSIFICATION + REGRESSION
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


def blobs(n=100, noise=0.1, seed=1):
    """Two Gaussian blobs (TensorFlow Playground's "Gaussian"): class -1 around (-0.6, -0.6),
    +1 around (0.6, 0.6), spread 0.15 + noise, so noise 1 makes them overlap."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < n // 2, -1.0, 1.0)  # (n,)
    X = 0.6 * y[:, None] + rng.normal(scale=0.15 + noise, size=(n, 2))  # (n, 2)
    return X, y


def plane(n=100, noise=0.1, seed=1):
    """Regression: points uniform in [-1, 1]², target (x1 + x2) / 2 plus noise, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))  # (n, 2)
    y = (X[:, 0] + X[:, 1]) / 2 + rng.normal(scale=noise, size=n)  # (n,)
    return X, np.clip(y, -1, 1)


HILLS = np.array([[-0.6, 0.6, 1.0], [0.0, 0.6, -1.0], [0.6, 0.6, 1.0],
                  [-0.6, -0.6, -1.0], [0.0, -0.6, 1.0], [0.6, -0.6, -1.0]])  # x, y, height


def gaussians(n=100, noise=0.1, seed=1):
    """Regression: six Gaussian hills and pits of width 0.25 on [-1, 1]² (TensorFlow
    Playground's "multi Gaussian"); the target at a point is their sum plus noise, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))  # (n, 2)
    d2 = ((X[:, None, :] - HILLS[None, :, :2]) ** 2).sum(-1)  # (n, 6) squared distances
    y = (HILLS[:, 2] * np.exp(-d2 / (2 * 0.25 ** 2))).sum(1)  # (n,)
    return X, np.clip(y + rng.normal(scale=noise, size=n), -1, 1)


_GENERATORS = {"moons": moons, "circles": circles, "xor": xor, "spiral": spiral,
               "blobs": blobs, "plane": plane, "gaussians": gaussians}


def make_dataset(name: str, points: int = 100, noise: float = 0.1, seed: int = 1):
    """(X (n, 2), y (n,)) of the named set; ValueError with a user message for bad settings."""
    if name not in _GENERATORS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points must be between 2 and {MAX_POINTS}, not {points}")
    if not 0 <= noise <= 2:
        raise ValueError(f"noise must be between 0 and 2, not {noise:g}")
    return _GENERATORS[name](points, noise, seed)


def task_of(name: str) -> str:
    """ "classify" or "regress": what the network learns on this set."""
    return "regress" if name in REGRESSION else "classify"


@dataclass
class PlaneData:
    """The points a run learns from, and those it is judged on."""
    X: np.ndarray  # (n, 2) training points
    y: np.ndarray  # (n,) their labels (-1 / +1) or targets
    X_test: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (m, 2) never trained on
    y_test: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (m,)

    def __post_init__(self):
        self.X = np.asarray(self.X, np.float64).reshape(-1, 2)
        self.y = np.asarray(self.y, np.float64).reshape(-1)
        self.X_test = np.asarray(self.X_test, np.float64).reshape(-1, 2)
        self.y_test = np.asarray(self.y_test, np.float64).reshape(-1)
        if len(self.X) != len(self.y) or len(self.X_test) != len(self.y_test):
            raise ValueError("every point needs exactly one label")


def split(X, y, test_ratio: float = 0.0, seed: int = 1) -> PlaneData:
    """Hold out round(n * test_ratio) random points (at least one point is kept for training).
    Both parts keep the points' original order, so test_ratio 0 is the data as it came."""
    if not 0 <= test_ratio < 1:
        raise ValueError(f"the test ratio must be in [0, 1), not {test_ratio:g}")
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    n_test = min(int(round(len(y) * test_ratio)), len(y) - 1)
    test = np.zeros(len(y), bool)
    test[np.random.default_rng(seed).permutation(len(y))[:max(n_test, 0)]] = True
    return PlaneData(X[~test], y[~test], X[test], y[test])
