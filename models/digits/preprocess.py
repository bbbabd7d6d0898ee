"""From a drawing to an MNIST-like 28x28 input, the way the MNIST digits themselves were made.

LeCun et al.: each NIST digit was scaled to fit a 20x20 box keeping its aspect ratio (anti-aliased),
then placed in a 28x28 field so that its centre of mass sits at the centre. We do the same with
two resampling matrices (one per axis) whose rows are area-averaging (anti-aliasing) filters: the crop,
the scaling and the sub-pixel shift are one product `Ry @ crop @ Rx.T`, with no loops over pixels.

Before that, `prepare` finds the digit (models.digits.cleanup): specks and ticks away from the
main ink are dropped, and the pen is brought to MNIST's width, measured in a working frame where
the digit's longer side is WORK pixels (4x the 20-pixel box).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.blas import blas_threads
from models.digits.cleanup import keep_main_ink, pen_width, set_pen_width

SIZE = 28  # output field, pixels
BOX = 20  # the digit's longer side after scaling, pixels
INK = 0.05  # canvas values above this count as ink for the bounding box
CENTRE = 14.5  # where MNIST's centres of mass sit (the middle of pixel 14; the mean over the set)
WORK = 80  # the digit's longer side in the frame where its pen width is evened out
MNIST_PEN = 9.3  # MNIST's median pen width in that frame (pen_width of its test digits, blown up)


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
    """ry @ image @ rx.T on one BLAS thread: this runs on the GUI thread at every stroke event,
    and a multi-threaded BLAS call stalls for tens of ms when the other core is busy (training,
    another program). (NumPy's own einsum loops avoid that too, but are 5x slower on the
    working frame's larger products.)"""
    with blas_threads(1):
        return ry @ image @ rx.T


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


@dataclass
class Prepared:
    """What the nets see of a drawing, and what was done to get there."""
    image: np.ndarray  # (28, 28) float32 in [0, 1]: the nets' input
    dropped: np.ndarray | None  # (H, W) the canvas ink left out as specks (None: nothing dropped)
    pieces_dropped: int  # how many separate pieces that ink was
    pen_before: float  # the pen width measured in the working frame (pixels; 0 for no ink)
    pen_after: float  # ... and after evening it out (MNIST_PEN when it was changed)

    def describe(self) -> str:
        """One sentence for the tab's note under the 28x28 view."""
        if not self.image.any():
            return "Cropped to the ink, scaled to 20 pixels, centred by its centre of mass: like MNIST."
        parts = []
        if self.pieces_dropped:
            s = "s" if self.pieces_dropped > 1 else ""
            parts.append(f"dropped {self.pieces_dropped} speck{s} away from the digit (orange on the canvas)")
        if self.pen_before and abs(self.pen_before - self.pen_after) > 0.5:
            change = "thickened" if self.pen_after > self.pen_before else "thinned"
            parts.append(f"{change} the pen to MNIST's width")
        head = ("Cleaned up: " + " and ".join(parts) + ". Then cropped") if parts else "Cropped to the ink"
        return head + ", scaled to 20 pixels, centred by its centre of mass: like MNIST."


def prepare(canvas: np.ndarray, clean: bool = True, even_pen: bool = True, size: int = SIZE,
            box: int = BOX) -> Prepared:
    """A canvas (H, W) in [0, 1], ink = 1 -> the nets' input and the story of how it was made:
    specks dropped (clean), the pen evened out (even_pen), then framed like MNIST (frame())."""
    canvas = np.asarray(canvas, dtype=np.float32)
    if canvas.ndim != 2:
        raise ValueError(f"canvas must be a 2-D array, not shape {canvas.shape}")
    dropped, pieces = None, 0
    if clean and ink_bbox(canvas) is not None:
        canvas, dropped, pieces = keep_main_ink(canvas)
    bbox = ink_bbox(canvas)
    if bbox is None:
        return Prepared(np.zeros((size, size), np.float32), dropped if pieces else None, pieces, 0.0, 0.0)
    top, bottom, left, right = bbox
    crop = canvas[top:bottom, left:right]  # (h, w)
    before = after = 0.0
    if even_pen:
        work = to_work_frame(crop)  # (~WORK, ~WORK), longer side WORK
        before = pen_width(work)
        work = set_pen_width(work, MNIST_PEN, before)
        after = MNIST_PEN if before else 0.0
        crop = work
    return Prepared(frame(crop, size, box), dropped if pieces else None, pieces, before, after)


def to_work_frame(crop: np.ndarray, side: int = WORK) -> np.ndarray:
    """The cropped ink scaled so its longer side is `side` pixels, with a margin of side / 8 for
    strokes to grow into, contrast stretched to a peak of 1."""
    h, w = crop.shape
    scale = side / max(h, w)
    margin = side // 8
    H, W = round(h * scale) + 2 * margin, round(w * scale) + 2 * margin
    ry = resample_matrix(h, H, scale, h / 2, H / 2)  # (H, h)
    rx = resample_matrix(w, W, scale, w / 2, W / 2)  # (W, w)
    out = resample(ry, crop, rx)
    peak = float(out.max())
    return np.clip(out / peak, 0.0, 1.0) if peak > 0 else out


def preprocess(canvas: np.ndarray, size: int = SIZE, box: int = BOX, clean: bool = True,
               even_pen: bool = True) -> np.ndarray:
    """A canvas (H, W) in [0, 1], ink = 1 -> (28, 28) float32 like an MNIST digit: specks dropped
    and pen evened out (unless told not to), cropped to the ink's bounding box, scaled so its
    longer side is 20 pixels, centre of mass at the centre, contrast stretched so the darkest
    stroke is 1. An empty canvas gives zeros."""
    return prepare(canvas, clean, even_pen, size, box).image


def frame(canvas: np.ndarray, size: int = SIZE, box: int = BOX) -> np.ndarray:
    """MNIST's framing of the ink in `canvas`: its bounding box scaled so the longer side is `box`
    pixels, its centre of mass at the centre of a size x size field, peak 1."""
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
