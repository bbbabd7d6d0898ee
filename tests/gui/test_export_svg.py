"""An exported SVG looks like the plot on screen in QtSvg and in librsvg (when installed), and
exported files get the usual permissions."""
import os
import shutil
import stat
import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from playground import export
from playground.widgets.loss_plot import LossPlot

W, H = 800, 500


def rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB888)
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[:, :3 * image.width()] \
        .reshape(image.height(), image.width(), 3).astype(int)


def curve_rows(image: QImage) -> np.ndarray:
    """Per column, the mean row of the blue train curve's pixels (NaN where there are none)."""
    a = rgb(image)
    blue = (a[..., 2] > 140) & (a[..., 0] < 60) & (a[..., 1] > 70) & (a[..., 1] < 160)  # (H, W)
    rows = np.arange(a.shape[0])[:, None]
    count = blue.sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, (blue * rows).sum(axis=0) / np.maximum(count, 1), np.nan)


def label_band(image: QImage) -> tuple[int, int]:
    """First and last row holding dark text in the y tick-label strip at the left."""
    a = rgb(image)[:, 8:40].mean(axis=2)
    dark = np.flatnonzero((a < 120).any(axis=1))
    return int(dark.min()), int(dark.max())


def gray(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_Grayscale8).scaled(W // 4, H // 4)
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[:, :image.width()].astype(float)


@pytest.fixture
def plot(qtbot):
    p = LossPlot(title="Loss", log_y=True)
    qtbot.addWidget(p)
    p.resize(W, H)
    p.show()
    xs = np.arange(1, 2000)
    p.set_series("train", xs, 3 * np.exp(-xs / 500) + 2 + 0.05 * np.sin(xs))
    p.set_series("val", xs[::100], 3 * np.exp(-xs[::100] / 500) + 2.1)
    for _ in range(5):
        QApplication.processEvents()
    return p


def check_like_screen(rendered: QImage, screen: QImage):
    a, b = gray(rendered), gray(screen)
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 12, "the SVG does not look like the plot"
    assert (a < 128).mean() < 0.15, "the SVG is filled with solid blocks"
    ra, rb = curve_rows(rendered), curve_rows(screen)
    assert not (np.isfinite(ra) & np.isnan(rb)).sum() > 10, "the curve runs where the screen has none"
    both = np.isfinite(ra) & np.isfinite(rb)
    assert both.sum() > 0.5 * np.isfinite(rb).sum() and np.abs(ra - rb)[both].mean() < 4, "the curve moved"
    (a0, a1), (b0, b1) = label_band(rendered), label_band(screen)
    assert abs(a0 - b0) < 8 and abs(a1 - b1) < 8, "the axis labels moved"


def test_svg_in_qtsvg_looks_like_the_screen(plot, tmp_path):
    path = export.export(plot, tmp_path / "loss.svg")
    image = QImage(W, H, QImage.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    QSvgRenderer(str(path)).render(painter)
    painter.end()
    check_like_screen(image, plot.grab().toImage())


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg's rsvg-convert is not installed")
def test_svg_in_librsvg_looks_like_the_screen(plot, tmp_path):
    path = export.export(plot, tmp_path / "loss.svg")
    png = tmp_path / "rsvg.png"
    subprocess.run(["rsvg-convert", "-b", "white", str(path), "-o", str(png)], check=True, timeout=60)
    check_like_screen(QImage(str(png)), plot.grab().toImage())


def test_exports_get_the_usual_permissions(plot, tmp_path):
    old = os.umask(0o022)
    try:
        for ext in ("png", "svg", "csv"):
            mode = stat.S_IMODE(os.stat(export.export(plot, tmp_path / f"x.{ext}")).st_mode)
            assert mode == 0o644, (ext, oct(mode))
    finally:
        os.umask(old)
