"""The plane as the views see it, computed with NumPy from a copy of the weights: the grid of
sample points, every neuron's value on it (the heatmaps), and the line where the score is 0.

Never through Values: 6,400 grid points through the scalar engine would stall the app.
"""
from __future__ import annotations

import numpy as np

from models.autograd import features as feats
from models.autograd.model import layer_outputs


def grid_points(bounds, resolution: int) -> np.ndarray:
    """(resolution², 2) points on a square grid over bounds (x0, x1, y0, y1); row-major with y
    as the row, so .reshape(resolution, resolution) puts y down the rows."""
    x0, x1, y0, y1 = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return np.stack([gx.ravel(), gy.ravel()], 1)  # (res*res, 2)


def neuron_grids(arrays, activations, features, bounds, resolution=80) -> list[np.ndarray]:
    """Every neuron over the plane: [(F, R, R) the inputs, (h1, R, R), ..., (1, R, R) the score]
    for weights `arrays` (a state_dict copy). Row r is y, column c is x."""
    inputs = feats.feature_matrix(grid_points(bounds, resolution), features)  # (R*R, F)
    outs = layer_outputs(arrays, activations, inputs)
    return [h.T.reshape(-1, resolution, resolution) for h in outs]  # (n_k, R, R) each


THUMB = 40  # a neuron's thumbnail in the network view: no more than 40 x 40 samples


def thumbnails(neurons, size: int = THUMB) -> list[np.ndarray]:
    """The network view's heatmaps, ready for an indexed image: per layer (n, T, T) uint8 colour
    indices (0 = -1, 255 = +1), rows flipped so that row 0 is the top of the plane. The output
    goes through tanh first (a score is unbounded). Made next to the generator, not in the GUI."""
    out, last = [], len(neurons) - 1
    for c, grids in enumerate(neurons):
        step = max(1, grids.shape[1] // size)  # 80 -> 40: a thumbnail needs no more
        g = np.asarray(grids[:, ::step, ::step][:, ::-1], dtype=np.float64)  # (n, T, T), top first
        if c == last:
            g = np.tanh(g)
        with np.errstate(invalid="ignore"):
            idx = np.clip((g + 1.0) * 127.5, 0, 255)
        out.append(np.nan_to_num(idx).astype(np.uint8))
    return out


def decision_grid(arrays, activations, features, bounds, resolution=80) -> np.ndarray:
    """Scores on a resolution x resolution grid over bounds; row r is y."""
    return neuron_grids(arrays, activations, features, bounds, resolution)[-1][0]  # (R, R)


def boundary_segments(grid, bounds) -> np.ndarray:
    """The line where the score is 0, as segments (M, 2, 2) of (x, y) pairs: marching squares
    over the grid, vectorised, so the view just draws them (in the worker, not the GUI)."""
    g = np.asarray(grid, dtype=np.float64)  # (R, C), row r at y, column c at x
    R, C = g.shape
    x0, x1, y0, y1 = bounds
    xs, ys = np.linspace(x0, x1, C), np.linspace(y0, y1, R)
    with np.errstate(divide="ignore", invalid="ignore"):
        th = g[:, :-1] / (g[:, :-1] - g[:, 1:])  # (R, C-1) where along a row edge it crosses
        tv = g[:-1, :] / (g[:-1, :] - g[1:, :])  # (R-1, C) the same along column edges
    cross_h = (g[:, :-1] > 0) != (g[:, 1:] > 0)  # (R, C-1)
    cross_v = (g[:-1, :] > 0) != (g[1:, :] > 0)  # (R-1, C)
    hx = xs[:-1] + th * (xs[1] - xs[0])  # (R, C-1)
    hy = np.broadcast_to(ys[:, None], hx.shape)
    vy = ys[:-1, None] + tv * (ys[1] - ys[0])  # (R-1, C)
    vx = np.broadcast_to(xs[None, :], vy.shape)
    # the 4 edges of cell (i, j), going round it: bottom, left, top, right
    px = np.stack([hx[:-1], vx[:, :-1], hx[1:], vx[:, 1:]], -1)  # (R-1, C-1, 4)
    py = np.stack([hy[:-1], vy[:, :-1], hy[1:], vy[:, 1:]], -1)  # (R-1, C-1, 4)
    hit = np.stack([cross_h[:-1], cross_v[:, :-1], cross_h[1:], cross_v[:, 1:]], -1)
    points = np.stack([px, py], -1)[hit].reshape(-1, 2)  # (2 or 4 per crossed cell, 2)
    return points.reshape(-1, 2, 2)  # consecutive crossings pair up (a saddle: 2 segments)


def plot_bounds(X, margin=0.5):
    """(x0, x1, y0, y1) around the data, square, so the plane is not distorted."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    lo = X.min(0) - margin if len(X) else np.array([-1.5, -1.5])
    hi = X.max(0) + margin if len(X) else np.array([1.5, 1.5])
    centre, half = (lo + hi) / 2, max(hi - lo) / 2
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
