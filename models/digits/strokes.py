"""Digits drawn the way people draw them on a canvas, made programmatically.

Each digit has a few stroke templates (a 1 with or without a flag and a base, an open or closed
4, a 7 with or without a cross bar, ...) in a unit box, x right and y down. `draw_digit` picks one,
wobbles it, slants, rotates, stretches, sizes and places it anywhere on the canvas, and renders it
with an anti-aliased round pen of random width. These are what the net must read, and nothing of
MNIST is in them: they test the whole pipeline, preprocess() included.
"""
from __future__ import annotations

import numpy as np


def _line(x0, y0, x1, y1, n=12):
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * np.array([x0, y0]) + t * np.array([x1, y1])  # (n, 2)


def _arc(cx, cy, rx, ry, a0, a1, n=40):
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down: screen coords)."""
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], 1)  # (n, 2)


def _join(*parts):
    return np.concatenate(parts, 0)


def _figure_eight(n=80):
    t = np.linspace(0.0, 1.0, n)
    y = 0.5 - 0.5 * np.cos(2 * np.pi * t)
    x = 0.5 + (0.24 + 0.1 * y) * np.sin(4 * np.pi * t)  # the lower loop a little wider
    return np.stack([x, y], 1)  # (n, 2)


# Templates: digit -> list of variants; a variant is a list of strokes; a stroke is (n, 2) points.
TEMPLATES = {
    0: [[_arc(0.5, 0.5, 0.32, 0.5, -90, 275)],
        [_arc(0.5, 0.5, 0.4, 0.48, -100, 265)]],
    1: [[_line(0.5, 0.0, 0.5, 1.0)],
        [_join(_line(0.25, 0.22, 0.55, 0.0), _line(0.55, 0.0, 0.55, 1.0))],  # with a flag
        [_join(_line(0.25, 0.22, 0.52, 0.0), _line(0.52, 0.0, 0.52, 1.0)),
         _line(0.25, 1.0, 0.8, 1.0)]],  # flag and base
    2: [[_join(_arc(0.5, 0.28, 0.32, 0.28, 190, 370), _line(0.82, 0.3, 0.12, 1.0), _line(0.12, 1.0, 0.9, 1.0))],
        [_join(_arc(0.5, 0.3, 0.35, 0.3, 200, 380), _arc(-0.05, 0.3, 0.9, 0.68, 0, 80),
               _line(0.1, 0.97, 0.9, 0.95))]],  # curved neck
    3: [[_join(_arc(0.45, 0.25, 0.3, 0.25, 200, 450), _arc(0.45, 0.74, 0.36, 0.26, 270, 520))],
        [_join(_line(0.15, 0.0, 0.8, 0.0), _line(0.8, 0.0, 0.4, 0.42), _arc(0.45, 0.7, 0.38, 0.3, 280, 510))]],
    4: [[_join(_line(0.65, 0.0, 0.05, 0.68), _line(0.05, 0.68, 0.9, 0.68)), _line(0.65, 0.0, 0.65, 1.0)],
        [_join(_line(0.15, 0.0, 0.12, 0.6), _line(0.12, 0.6, 0.85, 0.6)), _line(0.68, 0.05, 0.68, 1.0)]],  # open
    5: [[_join(_line(0.8, 0.0, 0.22, 0.0), _line(0.22, 0.0, 0.18, 0.45), _arc(0.45, 0.68, 0.37, 0.32, 230, 490))],
        [_join(_line(0.22, 0.0, 0.18, 0.45), _arc(0.45, 0.68, 0.37, 0.32, 230, 490)), _line(0.22, 0.0, 0.85, 0.0)]],
    6: [[_join(_arc(0.9, 0.55, 0.7, 0.6, 250, 180), _arc(0.5, 0.72, 0.32, 0.28, 180, 540))],
        [_join(_line(0.7, 0.0, 0.25, 0.55), _arc(0.5, 0.72, 0.3, 0.28, 200, 560))]],
    7: [[_join(_line(0.08, 0.0, 0.9, 0.0), _line(0.9, 0.0, 0.35, 1.0))],
        [_join(_line(0.08, 0.0, 0.9, 0.0), _line(0.9, 0.0, 0.35, 1.0)), _line(0.35, 0.52, 0.85, 0.48)],  # crossed
        [_join(_line(0.05, 0.12, 0.1, 0.0), _line(0.1, 0.0, 0.9, 0.0), _arc(0.2, 0.0, 0.7, 1.0, 0, 90)[::1])]],
    8: [[_join(_arc(0.5, 0.25, 0.27, 0.25, 90, 450), _arc(0.5, 0.74, 0.34, 0.26, -90, 270))],
        [_figure_eight()]],  # one stroke crossing itself
    9: [[_join(_arc(0.5, 0.3, 0.32, 0.3, 0, 360), _line(0.82, 0.3, 0.78, 1.0))],
        [_join(_arc(0.45, 0.3, 0.32, 0.3, 10, 370), _line(0.77, 0.36, 0.45, 1.0))],
        [_join(_arc(0.5, 0.3, 0.32, 0.3, 0, 360), _arc(0.3, 0.3, 0.52, 0.7, 0, 100))]],
}


def variants(digit: int) -> int:
    return len(TEMPLATES[digit])


def _resample(points: np.ndarray, step: float) -> np.ndarray:
    """Points spaced about `step` apart along the polyline."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], max(2, int(s[-1] / step) + 1))
    return np.stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])], 1)


