"""Random distortions of whole batches of 28x28 digits, so the net learns what people draw.

MNIST's writers were careful; people at a canvas are not. Each batch gets its own random affine
map per image (rotation, slant, scale, aspect, shift) plus, in the sloppy preset, an elastic
wobble (a smooth random displacement field), resampled bilinearly in one gather; a random stroke
weight (grey dilation or erosion blended in); and, sloppy again, gaps bitten out of the strokes
and stray specks: all as array operations on the whole batch.

`AugmentConfig()` is the recipe the shipped MLP of issue 7 was trained with; `SLOPPY` adds what
children's drawings do to digits (issue 14).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AugmentConfig:
    rotate: float = 12.0  # max rotation, degrees either way
    shear: float = 0.3  # max slant (x shift per unit of y), either way
    scale: tuple = (0.8, 1.1)  # overall size factor range
    aspect: float = 0.15  # max relative stretch of one axis against the other
    shift: float = 2.0  # max translation, pixels either way
    thicken: float = 0.45  # probability of a heavier stroke (grey dilation, blended)
    thin: float = 0.2  # probability of a lighter stroke (grey erosion, blended)
    flag_ones: float = 0.35  # probability that a 1 gets the flag many people (not MNIST's writers) draw
    elastic: float = 0.0  # std of the wobble, pixels (a smooth field over a 4x4 grid); 0 = none
    gaps: float = 0.0  # probability of a gap bitten out of the stroke (one or two small discs)
    specks: float = 0.0  # probability of a stray speck somewhere in the field


SLOPPY = AugmentConfig(rotate=25.0, shear=0.45, scale=(0.75, 1.1), aspect=0.2, shift=2.0, thicken=0.45,
                       thin=0.25, flag_ones=0.35, elastic=0.9, gaps=0.3, specks=0.15)


def random_affine(images: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """images (B, 28, 28) float32 -> (B, 28, 28), each through its own random affine map."""
    B, H, W = images.shape
    theta = np.radians(rng.uniform(-cfg.rotate, cfg.rotate, B))  # (B,)
    shear = rng.uniform(-cfg.shear, cfg.shear, B)  # (B,)
    s = rng.uniform(*cfg.scale, B)  # (B,)
    a = np.exp(rng.uniform(-cfg.aspect, cfg.aspect, B))  # (B,)
    sy, sx = s * a, s / a  # (B,) forward scale per axis
    t = rng.uniform(-cfg.shift, cfg.shift, (B, 2))  # (B, 2) forward shift (y, x)
    cos, sin = np.cos(theta), np.sin(theta)
    # Inverse map (output -> source): undo shift, rotation, shear, scale, in that order.
    # forward: p' = R @ Sh @ S @ p + t, with Sh = [[1, 0], [shear, 1]] (x moves with y: slant)
    inv = np.empty((B, 2, 2))  # (B, 2, 2) rows act on (dy, dx)
    # (R Sh S)^-1 = S^-1 Sh^-1 R^-1 ; R^-1 = [[cos, sin], [-sin, cos]] in (y, x) coordinates
    r = np.stack([np.stack([cos, sin], 1), np.stack([-sin, cos], 1)], 1)  # (B, 2, 2)
    shinv = np.zeros((B, 2, 2))
    shinv[:, 0, 0] = 1.0
    shinv[:, 1, 1] = 1.0
    shinv[:, 1, 0] = -shear
    inv = (np.stack([1 / sy, 1 / sx], 1)[:, :, None] * shinv) @ r  # (B, 2, 2)
    centre = np.array([H / 2, W / 2])
    yy, xx = np.mgrid[0:H, 0:W]
    grid = np.stack([yy.ravel() + 0.5, xx.ravel() + 0.5], 1) - centre  # (HW, 2) output coords
    src = (grid[None] - t[:, None, :]) @ inv.transpose(0, 2, 1) + centre  # (B, HW, 2)
    if cfg.elastic > 0:
        src += wobble(B, H, W, rng, cfg.elastic)
    return bilinear(images, src[..., 0], src[..., 1])


def wobble(B: int, H: int, W: int, rng: np.random.Generator, std: float, grid: int = 4) -> np.ndarray:
    """(B, H*W, 2) smooth random displacements: N(0, std) pixels at a grid x grid lattice,
    interpolated bilinearly over the field, so strokes bend rather than jitter."""
    coarse = rng.normal(0.0, std, (B, 2, grid, grid)).astype(np.float32)  # (B, 2, g, g)
    ry = _interp_matrix(grid, H)  # (H, g)
    rx = _interp_matrix(grid, W)  # (W, g)
    field = ry @ coarse @ rx.T  # (B, 2, H, W)
    return field.reshape(B, 2, H * W).transpose(0, 2, 1)  # (B, HW, 2)


def _interp_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) linear interpolation of n_in lattice values spread over n_out pixels."""
    u = np.linspace(0, n_in - 1, n_out)[:, None]  # (n_out, 1)
    return np.maximum(0.0, 1.0 - np.abs(u - np.arange(n_in)[None, :])).astype(np.float32)


