"""Custom-painted views of the Digits tab: the net's 28x28 input (with a saliency overlay), the
ten probability bars, and a grid of small images (weights, activations, misclassified digits)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground import style as app_style


@lru_cache(maxsize=64)
def _font(px: int, bold: bool = False) -> QFont:
    """A font of px pixels; cached: painting asks for the same few at every stroke event."""
    f = QFont()
    f.setPixelSize(max(1, int(px)))
    f.setBold(bold)
    return f


@lru_cache(maxsize=8)
def lookup(name: str) -> np.ndarray:
    """(256, 3) uint8 colours of a pyqtgraph colormap (cached; do not modify)."""
    return pg.colormap.get(name).getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


def to_qimage(rgb: np.ndarray) -> QImage:
    """(h, w, 3) uint8 -> an RGB QImage that owns its memory."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def paper(values: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] -> (h, w, 3) uint8, dark ink on white paper like the canvas."""
    g = (255 - np.clip(values, 0, 1) * 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def colour(values: np.ndarray, cmap: str, lo: float, hi: float) -> np.ndarray:
    """Values -> (h, w, 3) uint8 through a colormap with levels lo..hi."""
    idx = np.clip((values - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)
    return lookup(cmap)[idx]


class DigitImage(QWidget):
    """The 28x28 input, pixel by pixel; `set_saliency(grad)` overlays red where more ink would
    raise the predicted class's score and blue where it would lower it."""

    def __init__(self, title: str = "What the net sees (28×28)", parent=None):
        super().__init__(parent)
        self.title = title
        self.values = np.zeros((28, 28), np.float32)
        self.saliency: np.ndarray | None = None
        self._image = to_qimage(paper(self.values))
        self._scaled: QImage | None = None  # _image at the size last painted
        self.target = QRectF()
        self.setMinimumSize(160, 180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        app_style.bus().changed.connect(self._on_style_changed)

    def set_values(self, values: np.ndarray, saliency: np.ndarray | None = None) -> None:
        self.values = np.asarray(values, np.float32)
        self.saliency = None if saliency is None else np.asarray(saliency, np.float32)
        rgb = paper(self.values).astype(np.float32)
        if self.saliency is not None:
            scale = max(float(np.percentile(np.abs(self.saliency), 99)), 1e-12)
            g = np.clip(self.saliency / scale, -1, 1)  # (28, 28), the strongest 1% saturate
            alpha = (np.clip((np.abs(g) - 0.25) / 0.75, 0, 1) * 0.8)[..., None]  # weak gradients stay clear
            tint = np.where(g[..., None] > 0, np.array([213, 94, 0.0]), np.array([0, 114, 178.0]))  # Okabe-Ito
            rgb = rgb * (1 - alpha) + tint * alpha
        self._image = to_qimage(rgb.astype(np.uint8))
        self._scaled = None
        self.update()

    def paintEvent(self, event):
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        p.setPen(QColor(st.foreground))
        font = _font(st.font_px)
        p.setFont(font)
        # The title wraps onto a second line rather than losing its ends in a narrow column
        # (presentation mode's large text).
        title_box = QFontMetrics(font).boundingRect(0, 0, self.width(), 10_000, Qt.TextWordWrap, self.title)
        head = title_box.height() + st.font_px * 0.6
        p.drawText(QRectF(0, 0, self.width(), head), Qt.AlignCenter | Qt.TextWordWrap, self.title)
        side = max(28, min(self.width(), self.height() - head) // 28 * 28)
        target = QRectF((self.width() - side) // 2, head, side, side)
        self.target = target  # where the 28x28 pixels were drawn (for overlays of subclasses)
        if self._scaled is None or self._scaled.width() != side:  # nearest neighbour: pixels stay pixels
            self._scaled = self._image.scaled(side, side, Qt.IgnoreAspectRatio, Qt.FastTransformation
                                              ).convertToFormat(QImage.Format_RGB32)
        p.drawImage(target.topLeft(), self._scaled)
        p.setPen(QPen(QColor(st.muted), 1))
        p.drawRect(target.adjusted(0, 0, -1, -1))
        p.end()

    @Slot(object)
    def _on_style_changed(self, st):
        self.update()


class ProbabilityBars(QWidget):
    """The prediction: the top class as a huge digit with its probability, and ten bars. With a
    second net's probabilities (`other`), each bar gets a thin twin below it and the second net's
    guess is named under the first's: two nets side by side on one drawing."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.probs = np.zeros(10)
        self.other: np.ndarray | None = None
        self.names = ("", "")
        self.setMinimumSize(220, 300)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("The net's probability for each digit; the largest is its guess. The thin bars: the "
                        "other net, reading the same input")
        app_style.bus().changed.connect(self._on_style_changed)

    def set_probabilities(self, probs, other=None, names=("", "")) -> None:
        """probs (10,) of the predictor; other (10,) of a second net or None; names of both."""
        self.probs = np.asarray(probs, float).ravel()
        self.other = None if other is None else np.asarray(other, float).ravel()
        self.names = names
        self.update()

    @property
    def top(self) -> int | None:
        return int(np.argmax(self.probs)) if self.probs.sum() > 0 else None

    @property
    def other_top(self) -> int | None:
        return int(np.argmax(self.other)) if self.other is not None and self.other.sum() > 0 else None

    def paintEvent(self, event):
        st = app_style.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.fillRect(self.rect(), QColor(st.background))
        w, h = self.width(), self.height()
        big = int(min(h * 0.3, w * 0.45, st.font_px * 9))  # readable from the back of the room
        top = self.top
        p.setPen(QColor(st.foreground))
        p.setFont(_font(big, bold=True))
        head = QRectF(0, 0, w * 0.55, big * 1.15)
        p.drawText(head, Qt.AlignCenter, "?" if top is None else str(top))
        p.setFont(_font(round(st.font_px * 1.2)))
        note = "draw a\ndigit" if top is None else f"{self.probs[top]:.0%}\nsure"
        p.drawText(QRectF(w * 0.55, 0, w * 0.45, big * 1.15), Qt.AlignVCenter | Qt.AlignLeft, note)
        y0 = big * 1.2
        if top is not None and self.other_top is not None:  # the second net's reading, full width
            line = f"{self.names[1]}: {self.other_top} ({self.other.max():.0%})"
            px = st.font_px
            while px > st.font_px * 0.7 and QFontMetrics(_font(px)).horizontalAdvance(line) > w - px * 2:
                px -= 1
            p.setFont(_font(px))
            text_w = QFontMetrics(_font(px)).horizontalAdvance(line)
            x = max(px * 1.5, (w - text_w) / 2)
            p.fillRect(QRectF(x - px * 1.2, y0 + px * 0.45, px * 0.9, px * 0.5), QColor(st.series(1)))  # the thin bars' colour
            p.setPen(QColor(st.foreground))
            p.drawText(QRectF(x, y0, w - x, st.font_px * 1.4), Qt.AlignVCenter | Qt.AlignLeft, line)
            y0 += st.font_px * 1.5
        row = max(st.font_px * 1.3, (h - y0) / 10)
        label_w = st.font_px * 1.6
        pct_w = st.font_px * 3.6
        bar_w = max(10.0, w - label_w - pct_w - 8)
        p.setFont(_font(st.font_px))
        for d in range(10):
            y = y0 + d * row
            if y + row > h + 1:
                break
            is_top = d == top
            p.setPen(QColor(st.foreground))
            p.setFont(_font(st.font_px, bold=is_top))
            p.drawText(QRectF(0, y, label_w, row), Qt.AlignCenter, str(d))
            track = QRectF(label_w, y + row * 0.2, bar_w, row * 0.6)
            p.fillRect(track, QColor("#f2f2f2" if st.theme == "light" else "#2a2a2a"))
            main_h = track.height() * (0.7 if self.other is not None else 1.0)
            p.fillRect(QRectF(track.x(), track.y(), bar_w * float(self.probs[d]), main_h),
                       QColor(st.series(0) if is_top else st.muted))
            if self.other is not None:  # the other net: a thin bar under the main one
                p.fillRect(QRectF(track.x(), track.y() + main_h, bar_w * float(self.other[d]),
                                  track.height() - main_h), QColor(st.series(1)))
            p.drawText(QRectF(label_w + bar_w + 4, y, pct_w, row), Qt.AlignVCenter | Qt.AlignRight,
                       f"{self.probs[d]:.0%}")
        p.end()

    @Slot(object)
    def _on_style_changed(self, st):
        self.update()


class TileGrid(QWidget):
    """Small images in a grid, each with an optional caption; click one -> tile_clicked(index).
    Tiles are colour-mapped once in set_tiles; painting only scales the cached images."""
    tile_clicked = Signal(int)

    def __init__(self, empty_text: str = "", parent=None):
        super().__init__(parent)
        self.empty_text = empty_text
        self.images: list[QImage] = []
        self.captions: list[str] = []
        self.min_tile = 28  # smallest tile side drawn, in pixels at normal text size
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(200, 150)
        app_style.bus().changed.connect(self._on_style_changed)

    def set_tiles(self, tiles: np.ndarray, captions=None, cmap: str | None = None, symmetric: bool = False,
                  levels=None) -> None:
        """tiles (N, h, w): ink images in [0, 1] when cmap is None, else colour-mapped values
        (symmetric: levels ±max|v| per tile, for weights)."""
        tiles = np.asarray(tiles, np.float32)
        self.images = []
        for t in tiles:
            if cmap is None:
                rgb = paper(t)
            else:
                if levels is not None:
                    lo, hi = levels
                elif symmetric:
                    m = float(np.abs(t).max()) or 1.0
                    lo, hi = -m, m
                else:
                    lo, hi = float(t.min()), float(t.max())
                rgb = colour(t, cmap, lo, hi)
            self.images.append(to_qimage(rgb))
        self.captions = list(captions) if captions is not None else []
        self.update()

    def _layout(self):
        """(cols, rows, tile side, cell width, cell height) for the largest tiles that fit; cells are
        at least as wide as the captions, and tiles that do not fit at a readable size are left out."""
        st = app_style.current()
        n = len(self.images)
        if n == 0:
            return 0, 0, 0.0, 0.0, 0.0
        caption_h = st.font_px * 1.4 if self.captions else 0
        metrics = QFontMetrics(_font(st.font_px))
        caption_w = max((metrics.horizontalAdvance(c) for c in self.captions), default=0) + 8
        W, H = self.width(), self.height()
        aspect = self.images[0].width() / self.images[0].height()
        size = 0.0
        for cols in range(1, n + 1):
            rows = -(-n // cols)
            cw = max(W / cols, caption_w)
            size = max(size, min(cw / aspect, (H - rows * caption_h) / rows) - 4)
        size = max(size, self.min_tile * st.scale)  # too many to read: show only those that fit
        cw = max(size * aspect + 4, caption_w)
        ch = size + 4 + caption_h
        return max(1, int(W // cw)), max(1, int(H // ch)), size, cw, ch

    def tile_at(self, pos) -> int:
        cols, rows, size, cw, ch = self._layout()
        if cols == 0:
            return -1
        c, r = int(pos.x() // cw), int(pos.y() // ch)
        i = r * cols + c
        return i if 0 <= c < cols and 0 <= r < rows and i < len(self.images) else -1

    def mousePressEvent(self, event):
        i = self.tile_at(event.position())
        if i >= 0 and event.button() == Qt.LeftButton:
            self.tile_clicked.emit(i)

    def paintEvent(self, event):
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        p.setPen(QColor(st.foreground))
        p.setFont(_font(st.font_px))
        if not self.images:
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.empty_text)
            p.end()
            return
        cols, rows, size, cw, ch = self._layout()
        w = size * self.images[0].width() / self.images[0].height()
        for i, img in enumerate(self.images[:cols * rows]):
            r, c = divmod(i, cols)
            p.drawImage(QRectF(c * cw + (cw - w) / 2, r * ch + 2, w, size), img)
            if self.captions:
                p.drawText(QRectF(c * cw, r * ch + size + 2, cw, ch - size - 2), Qt.AlignCenter, self.captions[i])
        p.end()

    @Slot(object)
    def _on_style_changed(self, st):
        self.update()
