"""Finding the digit in a drawing: drop the specks around it, and even out the pen.

Children's drawings come with accidental dots and ticks, and with pens from a hairline to a
marker. Two steps, both as whole-array operations:

- `keep_main_ink`: the ink is split into connected pieces on a coarse grid (7x7 canvas pixels a
  cell). Starting from the heaviest piece, a piece joins the digit when it lies close to what was
  kept, where "close" grows with its mass: a heavy stroke may stand well apart (the bar of a 5,
  the stem of a 4), a speck must touch or nearly touch. What is left out is returned too, so the
  tab can show it.
- `set_pen_width`: the stroke width is measured as 2 * area / perimeter (a stroke of length L and
  width w has area wL and a perimeter of about 2L) and brought to MNIST's by grey dilation or
  erosion, one pixel of radius at a time.
"""
from __future__ import annotations

import numpy as np

GRID = 40  # cells along the canvas's longer side for the connected components (7 pixels on 280)
CELL_INK = 0.2  # a cell with a pixel above this is inked
NEAR = 0.1  # a piece this far from the kept ink (in units of its size) is near whatever its mass ...
REACH = 1.0  # ... and a piece of relative mass m may stand NEAR + REACH * m sizes away


def label_components(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool -> (H, W) int labels, 0 for background, 8-connected. Each piece's label is the
    largest flat index (+1) of its cells: neighbours take the largest label around them, and a
    label then jumps to the label of the cell it names (pointer jumping), so long strokes
    converge in a few dozen whole-array passes."""
    H, W = mask.shape
    labels = np.where(mask, np.arange(1, H * W + 1).reshape(H, W), 0)
    padded = np.zeros((H + 2, W + 2), labels.dtype)
    while True:
        padded[1:-1, 1:-1] = labels  # the 3x3 maximum, separably: rows of three, then columns
        rows = np.maximum(np.maximum(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])  # (H+2, W)
        m = np.maximum(np.maximum(rows[:-2], rows[1:-1]), rows[2:])  # (H, W)
        m *= mask
        m = m.reshape(-1)[np.maximum(m - 1, 0)] * mask  # jump: the label of the cell m names
        if np.array_equal(m, labels):
            return labels
        labels = m


def keep_main_ink(canvas: np.ndarray, grid: int = GRID):
    """canvas (H, W) in [0, 1] -> (kept (H, W), dropped (H, W) or None when the ink is one
    piece, number of pieces dropped)."""
    H, W = canvas.shape
    cell = max(2, -(-max(H, W) // grid))
    h, w = -(-H // cell), -(-W // cell)
    padded = np.zeros((h * cell, w * cell), np.float32)
    padded[:H, :W] = canvas
    # per cell: reduce the rows of each band of `cell` rows first (contiguous, fast), then columns
    mass = padded.reshape(h, cell, -1).sum(axis=1).reshape(h, w, cell).sum(axis=2)  # (h, w) ink per cell
    peak = padded.reshape(h, cell, -1).max(axis=1).reshape(h, w, cell).max(axis=2)  # (h, w)
    labels = label_components(peak > CELL_INK)  # (h, w)
    counts = np.bincount(labels.ravel(), minlength=h * w + 1)
    ids = np.flatnonzero(counts[1:]) + 1  # the pieces' labels
    n = len(ids)
    lookup = np.full(h * w + 1, -1)
    lookup[ids] = np.arange(n)
    inverse = lookup[labels]  # (h, w) piece index, -1 for background
    inked = inverse >= 0
    piece_mass = np.bincount(inverse[inked], mass[inked], n)  # (n,)
    if n <= 1:
        return canvas, None, 0
    rows, cols = np.mgrid[0:h, 0:w]
    idx, r, c = inverse[inked], rows[inked], cols[inked]
    top, left = np.full(n, h), np.full(n, w)
    bottom, right = np.full(n, -1), np.full(n, -1)
    np.minimum.at(top, idx, r)
    np.minimum.at(left, idx, c)
    np.maximum.at(bottom, idx, r)
    np.maximum.at(right, idx, c)
    keep = _choose(piece_mass, top, bottom, left, right)
    if keep.all():
        return canvas, None, 0
    kept_cells = np.where(inked, keep[np.maximum(inverse, 0)], False)
    dropped_cells = inked & ~kept_cells
    # anti-aliased edges spill into neighbouring cells: a kept piece keeps a one-cell margin
    grown = _grow(kept_cells) & ~dropped_cells
    kept_mask = grown.repeat(cell, axis=0).repeat(cell, axis=1)[:H, :W]
    kept = canvas * kept_mask
    return kept, canvas - kept, int((~keep).sum())


def _choose(mass, top, bottom, left, right) -> np.ndarray:
    """Which pieces make the digit: greedy from the heaviest, growing the kept box."""
    order = np.argsort(-mass)
    keep = np.zeros(len(mass), bool)
    keep[order[0]] = True
    box = np.array([top[order[0]], bottom[order[0]], left[order[0]], right[order[0]]], float)
    total = mass[order[0]]
    changed = True
    while changed:
        changed = False
        for i in order:
            if keep[i]:
                continue
            size = max(box[1] - box[0], box[3] - box[2]) + 1  # cells
            gap_y = max(0.0, top[i] - box[1] - 1, box[0] - bottom[i] - 1)
            gap_x = max(0.0, left[i] - box[3] - 1, box[2] - right[i] - 1)
            if np.hypot(gap_y, gap_x) <= size * (NEAR + REACH * mass[i] / total):
                keep[i] = changed = True
                total += mass[i]
                box = np.array([min(box[0], top[i]), max(box[1], bottom[i]),
                                min(box[2], left[i]), max(box[3], right[i])], float)
    return keep


def _grow(mask: np.ndarray) -> np.ndarray:
    """Binary dilation by one cell (8-neighbourhood)."""
    p = np.pad(mask, 1)
    H, W = mask.shape
    out = mask.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= p[dy:dy + H, dx:dx + W]
    return out


def pen_width(image: np.ndarray, threshold: float = 0.5) -> float:
    """Estimated stroke width in pixels: 2 * area / perimeter of the ink above threshold, the
    perimeter counted as pixel edges times pi/4 (edges overcount a slanted boundary by 4/pi on
    average over directions)."""
    ink = image > threshold
    area = float(ink.sum())
    if area == 0:
        return 0.0
    p = np.pad(ink, 1)
    edges = np.count_nonzero(p[1:, :] != p[:-1, :]) + np.count_nonzero(p[:, 1:] != p[:, :-1])
    return 2.0 * area / (edges * np.pi / 4)


def _step(image: np.ndarray, op, square: bool) -> np.ndarray:
    """Grey dilation (op=np.maximum) or erosion (np.minimum) by one pixel: a 3x3 square or a cross."""
    fill = 0.0 if op is np.maximum else 1.0
    H, W = image.shape
    p = np.full((H + 2, W + 2), fill, image.dtype)
    p[1:-1, 1:-1] = image
    out = image.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if (dy, dx) != (1, 1) and (square or dy == 1 or dx == 1):
                op(out, p[dy:dy + H, dx:dx + W], out=out)
    return out


def set_pen_width(image: np.ndarray, target: float, width: float | None = None) -> np.ndarray:
    """Grow or thin the strokes of image (H, W) in [0, 1] from their width (measured when not
    given) to `target` pixels: (target - width) / 2 pixels of radius, whole steps alternating
    square and cross (a rough disc), the last fraction blended."""
    width = pen_width(image) if width is None else width
    if width <= 0:
        return image
    radius = (target - width) / 2
    op = np.maximum if radius > 0 else np.minimum
    if radius < 0:  # never thin a stroke below 1.5 pixels: it would break apart
        radius = max(radius, -(width - 1.5) / 2)
    steps = abs(radius)
    out = image
    for k in range(int(steps)):
        out = _step(out, op, square=k % 2 == 1)
    frac = steps - int(steps)
    if frac > 0.05:
        out = out + frac * (_step(out, op, square=int(steps) % 2 == 1) - out)
    return out