def render(strokes, size: int, width: float) -> np.ndarray:
    """Anti-aliased round-pen rendering of polylines (canvas coordinates) -> (size, size) in [0, 1].
    Segment by segment, each over only its own small window of pixels."""
    canvas = np.zeros((size, size), np.float32)
    half = width / 2
    reach = half + 1.5
    for pts in strokes:
        pts = _resample(pts, max(1.5, half))
        for a, b in zip(pts[:-1], pts[1:]):
            lo = np.maximum(0, np.floor(np.minimum(a, b) - reach)).astype(int)
            hi = np.minimum(size, np.ceil(np.maximum(a, b) + reach)).astype(int)
            if np.any(hi <= lo):
                continue
            px = np.arange(lo[0], hi[0]) + 0.5  # (w,) pixel centres
            py = np.arange(lo[1], hi[1]) + 0.5  # (h,)
            ab = b - a
            dx, dy = px[None, :] - a[0], py[:, None] - a[1]  # (1, w), (h, 1)
            t = np.clip((dx * ab[0] + dy * ab[1]) / max(float(ab @ ab), 1e-9), 0.0, 1.0)  # (h, w)
            dist = np.hypot(dx - t * ab[0], dy - t * ab[1])  # (h, w)
            ink = np.clip(half + 0.5 - dist, 0.0, 1.0)  # a 1-pixel anti-aliased edge
            region = canvas[lo[1]:hi[1], lo[0]:hi[0]]
            np.maximum(region, ink, out=region)
    return canvas


def draw_digit(digit: int, rng: np.random.Generator, size: int = 280, variant: int | None = None,
               width: float | None = None, height: float | None = None, slant: float | None = None,
               angle: float | None = None, edit=None) -> np.ndarray:
    """A (size, size) canvas in [0, 1] with `digit` drawn as a person might: random style variant,
    wobble, slant, rotation (degrees), proportions, size, position and pen width (each can be
    fixed). `edit(strokes, rng) -> strokes` may change the strokes in the unit box first (the
    sloppy set's gaps, overshoots and strokes gone over twice: models.digits.sloppy)."""
    options = TEMPLATES[digit]
    strokes = [s.copy() for s in options[rng.integers(len(options)) if variant is None else variant]]
    wobble = rng.normal(0, 0.02, (len(strokes), 2))  # each stroke a little off where it should be
    strokes = [s + w + rng.normal(0, 0.006, s.shape) for s, w in zip(strokes, wobble)]
    if edit is not None:
        strokes = edit(strokes, rng)
    h = size * (rng.uniform(0.15, 0.85) if height is None else height)  # digit height on the canvas
    aspect = rng.uniform(0.65, 1.25)  # width / height of the unit box
    slant = rng.uniform(-0.35, 0.35) if slant is None else slant  # x shift per unit of height
    angle = np.radians(rng.uniform(-10, 10) if angle is None else angle)
    c, s = np.cos(angle), np.sin(angle)
    out = []
    for pts in strokes:
        x = (pts[:, 0] - 0.5) * aspect * 0.7 + slant * (0.5 - pts[:, 1])  # box centred on 0
        y = pts[:, 1] - 0.5
        out.append(np.stack([c * x - s * y, s * x + c * y], 1) * h)
    allpts = np.concatenate(out)
    if width is None:  # pens from a fine liner to a marker, but not wider than a quarter of the digit
        width = float(np.clip(rng.uniform(2.0, 0.09 * size), 2.0, max(2.0, h / 4)))
    margin = width / 2 + 1
    lo, hi = allpts.min(0) - margin, allpts.max(0) + margin
    room = size - (hi - lo)
    offset = -lo + rng.uniform(0, 1, 2) * np.maximum(room, 0)  # anywhere it fits: off-centre too
    return render([pts + offset for pts in out], size, width)


def drawing_set(n_per_digit: int, seed: int = 0, size: int = 280):
    """(10 * n, size, size) canvases and their (10 * n,) labels, every variant equally often."""
    rng = np.random.default_rng(seed)
    canvases, labels = [], []
    for d in range(10):
        for i in range(n_per_digit):
            canvases.append(draw_digit(d, rng, size, variant=i % variants(d)))
            labels.append(d)
    return np.stack(canvases), np.array(labels)
