"""A photo or scan of a handwritten digit -> a canvas like the drawing canvas (ink = 1, paper = 0).

Paper may be light with dark ink (pen on paper) or dark with light ink (chalk on a board, a
screenshot of MNIST itself): the border of the picture is mostly paper, so its median brightness
says which. Uneven light is evened out against a coarse estimate of the paper's brightness, and
faint paper texture below a threshold is cut away before the usual preprocess().
"""
from __future__ import annotations

import numpy as np

from models.digits.preprocess import resample_matrix

MAX_SIDE = 400  # photos are shrunk to this many pixels on their longer side first
NOISE = 0.25  # ink fractions below this are paper texture or shadow


def shrink(gray: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Anti-aliased downscale so the longer side is at most max_side (no change when smaller)."""
    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return gray.astype(np.float32)
    H, W = max(1, round(h * scale)), max(1, round(w * scale))
    ry = resample_matrix(h, H, H / h, h / 2, H / 2)  # (H, h)
    rx = resample_matrix(w, W, W / w, w / 2, W / 2)  # (W, w)
    return ry @ gray.astype(np.float32) @ rx.T  # (H, W)


def is_light_background(gray: np.ndarray) -> bool:
    """True when the picture's border (mostly paper) is nearer its brightest than its darkest
    tones: dark ink on light paper."""
    h, w = gray.shape
    m = max(1, min(h, w) // 20)
    border = np.concatenate([gray[:m].ravel(), gray[-m:].ravel(), gray[:, :m].ravel(), gray[:, -m:].ravel()])
    lo, hi = np.percentile(gray, [1, 99])
    return float(np.median(border)) > (lo + hi) / 2


def paper_level(ink: np.ndarray, blocks: int = 8) -> np.ndarray:
    """A smooth estimate of the paper under the ink (in ink units: ~0 where the paper is clean):
    the 10th percentile of each block of a coarse grid, capped near the median block (a block
    covered by a thick stroke is not paper), spread back bilinearly over the picture."""
    h, w = ink.shape
    ys = np.linspace(0, h, blocks + 1).astype(int)
    xs = np.linspace(0, w, blocks + 1).astype(int)
    grid = np.array([[np.percentile(ink[ys[i]:max(ys[i + 1], ys[i] + 1), xs[j]:max(xs[j + 1], xs[j] + 1)], 10)
                      for j in range(blocks)] for i in range(blocks)], np.float32)  # (blocks, blocks)
    grid = np.minimum(grid, np.median(grid) + 0.1)
    ry = resample_matrix(blocks, h, h / blocks, blocks / 2, h / 2)  # (h, blocks) upsampling
    rx = resample_matrix(blocks, w, w / blocks, blocks / 2, w / 2)  # (w, blocks)
    norm = np.outer(ry.sum(1), rx.sum(1))  # (h, w) edge correction
    return (ry @ grid @ rx.T) / np.maximum(norm, 1e-6)


def photo_to_canvas(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """gray (H, W) brightness in [0, 1] -> (canvas (h, w) with ink = 1 in [0, 1], inverted) where
    `inverted` says the picture was dark ink on light paper."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or min(gray.shape) < 8:
        raise ValueError(f"the picture must be a 2-D image of at least 8x8 pixels, not {gray.shape}")
    gray = shrink(np.clip(gray, 0.0, 1.0))
    inverted = is_light_background(gray)
    ink = 1.0 - gray if inverted else gray  # (h, w) ink bright
    ink = ink - paper_level(ink)  # uneven light and grey paper removed
    top = float(np.percentile(ink, 99.9))
    if top <= 0.05:
        return np.zeros_like(ink), inverted  # a blank page
    ink = (ink / top - NOISE) / (1.0 - NOISE)
    return np.clip(ink, 0.0, 1.0), inverted
