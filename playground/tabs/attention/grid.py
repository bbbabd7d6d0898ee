"""Every head of a transformer at once: a grid of small attention heatmaps, layers down, heads
across, query tokens on the rows and key tokens on the columns, masked cells hatched."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground import style as app_style
from playground.widgets.plot_style import font


class AttentionGrid(QWidget):
    """set_maps(maps (L, H, T, T) in [0, 1], tokens, masked (T, T) bool). Click a head to pick it."""
    head_clicked = Signal(int, int)  # layer, head

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps = np.zeros((0, 0, 0, 0))
        self.tokens: list[str] = []
        self.masked = np.zeros((0, 0), bool)
        self.selected = (0, 0)
        self._rects: dict[tuple[int, int], QRectF] = {}
        self._images: list[tuple[QRectF, QImage, np.ndarray]] = []
        self.setMouseTracking(True)
        self.setMinimumSize(320, 260)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("Every attention head. Rows: the query (the position that looks); columns: "
                        "the keys it looks at. Brighter = more weight; hatched = masked (the future). "
                        "Click a head to enlarge it.")
        lut = pg.colormap.get(app_style.current().colormap).getLookupTable(0.0, 1.0, 256, alpha=True)
        self._lut = np.asarray(lut, dtype=np.uint8)  # (256, 4) RGBA
        app_style.bus().changed.connect(self._on_style_changed)

    def sizeHint(self) -> QSize:
        return QSize(700, 600)

    def set_maps(self, maps, tokens, masked=None) -> None:
        self.maps = np.asarray(maps, dtype=np.float64)
        self.tokens = [str(t) for t in tokens]
        T = self.maps.shape[-1] if self.maps.ndim == 4 else 0
        self.masked = np.zeros((T, T), bool) if masked is None else np.asarray(masked, bool)
        L, H = self.maps.shape[:2] if self.maps.ndim == 4 else (0, 0)
        self.selected = (min(self.selected[0], max(L - 1, 0)), min(self.selected[1], max(H - 1, 0)))
        self._images = []
        self.update()

    def set_selected(self, layer: int, head: int) -> None:
        self.selected = (layer, head)
        self.update()

    # -- layout ------------------------------------------------------------------------------
    def _layout(self):
        """Map rectangles by (layer, head), the side of a cell, and whether token labels fit."""
        st = app_style.current()
        fm = QFontMetrics(font(st))
        L, H, T = self.maps.shape[0], self.maps.shape[1], self.maps.shape[-1]
        gap = st.font_px * 0.8
        token_w = max([fm.horizontalAdvance(t) for t in self.tokens] + [0]) + 6
        left = fm.horizontalAdvance("layer 4") + 12 + token_w + 4
        top = fm.height() + 6
        bottom = fm.height() + 6
        bar = st.font_px * 2.5  # the colour bar on the right
        w = self.width() - left - bar - 10 - (H - 1) * gap
        h = self.height() - top - bottom - 6 - (L - 1) * gap
        side = max(4.0, min(w / max(H, 1), h / max(L, 1)))
        cell = side / max(T, 1)
        rects = {(layer, head): QRectF(left + head * (side + gap), top + layer * (side + gap), side, side)
                 for layer in range(L) for head in range(H)}
        every = max(1, int(np.ceil(max(fm.height() * 0.85, token_w - 4) / max(cell, 1e-9))))
        return rects, cell, every, left, top, side, gap

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        if self.maps.ndim != 4 or self.maps.size == 0:
            p.setPen(QColor(st.muted))
            p.setFont(font(st))
            p.drawText(self.rect(), Qt.AlignCenter, "Type some text to see the attention")
            return
        L, H, T = self.maps.shape[0], self.maps.shape[1], self.maps.shape[-1]
        rects, cell, every, left, top, side, gap = self._layout()
        self._rects = rects
        p.setFont(font(st))
        fm = p.fontMetrics()
        fg, muted = QColor(st.foreground), QColor(st.muted)
        hatch = QBrush(QColor(st.muted), Qt.BDiagPattern)
        images = []
        for (layer, head), r in rects.items():
            rgba = self._lut[np.clip((self.maps[layer, head] * 255).round(), 0, 255).astype(np.uint8)]
            rgba[self.masked] = 0  # transparent: the hatch below shows
            rgba = np.ascontiguousarray(rgba)
            image = QImage(rgba.data, T, T, 4 * T, QImage.Format_RGBA8888)
            images.append((r, image, rgba))  # keep the array alive while the image is drawn
            p.fillRect(r, QColor(st.background))
            p.fillRect(r, hatch)
            p.drawImage(r, image)
            selected = (layer, head) == self.selected
            p.setPen(QPen(QColor(st.series(1)) if selected else muted, 4 if selected else 1))
            p.setBrush(Qt.NoBrush)
            p.drawRect(r.adjusted(-2, -2, 2, 2) if selected else r)
        self._images = images
        p.setPen(fg)
        short = fm.horizontalAdvance(f"head {H}") > rects[(0, 0)].width() + 4  # narrow cells: "h1"
        for head in range(H):  # column titles
            r = rects[(0, head)]
            p.drawText(QRectF(r.left() - 2, 0, r.width() + 4, top - 4), Qt.AlignCenter | Qt.AlignBottom,
                       f"h{head + 1}" if short else f"head {head + 1}")
        for layer in range(L):  # row titles, and the query tokens of the first column
            r = rects[(layer, 0)]
            p.drawText(QRectF(0, r.top(), fm.horizontalAdvance("layer 4") + 6, r.height()),
                       Qt.AlignRight | Qt.AlignVCenter, f"layer {layer + 1}")
            for i in range(0, T, every):  # every token when they fit, else every k-th
                p.drawText(QRectF(r.left() - 200 - 4, r.top() + (i + 0.5) * cell - 100, 200, 200),
                           Qt.AlignRight | Qt.AlignVCenter, self.tokens[i])
        for head in range(H):  # key tokens under the last row
            r = rects[(L - 1, head)]
            for j in range(0, T, every):
                p.drawText(QRectF(r.left() + (j + 0.5) * cell - 100, r.bottom() + 2, 200, fm.height()),
                           Qt.AlignHCenter | Qt.AlignTop, self.tokens[j])
        self._paint_colorbar(p, rects[(0, H - 1)].right() + gap, top, side * L + gap * (L - 1), st)

    def _paint_colorbar(self, p, x, y, height, st) -> None:
        fm = p.fontMetrics()
        height = max(height, 3 * fm.height())
        w = st.font_px * 0.8
        ramp = np.ascontiguousarray(self._lut[::-1][:, None, :])  # (256, 1, 4), 1 at the top
        image = QImage(ramp.data, 1, 256, 4, QImage.Format_RGBA8888)
        r = QRectF(x, y + fm.height() / 2, w, height - fm.height())
        p.drawImage(r, image)
        p.setPen(QColor(st.foreground))
        p.drawText(QPointF(x + w + 4, r.top() + fm.ascent() / 2), "1")
        p.drawText(QPointF(x + w + 4, r.bottom() + fm.ascent() / 2), "0")

    # -- mouse -------------------------------------------------------------------------------
    def _hit(self, pos) -> tuple[int, int, int, int] | None:
        """(layer, head, query, key) under a widget position, or None."""
        for (layer, head), r in self._rects.items():
            if r.contains(pos):
                T = self.maps.shape[-1]
                i = min(T - 1, int((pos.y() - r.top()) / r.height() * T))
                j = min(T - 1, int((pos.x() - r.left()) / r.width() * T))
                return layer, head, i, j
        return None

    def mouseMoveEvent(self, event) -> None:
        hit = self._hit(event.position())
        if hit is None:
            QToolTip.hideText()
            return
        layer, head, i, j = hit
        w = "masked (the future)" if self.masked[i, j] else f"{self.maps[layer, head, i, j]:.3f}"
        QToolTip.showText(event.globalPosition().toPoint(),
                          f"layer {layer + 1}, head {head + 1}\nquery {i} '{self.tokens[i]}' → key {j} "
                          f"'{self.tokens[j]}': {w}", self)

    def mousePressEvent(self, event) -> None:
        hit = self._hit(event.position())
        if hit is not None and event.button() == Qt.LeftButton:
            self.set_selected(hit[0], hit[1])
            self.head_clicked.emit(hit[0], hit[1])

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.update()