def _discs(shape, centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """(B, H, W) anti-aliased discs in [0, 1] at centres (B, 2) (row, col), radius (B,)."""
    B, H, W = shape
    yy, xx = np.mgrid[0:H, 0:W]
    dy = yy[None] + 0.5 - centres[:, 0, None, None]  # (B, H, W)
    dx = xx[None] + 0.5 - centres[:, 1, None, None]
    return np.clip(radius[:, None, None] + 0.5 - np.hypot(dy, dx), 0.0, 1.0).astype(np.float32)


def bite_gaps(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a small disc (radius 0.8..1.6 px) centred on a random inked pixel of each image: a
    stroke that did not quite meet, or a pen lifted too early."""
    B, H, W = images.shape
    ink = images.reshape(B, -1) > 0.5  # (B, HW)
    score = rng.random((B, H * W)) * ink  # a random inked pixel wins
    at = np.argmax(score, axis=1)  # (B,)
    centres = np.stack([at // W + 0.5, at % W + 0.5], 1)  # (B, 2)
    hole = _discs(images.shape, centres, rng.uniform(0.8, 1.6, B))
    return images * (1.0 - hole) * ink.any(axis=1)[:, None, None] + images * ~ink.any(axis=1)[:, None, None]


def add_specks(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A stray dot (radius 0.5..1.3 px) anywhere in the field: what preprocessing could not tell
    from the digit, the net learns to ignore."""
    B, H, W = images.shape
    centres = rng.uniform(2, H - 2, (B, 2))
    return np.maximum(images, _discs(images.shape, centres, rng.uniform(0.5, 1.3, B)) * rng.uniform(0.5, 1, B)[:, None, None])


def bilinear(images: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """Sample images (B, H, W) at continuous points (B, H*W) (pixel i spans [i, i+1)); zero outside."""
    B, H, W = images.shape
    P = 2  # zero padding: any point outside lands on zeros after clipping
    padded = np.zeros((B, H + 2 * P, W + 2 * P), np.float32)  # (B, H+4, W+4)
    padded[:, P:P + H, P:P + W] = images
    y = np.clip(fy - 0.5 + P, 0, H + 2 * P - 2)  # (B, HW) padded index coords
    x = np.clip(fx - 0.5 + P, 0, W + 2 * P - 2)
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    wy, wx = (y - y0).astype(np.float32), (x - x0).astype(np.float32)
    Wp = W + 2 * P
    base = (np.arange(B) * (H + 2 * P) * Wp)[:, None] + y0 * Wp + x0  # (B, HW) flat index
    flat = padded.ravel()
    top = flat[base] * (1 - wx) + flat[base + 1] * wx
    bottom = flat[base + Wp] * (1 - wx) + flat[base + Wp + 1] * wx
    return (top * (1 - wy) + bottom * wy).reshape(B, H, W)


def _cross(images: np.ndarray, op) -> np.ndarray:
    """op (np.maximum or np.minimum) of each pixel and its 4 neighbours: grey dilation/erosion."""
    fill = 0.0 if op is np.maximum else 1.0
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=fill)  # (B, H+2, W+2)
    out = op(p[:, 1:-1, 1:-1], p[:, :-2, 1:-1])
    op(out, p[:, 2:, 1:-1], out=out)
    op(out, p[:, 1:-1, :-2], out=out)
    return op(out, p[:, 1:-1, 2:], out=out)


def random_stroke_weight(images: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Heavier strokes for some images (up to two dilations), lighter for others, blended by a
    random amount so every stroke weight in between appears."""
    B = len(images)
    u = rng.random(B)
    heavy = u < cfg.thicken
    light = (u >= cfg.thicken) & (u < cfg.thicken + cfg.thin)
    out = images.copy()
    if heavy.any():
        x = images[heavy]
        amount = rng.uniform(0.0, 2.0, len(x))[:, None, None]  # (b, 1, 1) 0..2 dilations
        d1 = _cross(x, np.maximum)
        d2 = _cross(d1, np.maximum)
        once = np.minimum(amount, 1.0)
        twice = np.clip(amount - 1.0, 0.0, 1.0)
        out[heavy] = x + once * (d1 - x) + twice * (d2 - d1)
    if light.any():
        x = images[light]
        amount = rng.uniform(0.0, 0.6, len(x))[:, None, None]
        out[light] = x + amount * (_cross(x, np.minimum) - x)
    return out


def add_flags(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw a flag on each image (upright 1s): a short anti-aliased stroke from the top of the
    ink down to the left, as a 1 is written in much of Europe. MNIST has almost none."""
    B, H, W = images.shape
    ink = images > 0.5  # (B, H, W)
    top = np.argmax(ink.any(axis=2), axis=1)  # (B,) first inked row
    row = ink[np.arange(B), top]  # (B, W)
    left = np.argmax(row, axis=1)
    right = W - 1 - np.argmax(row[:, ::-1], axis=1)
    a = np.stack([top + 0.5, (left + right) / 2 + 0.5], 1)  # (B, 2) start: the top of the stem
    length = rng.uniform(4.0, 8.0, B)  # (B,) pixels
    angle = np.radians(rng.uniform(20, 60, B))  # below the horizontal, towards the left
    b = a + np.stack([np.sin(angle), -np.cos(angle)], 1) * length[:, None]  # (B, 2) end
    width = rng.uniform(1.5, 3.0, B)  # (B,) pen width in pixels
    yy, xx = np.mgrid[0:H, 0:W]
    p = np.stack([yy.ravel() + 0.5, xx.ravel() + 0.5], 1)  # (HW, 2) pixel centres
    ab = b - a  # (B, 2)
    t = np.clip(((p[None] - a[:, None]) * ab[:, None]).sum(-1) / (ab * ab).sum(-1)[:, None], 0, 1)  # (B, HW)
    dist = np.linalg.norm(p[None] - (a[:, None] + t[..., None] * ab[:, None]), axis=-1)  # (B, HW)
    flag = np.clip(width[:, None] / 2 + 0.5 - dist, 0, 1).reshape(B, H, W).astype(np.float32)
    return np.maximum(images, flag)


def augment(images: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig | None = None,
            labels: np.ndarray | None = None) -> np.ndarray:
    """(B, 28, 28) float32 in [0, 1] -> distorted copies, same shape, in [0, 1]. With labels,
    some 1s also get a flag."""
    cfg = cfg or AugmentConfig()
    if labels is not None and cfg.flag_ones > 0:
        pick = (np.asarray(labels) == 1) & (rng.random(len(images)) < cfg.flag_ones)
        if pick.any():
            images = images.copy()
            images[pick] = add_flags(images[pick], rng)
    out = random_affine(random_stroke_weight(images, rng, cfg), rng, cfg)
    for p, fn in ((cfg.gaps, bite_gaps), (cfg.specks, add_specks)):
        if p > 0:
            pick = rng.random(len(out)) < p
            if pick.any():
                out[pick] = fn(out[pick], rng)
    return np.clip(out, 0.0, 1.0, out=out)
