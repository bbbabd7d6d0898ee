"""The "Inside the CNN" page: every feature map of the small CNN for the current drawing, its
learned kernels, and, for a clicked unit, its receptive field and its weighted sum in numbers
(the view CNN Explainer made popular)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from models.digits.inspect import STAGES, receptive_field, unit_story
from playground import style as app_style
from playground.tabs.digits.views import DigitImage, TileGrid, _font, colour, to_qimage


class FeatureMaps(QWidget):
    """The four stages of maps, one row each (conv1, pooled 1, conv2, pooled 2), every map a
    small image; a click on a pixel of a map selects that unit: unit_clicked(stage, map, row, col)."""
    unit_clicked = Signal(int, int, int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps: list[np.ndarray] = []  # per stage (h, w, C)
        self.images: list[list] = []  # per stage, per map: a QImage
        self.selected: tuple | None = None
        self.setMinimumSize(300, 300)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setToolTip("Every feature map for your drawing: a convolution's sums in red (positive) and blue "
                        "(negative), after ReLU bright = strong. Click a pixel of any map to see that unit's "
                        "receptive field and weighted sum.")
        app_style.bus().changed.connect(self._on_style_changed)

    def set_maps(self, maps: list[np.ndarray]) -> None:
        """maps: the CNN's `maps` for one image, each (h, w, C)."""
        self.maps = [np.asarray(m, np.float32) for m in maps]
        self.images = []
        diverging = app_style.current().diverging_colormap
        for s, m in enumerate(self.maps):
            hi = max(float(np.abs(m).max()), 1e-6)  # one scale per stage: maps compare with each other
            if s in (0, 2):  # a convolution's raw sums have a sign: blue below zero, red above
                images = [to_qimage(colour(m[:, :, c], diverging, -hi, hi)) for c in range(m.shape[2])]
            else:  # after ReLU: 0 (dark) .. strongest (bright)
                images = [to_qimage(colour(m[:, :, c], "viridis", 0.0, hi)) for c in range(m.shape[2])]
            self.images.append(images)
        self.update()

    def _layout(self):
        """Per stage: (label rect, [map rects]); maps of a stage share one row (wrapping)."""
        st = app_style.current()
        label_h = st.font_px * 1.5
        W, H = self.width(), self.height()
        avail = H - label_h * len(self.images)
        best = (0.0, 0, 8)
        for per_row in range(4, 33):  # as many maps a row as makes them largest, rows filled if it can
            rows = sum(-(-len(maps) // per_row) for maps in self.images) or 1
            side = min(avail / rows - 4, (W - 4) / per_row - 4)
            empty = sum(-len(maps) % per_row for maps in self.images)
            best = max(best, (round(side), -empty, per_row))
        side, per_row = max(8.0, float(best[0])), best[2]
        rows_needed = [-(-len(maps) // per_row) for maps in self.images]
        out, y = [], 0.0
        for maps, rows in zip(self.images, rows_needed):
            label = QRectF(0, y, W, label_h)
            y += label_h
            rects = []
            for i in range(len(maps)):
                r, c = divmod(i, per_row)
                rects.append(QRectF(2 + c * (side + 4), y + r * (side + 4), side, side))
            y += rows * (side + 4)
            out.append((label, rects))
        return out

    def paintEvent(self, event):
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        p.setFont(_font(st.font_px))
        if not self.images:
            p.setPen(QColor(st.foreground))
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, "Draw a digit to see the CNN's feature maps.")
            p.end()
            return
        for s, (label, rects) in enumerate(self._layout()):
            p.setPen(QColor(st.foreground))
            h, w, C = self.maps[s].shape
            text = f"{STAGES[s]}: {C} maps of {h}×{w}"
            if QFontMetrics(p.font()).horizontalAdvance(text) > label.width():  # narrow: the short name
                text = f"{STAGES[s].split(' (')[0]}: {C} × {h}×{w}"
            p.drawText(label, Qt.AlignLeft | Qt.AlignVCenter, text)
            for c, rect in enumerate(rects):
                p.drawImage(rect, self.images[s][c])
            if self.selected is not None and self.selected[0] == s:
                _, c, i, j = self.selected
                rect = rects[c]
                k = rect.width() / w
                p.setPen(QPen(QColor("#d55e00"), max(2.0, st.zoom * 2)))
                p.drawRect(QRectF(rect.x() + j * k, rect.y() + i * k, k, k))
        p.end()

    def mousePressEvent(self, event):
        if event.button() != Qt.LeftButton or not self.images:
            return
        pos = event.position()
        for s, (_, rects) in enumerate(self._layout()):
            for c, rect in enumerate(rects):
                if rect.contains(pos):
                    h, w, _ = self.maps[s].shape
                    i = min(h - 1, int((pos.y() - rect.y()) / rect.height() * h))
                    j = min(w - 1, int((pos.x() - rect.x()) / rect.width() * w))
                    self.selected = (s, c, i, j)
                    self.update()
                    self.unit_clicked.emit(s, c, i, j)
                    return

    @Slot(object)
    def _on_style_changed(self, st):
        self.update()


class FieldImage(DigitImage):
    """The 28x28 input with the selected unit's receptive field drawn as a box."""

    def __init__(self, parent=None):
        super().__init__("Receptive field", parent)  # short: on a projector the picture keeps the height
        self.field: tuple | None = None  # (top, bottom, left, right) in input pixels, clipped

    def set_field(self, field) -> None:
        self.field = field
        self.update()

    def paintEvent(self, event):
        super().paintEvent(event)
        if self.field is None:
            return
        st = app_style.current()
        k = self.target.width() / 28
        x0, y0 = self.target.x(), self.target.y()
        top, bottom, left, right = self.field
        p = QPainter(self)
        p.setPen(QPen(QColor("#d55e00"), max(2.0, st.zoom * 2.5)))
        p.drawRect(QRectF(x0 + left * k, y0 + top * k, (right - left) * k, (bottom - top) * k))
        p.end()


class CnnPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.net = None
        self.x = np.zeros((28, 28), np.float32)
        self.unit: tuple | None = None  # (stage, map, row, col) selected
        self.maps = FeatureMaps()
        self.maps.unit_clicked.connect(self._on_maps_unit_clicked)
        self.kernels = TileGrid("The first layer's kernels appear when a CNN is loaded.")
        self.kernels.setToolTip("The learned 5×5 kernels of the first convolution (red: ink there raises the "
                                "map, blue: lowers it); with a unit of the second convolution selected, the "
                                "kernels it applies to each of the first layer's maps.")
        self.field = FieldImage()
        self.story = QLabel("Click a pixel of a feature map to see how it was computed.")
        self.story.setWordWrap(True)
        self.story.setTextFormat(Qt.RichText)
        self.story.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.story.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.kernel_box = QGroupBox("Kernels of conv1")
        QVBoxLayout(self.kernel_box).addWidget(self.kernels)
        story_scroll = QScrollArea()  # the sums are long on a projector: they scroll, never clip
        story_scroll.setWidgetResizable(True)
        story_scroll.setFrameShape(QScrollArea.NoFrame)
        story_scroll.setWidget(self.story)
        unit_box = QGroupBox("The selected unit")
        unit_layout = QHBoxLayout(unit_box)
        unit_layout.addWidget(self.field, 1)
        unit_layout.addWidget(story_scroll, 2)
        right = QVBoxLayout()
        right.addWidget(self.kernel_box, 3)  # all 16 kernels fit a 1024 projector
        right.addWidget(unit_box, 2)
        maps_box = QGroupBox("Feature maps for the current input")
        QVBoxLayout(maps_box).addWidget(self.maps)
        layout = QHBoxLayout(self)
        layout.addWidget(maps_box, 3)
        layout.addLayout(right, 2)

    def show_state(self, net, x: np.ndarray) -> None:
        """Redraw for the CNN `net` and the input x (28, 28)."""
        self.net, self.x = net, np.asarray(x, np.float32).reshape(28, 28)
        if net is None:
            return
        net.forward(self.x[None])
        maps = [m[0].copy() for m in net.maps]  # (h, w, C) each
        self.maps.set_maps(maps)
        self.field.set_values(self.x)
        self._show_unit(maps)

    def _show_unit(self, maps) -> None:
        net = self.net
        cmap = app_style.current().diverging_colormap
        if self.unit is None or self.unit[0] >= len(maps):
            w = net.conv1.weight[:, :, 0, :]  # (K, K, c1)
            self.kernel_box.setTitle(f"The {w.shape[2]} kernels of conv1")
            self.kernels.set_tiles(w.transpose(2, 0, 1), [str(c) for c in range(w.shape[2])], cmap=cmap,
                                   symmetric=True)
            self.field.set_field(None)
            return
        stage, c, i, j = self.unit
        self.field.set_field(receptive_field(stage, i, j))
        self.story.setText(unit_story(net, self.x, maps, stage, c, i, j))
        if stage >= 2:  # conv2 or after: the kernels this map applies to each conv1 map
            w = net.conv2.weight[:, :, :, c]  # (K, K, c1)
            self.kernel_box.setTitle(f"Kernels of conv2 map {c}, one per conv1 map")
            self.kernels.set_tiles(w.transpose(2, 0, 1), [str(k) for k in range(w.shape[2])], cmap=cmap,
                                   symmetric=True)
        else:
            w = net.conv1.weight[:, :, 0, :]
            self.kernel_box.setTitle(f"The {w.shape[2]} kernels of conv1")
            self.kernels.set_tiles(w.transpose(2, 0, 1), [str(k) + (" ◀" if k == c else "")
                                                          for k in range(w.shape[2])], cmap=cmap, symmetric=True)

    @Slot(int, int, int, int)
    def _on_maps_unit_clicked(self, stage, c, i, j):
        self.unit = (stage, c, i, j)
        if self.net is not None:
            self.show_state(self.net, self.x)
