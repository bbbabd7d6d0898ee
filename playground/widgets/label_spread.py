"""Labels that do not cover each other: move overlapping boxes apart, each as little as it can.

    centres = spread(anchors, half_sizes)   # pixels in, pixels out

Pure NumPy (a test drives it without Qt). Used where a plot labels a few dozen points with
letters, which bunch up where the points do (the Attention tab's character embeddings).
"""
from __future__ import annotations

import numpy as np


def spread(anchors: np.ndarray, half: np.ndarray, rounds: int = 200, gap: float = 1.0) -> np.ndarray:
    """Centres for boxes of half-sizes `half` (n, 2), starting at `anchors` (n, 2), such that no
    two boxes overlap (up to `rounds` rounds). Each round, every overlapping pair is pushed apart
    along the axis where it overlaps least, half the overlap each; boxes that sit on the same
    spot are split by their order, so the result does not depend on chance."""
    pos = np.asarray(anchors, float).copy()
    half = np.asarray(half, float) + gap / 2
    n = len(pos)
    if n < 2:
        return pos
    upper = np.triu(np.ones((n, n), bool), 1)  # each pair once
    order = np.arange(n)
    for _ in range(rounds):
        d = pos[:, None, :] - pos[None, :, :]  # (n, n, 2): i minus j
        reach = half[:, None, :] + half[None, :, :]  # how far apart their centres must be
        overlap = reach - np.abs(d)  # > 0 on both axes: the boxes overlap
        hit = (overlap > 1e-9).all(axis=2) & upper
        if not hit.any():
            break
        i, j = np.nonzero(hit)
        ov = overlap[i, j]  # (k, 2)
        axis = (ov[:, 1] < ov[:, 0]).astype(int)  # push along the axis of least overlap
        amount = ov[np.arange(len(i)), axis] / 2
        side = np.sign(d[i, j, axis])
        side[side == 0] = np.where(order[i] < order[j], 1.0, -1.0)[side == 0]  # same spot: by order
        push = np.zeros((n, 2))
        np.add.at(push, (i, axis), side * amount)
        np.add.at(push, (j, axis), -side * amount)
        pos += push
    return pos


def layout(points: np.ndarray, half: np.ndarray, scale, gap: float = 3.0, rounds: int = 200):
    """Labels for `points` (n, 2, data units) whose half-sizes are `half` (n, 2, pixels), on a
    view of `scale` data units per pixel (x, y): (centres (n, 2), moved (n,) bools, lines (2m, 2)),
    where lines holds, pair by pair, each moved label's point and the edge of its box nearest it
    (a line back to where it belongs), all in data units. Fewer `rounds` (a view redrawn while
    it trains) may leave a tight crowd overlapping a little: ~45 us a round for 27 labels."""
    scale = np.asarray(scale, float)
    anchors = np.asarray(points, float) / scale
    centres = spread(anchors, half, rounds=rounds, gap=gap)
    d = centres - anchors
    reach = np.min(np.asarray(half) / np.maximum(np.abs(d), 1e-9), axis=1)  # the box's edge, as a share of d
    moved = reach < 1
    lines = np.empty((2 * moved.sum(), 2))
    lines[0::2], lines[1::2] = anchors[moved], (centres - d * reach[:, None])[moved]
    return centres * scale, moved, lines * scale
