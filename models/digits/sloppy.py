"""A synthetic set of sloppy drawings, the way children draw digits on a canvas (issue 14).

Made with the stroke drawer (models.digits.strokes), nothing of MNIST in it. Each category is
one kind of sloppiness, drawn with all ten digits and every template variant equally often:

    neat       draw_digit's usual spread (sizes 15-85% of the canvas, pens 2-25 px, slant, +-10 deg)
    stray      the same plus an accidental dot or short tick well away from the digit
    tiny       12-30% of the canvas height with a thin pen (1.5-4 px)
    huge       80-95% of the canvas height with a marker (28-45 px)
    slanted    strong slant (+-0.55) and rotation (+-30 deg)
    gaps       strokes that do not meet (a piece missing) and that overshoot their ends
    twice      every stroke gone over a second time, a little off the first

`sloppy_set(n, seed)` gives canvases, labels and category names; `score(predict, ...)` the
accuracy per category. The numbers it gives are in assets/README.md (the digits section).
"""
from __future__ import annotations

import numpy as np

from models.digits.strokes import draw_digit, render, variants

CATEGORIES = ("neat", "stray", "tiny", "huge", "slanted", "gaps", "twice")


def _gaps_and_overshoots(strokes, rng):
    """Cut one piece (6-12% of the unit box) out of a stroke, and extend stroke ends past where
    they should stop (5-15%)."""
    out = []
    cut = rng.integers(len(strokes))
    for k, s in enumerate(strokes):
        for end in (0, -1):  # overshoot both ends along their direction
            if rng.random() < 0.6:
                a, b = (s[0], s[1]) if end == 0 else (s[-1], s[-2])
                d = a - b
                d = d / max(np.linalg.norm(d), 1e-9)
                extra = a + d * rng.uniform(0.05, 0.15)
                s = np.concatenate([extra[None], s]) if end == 0 else np.concatenate([s, extra[None]])
        if k == cut and len(s) > 8:
            seg = np.linalg.norm(np.diff(s, axis=0), axis=1)
            arc = np.concatenate([[0.0], np.cumsum(seg)])
            at = rng.uniform(0.25, 0.75) * arc[-1]
            gap = rng.uniform(0.06, 0.12)
            before, after = s[arc < at - gap / 2], s[arc > at + gap / 2]
            out += [p for p in (before, after) if len(p) >= 2]
        else:
            out.append(s)
    return out


def _twice(strokes, rng):
    """Every stroke drawn again, shifted a little and wobbling on its own."""
    again = [s + rng.normal(0, 0.025, 2) + rng.normal(0, 0.008, s.shape) for s in strokes]
    return list(strokes) + again


def _add_stray(canvas: np.ndarray, rng, width: float) -> np.ndarray:
    """A dot or a short tick at a place at least a fifth of the canvas away from the ink."""
    size = canvas.shape[0]
    rows, cols = np.nonzero(canvas > 0.05)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    gap = 0.2 * size
    grid = np.stack(np.mgrid[0:size:8, 0:size:8], -1).reshape(-1, 2) + 4.0  # candidate (y, x) centres
    dy = np.maximum(0, np.maximum(top - grid[:, 0], grid[:, 0] - bottom))
    dx = np.maximum(0, np.maximum(left - grid[:, 1], grid[:, 1] - right))
    border = np.minimum(grid, size - grid).min(axis=1)
    ok = (np.hypot(dy, dx) >= gap) & (border > width)
    if not ok.any():  # the digit fills the canvas: the farthest corner it leaves
        ok = np.hypot(dy, dx) >= np.hypot(dy, dx).max() - 1
    y, x = grid[rng.choice(np.flatnonzero(ok))]
    pen = max(2.0, width * rng.uniform(0.6, 1.2))
    if rng.random() < 0.5:  # a dot: a click without movement
        mark = [np.array([[x, y], [x + 0.01, y]])]
    else:  # a tick: a short flick of the pen
        length, angle = rng.uniform(0.03, 0.08) * size, rng.uniform(0, np.pi)
        mark = [np.array([[x, y], [x + length * np.cos(angle), y + length * np.sin(angle)]])]
    return np.maximum(canvas, render(mark, size, pen))


def draw_sloppy(digit: int, category: str, rng: np.random.Generator, variant: int | None = None,
                size: int = 280) -> np.ndarray:
    """One (size, size) canvas of `digit` drawn with the sloppiness of `category`."""
    if category in ("neat", "stray"):
        h = rng.uniform(0.3, 0.85)
        width = float(np.clip(rng.uniform(2.0, 0.09 * size), 2.0, max(2.0, h * size / 4)))
        canvas = draw_digit(digit, rng, size, variant, width=width, height=h)
        return _add_stray(canvas, rng, width) if category == "stray" else canvas
    if category == "tiny":
        return draw_digit(digit, rng, size, variant, height=rng.uniform(0.12, 0.3), width=rng.uniform(1.5, 4.0))
    if category == "huge":
        return draw_digit(digit, rng, size, variant, height=rng.uniform(0.8, 0.95), width=rng.uniform(28, 45))
    if category == "slanted":
        return draw_digit(digit, rng, size, variant, slant=rng.uniform(-0.55, 0.55), angle=rng.uniform(-30, 30))
    if category == "gaps":
        return draw_digit(digit, rng, size, variant, edit=_gaps_and_overshoots)
    if category == "twice":
        return draw_digit(digit, rng, size, variant, edit=_twice)
    raise ValueError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")


def sloppy_set(n_per_digit: int, seed: int = 0, categories=CATEGORIES, size: int = 280):
    """(N, size, size) canvases, (N,) labels and (N,) category names: n_per_digit drawings of
    each digit in each category, cycling through the template variants."""
    rng = np.random.default_rng(seed)
    canvases, labels, kinds = [], [], []
    for category in categories:
        for d in range(10):
            for i in range(n_per_digit):
                canvases.append(draw_sloppy(d, category, rng, variant=i % variants(d), size=size))
                labels.append(d)
                kinds.append(category)
    return np.stack(canvases), np.array(labels), np.array(kinds)


def score(predicted: np.ndarray, labels: np.ndarray, kinds: np.ndarray) -> dict[str, float]:
    """Accuracy per category, and "all" (the mean over every sloppy drawing but the neat ones)."""
    right = np.asarray(predicted) == np.asarray(labels)
    out = {c: float(right[kinds == c].mean()) for c in dict.fromkeys(kinds)}
    sloppy = kinds != "neat"
    if sloppy.any():
        out["all"] = float(right[sloppy].mean())
    return out
