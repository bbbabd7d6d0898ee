"""From a drawing to an MNIST-like 28x28 input, the way the MNIST digits themselves were made.

LeCun et al.: each NIST digit was scaled to fit a 20x20 box keeping its aspect ratio (anti-aliased),
then placed in a 28x28 field so that its centre of mass sits at the centre. We do the same with
two resampling matrices (one per axis) whose rows are area-averaging (anti-aliasing) filters: the crop,
the scaling and the sub-pixel shift are one product `Ry @ crop @ Rx.T`, with no loops over pixels.
"""
from __future__ import annotations

import numpy as np

SIZE = 28  # output field, pixels
BOX = 20  # the digit's longer side after scaling, pixels
INK = 0.05  # canvas values above this count as ink for the bounding box
CENTRE = 14.5  # where MNIST's centres of mass sit (the middle of pixel 14; the mean over the set)


def resample_matrix(n_in: int, n_out: int, scale: float, centre_in: float, centre_out: float) -> np.ndarray:
    """(n_out, n_in) matrix mapping a row of n_in pixels to n_out pixels, scaled by `scale`
    (output pixels per input pixel) so that input coordinate `centre_in` lands on `centre_out`.
    Shrinking averages the input pixels under each output pixel (area weights, no aliasing of thin
    lines); enlarging interpolates linearly."""
    u = (np.arange(n_out) + 0.5 - centre_out) / scale + centre_in  # (n_out,) input coords sampled
    left = np.arange(n_in)[None, :]  # (1, n_in) input pixel i spans [i, i + 1)
    if scale < 1.0:
        half = 0.5 / scale  # an output pixel covers 1/scale input pixels
        overlap = np.minimum(u[:, None] + half, left + 1) - np.maximum(u[:, None] - half, left)  # (n_out, n_in)
        return (np.maximum(overlap, 0.0) * scale).astype(np.float32)
    d = left + 0.5 - u[:, None]  # (n_out, n_in)
    return np.maximum(0.0, 1.0 - np.abs(d)).astype(np.float32)  # (n_out, n_in)


def resample(ry: np.ndarray, image: np.ndarray, rx: np.ndarray) -> np.ndarray:
    """ry @ image @ rx.T with NumPy's own einsum loops rather than BLAS: this runs on the GUI
    thread at every stroke event, and a multi-threaded BLAS call stalls for tens of ms when the
    other core is busy (training, another program); einsum takes ~0.2 ms either way."""
    return np.einsum("ij,kj->ik", np.einsum("ij,jk->ik", ry, image), rx)


def ink_bbox(canvas: np.ndarray, threshold: float = INK):
    """(top, bottom, left, right) of the ink, bottom/right exclusive; None for an empty canvas."""
    rows = np.flatnonzero(canvas.max(axis=1) > threshold)
    cols = np.flatnonzero(canvas.max(axis=0) > threshold)
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def centre_of_mass(image: np.ndarray):
    """(row, col) of the intensity-weighted centre, in continuous coordinates (pixel i spans [i, i+1))."""
    total = float(image.sum())
    rows = image.sum(axis=1)  # (H,)
    cols = image.sum(axis=0)  # (W,)
    cy = float(rows @ (np.arange(image.shape[0]) + 0.5)) / total
    cx = float(cols @ (np.arange(image.shape[1]) + 0.5)) / total
    return cy, cx


def preprocess(canvas: np.ndarray, size: int = SIZE, box: int = BOX) -> np.ndarray:
    """A canvas (H, W) in [0, 1], ink = 1 -> (28, 28) float32 like an MNIST digit: cropped to the
    ink's bounding box, scaled so its longer side is 20 pixels, centre of mass at the centre,
    contrast stretched so the darkest stroke is 1. An empty canvas gives zeros."""
    canvas = np.asarray(canvas, dtype=np.float32)
    if canvas.ndim != 2:
        raise ValueError(f"canvas must be a 2-D array, not shape {canvas.shape}")
    bbox = ink_bbox(canvas)
    if bbox is None:
        return np.zeros((size, size), np.float32)
    top, bottom, left, right = bbox
    crop = canvas[top:bottom, left:right]  # (h, w)
    scale = box / max(crop.shape)  # output pixels per canvas pixel
    cy, cx = centre_of_mass(crop)
    centre = CENTRE * size / SIZE
    ry = resample_matrix(crop.shape[0], size, scale, cy, centre)  # (28, h)
    rx = resample_matrix(crop.shape[1], size, scale, cx, centre)  # (28, w)
    out = resample(ry, crop, rx)  # (28, 28)
    peak = float(out.max())
    if peak > 0:
        out *= 1.0 / peak
    return np.clip(out, 0.0, 1.0, out=out)


def downsample(canvas: np.ndarray, size: int = SIZE) -> np.ndarray:
    """The whole canvas shrunk to (size, size) with no cropping or centring: the "raw" view."""
    canvas = np.asarray(canvas, dtype=np.float32)
    h, w = canvas.shape
    ry = resample_matrix(h, size, size / h, h / 2, size / 2)  # (size, h)
    rx = resample_matrix(w, size, size / w, w / 2, size / 2)  # (size, w)
    return np.clip(resample(ry, canvas, rx), 0.0, 1.0)  # (size, size)
