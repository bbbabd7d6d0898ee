"""Every head of a transformer: a grid of small attention heatmaps, query tokens on the rows and
key tokens on the columns, masked cells hatched.

The grid is laid out for the room it has. When every layer fits with maps large enough to read
(MIN_SIDE_EM text heights a side), layers go down and heads across. Otherwise (a projector at
1024x768, a narrow window) it shows one layer at a time, its heads as large as the room allows
(wrapped into rows when that makes them larger), with a row of layer buttons to switch.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground import style as app_style
from playground.widgets.plot_style import font

MIN_SIDE_EM = 4.0  # a map smaller than this many text sizes a side is a thumbnail nobody can read


class AttentionGrid(QWidget):
    """set_maps(maps (L, H, T, T) in [0, 1], tokens, masked (T, T) bool). Click a head to pick it;
    with one layer shown, click a layer button to show that layer."""
    head_clicked = Signal(int, int)  # layer, head

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps = np.zeros((0, 0, 0, 0))
        self.tokens: list[str] = []
        self.masked = np.zeros((0, 0), bool)
        self.selected = (0, 0)
        self.one_layer = False  # the last layout showed one layer (the selected head's)
        self._rects: dict[tuple[int, int], QRectF] = {}  # (layer, head) -> where it was drawn
        self._layer_buttons: dict[int, QRectF] = {}  # with one layer shown: its buttons
        self._layer_label = QRectF()
        self._images: list = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("Every attention head. Rows: the query (the position that looks); columns: "
                        "the keys it looks at. Brighter = more weight; hatched = masked (the future). "
                        "Click a head to enlarge it.")
        lut = pg.colormap.get(app_style.current().colormap).getLookupTable(0.0, 1.0, 256, alpha=True)
        self._lut = np.asarray(lut, dtype=np.uint8)  # (256, 4) RGBA
        app_style.bus().changed.connect(self._on_style_changed)

    def sizeHint(self) -> QSize:
        return QSize(700, 600)

    def minimumSizeHint(self) -> QSize:
        """Room for one layer's heads at a readable size (more shows more)."""
        em = app_style.current().font_px
        return QSize(int(12 * em), int(8 * em))

    def set_maps(self, maps, tokens, masked=None) -> None:
        self.maps = np.asarray(maps, dtype=np.float64)
        self.tokens = [str(t) for t in tokens]
        T = self.maps.shape[-1] if self.maps.ndim == 4 else 0
        self.masked = np.zeros((T, T), bool) if masked is None else np.asarray(masked, bool)
        L, H = self.maps.shape[:2] if self.maps.ndim == 4 else (0, 0)
        self.selected = (min(self.selected[0], max(L - 1, 0)), min(self.selected[1], max(H - 1, 0)))
        self._layout()
        self.update()

    def set_selected(self, layer: int, head: int) -> None:
        self.selected = (layer, head)
        self._layout()
        self.update()

    # -- layout ------------------------------------------------------------------------------
    def _metrics(self):
        st = app_style.current()
        fm = QFontMetrics(font(st))
        token_w = max([fm.horizontalAdvance(t) for t in self.tokens] + [0]) + 6
        return st, fm, token_w

    def _layout(self) -> None:
        """Where each shown map goes (self._rects), and whether one layer is shown."""
        self._rects, self._layer_buttons = {}, {}
        if self.maps.ndim != 4 or self.maps.size == 0:
            return
        st, fm, token_w = self._metrics()
        L, H = self.maps.shape[:2]
        gap, line = st.font_px * 0.8, fm.height() + 4
        bar = st.font_px * 2.5  # the colour bar on the right
        left_all = fm.horizontalAdvance(f"layer {L}") + 12 + token_w + 4
        w_all = self.width() - left_all - bar - 10 - (H - 1) * gap
        h_all = self.height() - 2 * line - 6 - (L - 1) * gap
        side = min(w_all / H, h_all / L)
        self.one_layer = side < MIN_SIDE_EM * st.font_px and L > 1
        if not self.one_layer:
            side = max(4.0, side)
            for layer in range(L):
                for head in range(H):
                    self._rects[(layer, head)] = QRectF(left_all + head * (side + gap), line + layer * (side + gap),
                                                        side, side)
            return
        # one layer: the layer buttons on top, then the heads in `cols` columns, as large as fits
        top = 2 * line + 4  # the buttons, then the head titles
        left = token_w + 6
        best = (0.0, H)
        for cols in range(1, H + 1):
            rows = math.ceil(H / cols)
            s = min((self.width() - left - bar - 10 - (cols - 1) * gap) / cols,
                    (self.height() - top - line - 6 - (rows - 1) * (gap + line)) / rows)
            if s > best[0] + 0.5:
                best = (s, cols)
        side, cols = max(4.0, best[0]), best[1]
        layer = self.selected[0]
        for head in range(H):
            r, c = divmod(head, cols)
            self._rects[(layer, head)] = QRectF(left + c * (side + gap), top + r * (side + gap + line), side, side)
        label_w = fm.horizontalAdvance("layer ") + 4
        self._layer_label = QRectF(0, 0, label_w, line)
        x = label_w
        for i in range(L):
            w = fm.horizontalAdvance(str(i + 1)) + st.font_px
            self._layer_buttons[i] = QRectF(x, 0, w, line)
            x += w + 4

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout()

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        p.setFont(font(st))
        if self.maps.ndim != 4 or self.maps.size == 0:
            p.setPen(QColor(st.muted))
            p.drawText(self.rect(), Qt.AlignCenter, "Type some text to see the attention")
            return
        if not self._rects:
            self._layout()
        T = self.maps.shape[-1]
        fm = p.fontMetrics()
        fg, muted = QColor(st.foreground), QColor(st.muted)
        hatch = QBrush(QColor(st.muted), Qt.BDiagPattern)
        images = []
        for (layer, head), r in self._rects.items():
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
        self._paint_titles(p, fm, st)
        self._paint_tokens(p, fm)
        rects = list(self._rects.values())
        right = max(r.right() for r in rects)
        top, bottom = min(r.top() for r in rects), max(r.bottom() for r in rects)
        self._paint_colorbar(p, right + st.font_px * 0.8, top, bottom - top, st)

    def _paint_titles(self, p, fm, st) -> None:
        L, H = self.maps.shape[:2]
        side = next(iter(self._rects.values())).width()
        short = fm.horizontalAdvance(f"head {H}") > side + 4  # narrow maps: "h1"
        for (layer, head), r in self._rects.items():
            if self.one_layer or layer == 0:  # a title above each map of the top row (every map with one layer)
                p.drawText(QRectF(r.left() - 2, r.top() - fm.height() - 4, r.width() + 4, fm.height() + 2),
                           Qt.AlignCenter | Qt.AlignBottom, f"h{head + 1}" if short else f"head {head + 1}")
            if not self.one_layer and head == 0:
                p.drawText(QRectF(0, r.top(), fm.horizontalAdvance(f"layer {L}") + 6, r.height()),
                           Qt.AlignRight | Qt.AlignVCenter, f"layer {layer + 1}")
        if self.one_layer:
            p.drawText(self._layer_label, Qt.AlignLeft | Qt.AlignVCenter, "layer")
            for i, r in self._layer_buttons.items():
                chosen = i == self.selected[0]
                p.setPen(QPen(QColor(st.series(1) if chosen else st.muted), 3 if chosen else 1))
                p.setBrush(QColor(st.series(1)) if chosen else Qt.NoBrush)
                p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 4, 4)
                p.setPen(QColor(st.background if chosen else st.foreground))
                p.drawText(r, Qt.AlignCenter, str(i + 1))
            p.setPen(QColor(st.foreground))

    def _paint_tokens(self, p, fm) -> None:
        """Query tokens left of the first map of each row, key tokens under the bottom maps:
        every token when they fit, else every k-th."""
        T = self.maps.shape[-1]
        side = next(iter(self._rects.values())).width()
        cell = side / max(T, 1)
        token_w = max([fm.horizontalAdvance(t) for t in self.tokens] + [0]) + 6
        every = max(1, int(np.ceil(max(fm.height() * 0.85, token_w - 4) / max(cell, 1e-9))))
        lefts = min(r.left() for r in self._rects.values())
        below = {}  # column x -> the lowest map in it
        for r in self._rects.values():
            if r.left() == lefts:
                for i in range(0, T, every):
                    p.drawText(QRectF(r.left() - 200 - 4, r.top() + (i + 0.5) * cell - 100, 200, 200),
                               Qt.AlignRight | Qt.AlignVCenter, self.tokens[i])
            if r.left() not in below or r.bottom() > below[r.left()].bottom():
                below[r.left()] = r
        for r in below.values():
            for j in range(0, T, every):
                p.drawText(QRectF(r.left() + (j + 0.5) * cell - 100, r.bottom() + 2, 200, fm.height()),
                           Qt.AlignHCenter | Qt.AlignTop, self.tokens[j])

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
        if event.button() != Qt.LeftButton:
            return
        for layer, r in self._layer_buttons.items():
            if r.contains(event.position()):
                self.set_selected(layer, self.selected[1])
                self.head_clicked.emit(layer, self.selected[1])
                return
        hit = self._hit(event.position())
        if hit is not None:
            self.set_selected(hit[0], hit[1])
            self.head_clicked.emit(hit[0], hit[1])

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._layout()
        self.update()
