"""The inputs a point (x1, x2) of the plane can feed the tiny MLP, as in TensorFlow Playground.

A feature is a fixed function of the point, computed with NumPy before the Value engine sees
it: the network learns weights on top of the features, not the features themselves. Picking
x1² and x2² makes a circle a straight line in feature space, so one neuron can separate it.

    feature_matrix(X, ("x1", "x2", "x1x2"))   # (N, 2) points -> (N, 3) inputs
"""
from __future__ import annotations

import numpy as np

# name (as the command line and links write it) -> (label on screen, function of x1 and x2)
FEATURES = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1sq": ("x₁²", lambda x1, x2: x1 * x1),
    "x2sq": ("x₂²", lambda x1, x2: x2 * x2),
    "x1x2": ("x₁x₂", lambda x1, x2: x1 * x2),
    "sinx1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sinx2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}
DEFAULT = ("x1", "x2")


def label(name: str) -> str:
    return FEATURES[name][0]


def check(features) -> tuple[str, ...]:
    """The features in their canonical order; ValueError with a message for unknown or none."""
    features = tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; choose from {','.join(FEATURES)}")
    if not features:
        raise ValueError("pick at least one input feature")
    return tuple(f for f in FEATURES if f in features)  # one order everywhere: x1 first


def parse(text: str) -> tuple[str, ...]:
    """ "x1,x2,x1x2" -> ("x1", "x2", "x1x2"); ValueError with a message otherwise."""
    return check(s.strip() for s in text.replace(";", ",").split(",") if s.strip())


def feature_matrix(X, features) -> np.ndarray:
    """(N, 2) points -> (N, F) feature values, one column per feature in the given order."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)  # (N, 2)
    x1, x2 = X[:, 0], X[:, 1]  # (N,) each
    return np.stack([FEATURES[f][1](x1, x2) for f in features], 1)  # (N, F)
