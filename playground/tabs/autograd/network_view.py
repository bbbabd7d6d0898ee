"""The tiny MLP drawn as TensorFlow Playground draws it: features, hidden neurons and the output
left to right, each neuron a small heatmap of what it computes over the plane, each weight a
line whose width is |w| and whose colour (and dash) is its sign.

    view.set_network(features, sizes, activations)   # the shape: rebuilds the items
    view.set_view(plane_view)                          # a PlaneView: heatmaps and line widths

Clicking a feature toggles it; hovering a neuron or clicking it, a line or a bias marker emits
a signal. Positions are in view pixels and recomputed on resize, so text keeps its size.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath,
                           QPainterPathStroker, QPen)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView)

from models.autograd import features as feats
from models.autograd.plane import THUMB, grid_points
from playground import style as app_style

POSITIVE, NEGATIVE, SELECTED = "#D55E00", "#0072B2", "#E69F00"  # Okabe-Ito, as the plane
KEY = 0  # QGraphicsItem.data() slot holding what an item stands for


WIDTH_STEP = 1.0  # px: a line is re-stroked (its cache redrawn) only when its width moves this much


def color_table(lut: np.ndarray) -> np.ndarray:
    """A (256, 4) RGBA lookup table as (256,) uint32 pixels 0xAARRGGBB (QImage's ARGB32)."""
    lut = np.asarray(lut, dtype=np.uint32)
    return (lut[:, 3] << 24) | (lut[:, 0] << 16) | (lut[:, 1] << 8) | lut[:, 2]


def index_images(idx: np.ndarray, colors: np.ndarray) -> list[QImage]:
    """(n, T, T) uint8 colour indices, row 0 at the top (models.autograd.plane.thumbnails)
    -> n opaque ARGB32 QImages (one lookup for all; the format Qt scales fastest)."""
    pixels = np.ascontiguousarray(colors[np.asarray(idx, dtype=np.uint8)])  # (n, T, T) uint32
    n, h, w = pixels.shape
    return [QImage(pixels[k].data, w, h, 4 * w, QImage.Format_ARGB32_Premultiplied).copy()
            for k in range(n)]  # copies: they own their bytes


def heat_images(grids: np.ndarray, colors: np.ndarray, lo=-1.0, hi=1.0) -> list[QImage]:
    """(n, R, C) values, row 0 at the bottom of the plane -> n QImages through the colours."""
    idx = np.clip((np.asarray(grids) - lo) * (255 / (hi - lo)), 0, 255).astype(np.uint8)
    return index_images(idx[:, ::-1], colors)  # flipped: image rows go down


class _Cell(QGraphicsRectItem):
    """A neuron (or feature) box: its heatmap inside, painted here (a new image is an update,
    not a geometry change as a child pixmap item's would be); hover tells the view."""

    def __init__(self, view, key, size):
        super().__init__(0, 0, size, size)
        self.view, self.key = view, key
        self.image = None
        self.setData(KEY, key)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.PointingHandCursor)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        super().paint(painter, option, widget)
        if self.image is not None:
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.drawImage(self.rect(), self.image)

    def hoverEnterEvent(self, event):
        self.view.neuron_hovered.emit(self.key[1], self.key[2])

    def hoverLeaveEvent(self, event):
        self.view.neuron_hovered.emit(-1, -1)


class _Wire(QGraphicsPathItem):
    """A weight's line; easy to hit: its clickable shape is at least 10 px wide."""

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(max(10.0, self.pen().widthF()))
        return stroker.createStroke(self.path())


class NetworkView(QGraphicsView):
    feature_toggled = Signal(str)  # a feature's name
    neuron_hovered = Signal(int, int)  # layer (0 = features), index; (-1, -1) on leaving
    neuron_clicked = Signal(int, int)
    weight_clicked = Signal(str, object)  # "W1" / "b0" and its index tuple

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumSize(320, 260)
        self.setToolTip("Click a feature to use it or not; hover or click a neuron to see it "
                        "in the big plot; click a line (or a neuron's small bias square) to "
                        "read and edit that weight")
        self.features, self.sizes, self.activations = feats.DEFAULT, [2, 1], ["linear"]
        self.cells: dict[tuple, _Cell] = {}  # ("n", layer, j) -> cell
        self.wires: dict[tuple, _Wire] = {}  # ("W", k, j, i) / ("b", k, j) -> line or marker
        self.view_ = None  # the last PlaneView shown
        self._groups: dict = {}  # weight matrix -> its lines (_index_wires)
        self._stale = False  # a view arrived while hidden: drawn when shown
        self._looks: dict[str, np.ndarray] = {}  # weight matrix -> (n, 3) its lines' looks now
        self._input_bounds = None  # the plane the features' heatmaps were made for
        self.selected_weight = None  # ("W"/"b", k, index)
        self.pinned = None  # (layer, j) of the neuron shown in the big plot
        self._restyle(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    # -- content -----------------------------------------------------------------------------
    def set_network(self, features, sizes, activations) -> None:
        """The shape to draw: active features, layer sizes [F, *hidden, 1], activations."""
        self.features, self.sizes = tuple(features), list(sizes)
        self.activations = list(activations)
        self.view_ = None  # the old network's numbers do not fit the new lines
        self._build()

    def set_view(self, view) -> None:
        """Heatmaps and line widths of a PlaneView (copies from a snapshot); drawn when seen."""
        self.view_ = view
        self._stale = not self.isVisible()
        if not self._stale:
            self._paint()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._paint()

    def select_weight(self, key) -> None:
        self.selected_weight = key
        self._paint_wires()

    def pin(self, neuron) -> None:
        """(layer, j) of the neuron shown big (outlined here), or None."""
        self.pinned = neuron
        for key, cell in self.cells.items():
            on = neuron is not None and key[1:] == tuple(neuron)
            cell.setPen(QPen(QColor(SELECTED if on else self.fg), self.thick if on else 1.0))

    # -- layout --------------------------------------------------------------------------------
    def _columns(self):
        """[(titles from longest to shortest, [keys])] left to right: every feature (used or
        not), then the layers."""
        cols = [(("Features", "In"), [("n", 0, i) for i in range(len(feats.FEATURES))])]
        for k, n in enumerate(self.sizes[1:], 1):
            act = self.activations[k - 1]
            titles = (("Output", "Out") if k == len(self.sizes) - 1 else
                      (f"Layer {k}\n{n} × {act}", f"L{k}\n{act}", f"L{k}"))
            cols.append((titles, [("n", k, j) for j in range(n)]))
        return cols

    def _title(self, titles, room: float) -> str:
        """The longest title whose widest line fits in `room` pixels."""
        metrics = QFontMetricsF(self.font_)
        for t in titles:
            if max(metrics.horizontalAdvance(line) for line in t.split("\n")) <= room:
                return t
        return titles[-1]

    def _build(self) -> None:
        scene = self.scene()
        scene.clear()
        self.cells, self.wires, self._looks, self._input_bounds = {}, {}, {}, None
        w, h = max(self.viewport().width(), 200), max(self.viewport().height(), 200)
        cols = self._columns()
        head = 2.6 * self.font_px  # room for the column titles
        tallest = max(len(keys) for _, keys in cols)
        size = max(14.0, min(72.0, (h - head - 8) / (tallest * 1.25), w / (len(cols) * 2.2)))
        metrics = QFontMetricsF(self.font_)
        label_w = 8 + max(metrics.horizontalAdvance(feats.label(f)) for f in feats.FEATURES)
        step_x = (w - label_w - size - 8) / max(1, len(cols) - 1)
        self.node_size = size
        centres = {}
        for c, (titles, keys) in enumerate(cols):
            x = label_w + c * step_x
            # a title is centred on its column: no wider than a step, nor than the view allows
            room = min(step_x - 6, 2 * (x + size / 2) - 4, 2 * (w - x - size / 2) - 4)
            text = QGraphicsSimpleTextItem(self._title(titles, room))
            text.setFont(self.font_)
            text.setBrush(QColor(self.fg))
            text.setPos(x + size / 2 - text.boundingRect().width() / 2, 2)
            scene.addItem(text)
            gap = (h - head - len(keys) * size) / (len(keys) + 1)
            gap = min(gap, size * 0.6)
            top = head + (h - head - len(keys) * size - (len(keys) - 1) * gap) / 2
            for r, key in enumerate(keys):
                y = top + r * (size + gap)
                cell = _Cell(self, key, size)
                cell.setPos(x, y)
                cell.setZValue(2)
                scene.addItem(cell)
                self.cells[key] = cell
                centres[key] = (x, y)
                if c == 0:
                    name = list(feats.FEATURES)[r]
                    label = QGraphicsSimpleTextItem(feats.label(name))
                    label.setFont(self.font_)
                    label.setBrush(QColor(self.fg))
                    br = label.boundingRect()
                    label.setPos(x - br.width() - 6, y + size / 2 - br.height() / 2)
                    scene.addItem(label)
                    active = name in self.features
                    cell.setOpacity(1.0 if active else 0.3)
                    label.setOpacity(1.0 if active else 0.5)
                    cell.setToolTip(f"{feats.label(name)}: click to {'remove' if active else 'add'}"
                                    " this input")
                else:
                    cell.setToolTip(f"neuron {key[1]}.{key[2] + 1}: hover to see it big, click "
                                    "to keep it there")
                    bias = QGraphicsRectItem(-size * 0.12, size * 0.76, size * 0.2, size * 0.2, cell)
                    bias.setData(KEY, ("b", key[1] - 1, key[2]))
                    bias.setToolTip("the bias of this neuron: click to read or edit it")
                    bias.setCursor(Qt.PointingHandCursor)
                    self.wires[("b", key[1] - 1, key[2])] = bias
        active = [list(feats.FEATURES).index(f) for f in self.features]
        for k in range(len(self.sizes) - 1):  # W{k}: column k -> column k + 1
            sources = active if k == 0 else range(self.sizes[k])
            for j in range(self.sizes[k + 1]):
                x1, y1 = centres[("n", k + 1, j)]
                for i, src in enumerate(sources):
                    x0, y0 = centres[("n", k, src)]
                    path = QPainterPath(QPointF(x0 + size, y0 + size / 2))
                    mid = (x0 + size + x1) / 2
                    path.cubicTo(QPointF(mid, y0 + size / 2), QPointF(mid, y1 + size / 2),
                                 QPointF(x1, y1 + size / 2))
                    wire = _Wire(path)
                    wire.setData(KEY, ("W", k, j, i))
                    wire.setZValue(1)
                    wire.setCacheMode(QGraphicsItem.DeviceCoordinateCache)  # redrawn on change only
                    wire.setCursor(Qt.PointingHandCursor)
                    scene.addItem(wire)
                    self.wires[("W", k, j, i)] = wire
        scene.setSceneRect(QRectF(0, 0, w, h))
        self._index_wires()
        self.pin(self.pinned if self.pinned and tuple(("n", *self.pinned)) in self.cells else None)
        self._paint()

    # -- painting --------------------------------------------------------------------------------
    def _paint(self) -> None:
        view = self.view_
        if view is None or len(view.neurons) != len(self.sizes):
            self._paint_wires()
            return
        names = list(feats.FEATURES)
        for c, idx in enumerate(view.thumbs[1:], 1):  # made with the snapshot, off this thread  # the layers: they change with every step
            for j, image in enumerate(index_images(idx, self.colors)):
                cell = self.cells.get(("n", c, j))
                if cell is not None:
                    cell.set_image(image)
        if self._input_bounds != view.bounds:  # the features change only with the plane shown;
            self._input_bounds = view.bounds  # unused ones show what they would bring
            grids = feats.feature_matrix(grid_points(view.bounds, THUMB), names)  # (T*T, 7)
            images = heat_images(grids.T.reshape(-1, THUMB, THUMB), self.colors)
            for j, image in enumerate(images):
                self.cells[("n", 0, j)].set_image(image)
        self._paint_wires()

    def _index_wires(self) -> None:
        """Per weight matrix ("W1", "b0"): where each line's weight sits and the line, in one
        order, so that _paint_wires reads a whole matrix at once."""
        groups: dict[str, tuple] = {}
        for key, item in self.wires.items():
            rows, cols, keys, items, where = groups.setdefault(f"{key[0]}{key[1]}",
                                                               ([], [], [], [], {}))
            where[tuple(key[2:])] = len(keys)
            rows.append(key[2])
            cols.append(key[3] if key[0] == "W" else 0)
            keys.append(key)
            items.append(item)
        self._groups = {name: (np.array(r), np.array(c), k, i, wh)
                        for name, (r, c, k, i, wh) in groups.items()}

    def _paint_wires(self) -> None:
        """Each line's width (|w|) and colour (sign) from the view's weights. Only the lines whose
        look changed are set (each set is a call into Qt and a re-stroke): the looks of a whole
        matrix are computed and compared at once, with the widths quantised."""
        weights = self.view_.weights if self.view_ is not None else {}
        scale = 1.5 if self.presentation else 1.0
        for name, (rows, cols, keys, items, where) in self._groups.items():
            array = weights.get(name)
            if array is None:
                w = np.zeros(len(keys))
            else:
                array = np.asarray(array, dtype=np.float64)
                w = array[rows, cols] if array.ndim == 2 else array[rows]
            chosen = np.zeros(len(keys), bool)
            sel = self.selected_weight
            if sel is not None and f"{sel[0]}{sel[1]}" == name and tuple(sel[2]) in where:
                chosen[where[tuple(sel[2])]] = True
            width = scale * (np.minimum(8.0, 0.6 + 2.5 * np.abs(w)) + 3.0 * chosen)
            width = np.maximum(WIDTH_STEP, np.round(width / WIDTH_STEP) * WIDTH_STEP)
            looks = np.stack([width, chosen, w >= 0], 1)  # (n, 3)
            old = self._looks.get(name)
            changed = (np.ones(len(keys), bool) if old is None or old.shape != looks.shape
                       else (old != looks).any(1))
            self._looks[name] = looks
            for i in np.flatnonzero(changed):
                self._style_wire(keys[i], items[i], float(width[i]), bool(chosen[i]),
                                 bool(w[i] >= 0))

    def _style_wire(self, key, item, width: float, selected: bool, positive: bool) -> None:
        color = QColor(SELECTED if selected else POSITIVE if positive else NEGATIVE)
        if key[0] == "W":
            pen = QPen(color, width)
            pen.setStyle(Qt.SolidLine if positive or selected else Qt.DashLine)
            pen.setCapStyle(Qt.FlatCap)
            item.setPen(pen)
        else:
            item.setBrush(QBrush(color))
            item.setPen(QPen(QColor(self.fg), 2.0 if selected else 0.5))

    # -- events ----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(KEY) is None:
            item = item.parentItem()
        if item is None or event.button() != Qt.LeftButton:
            super().mousePressEvent(event)
            return
        key = item.data(KEY)
        if key[0] == "n" and key[1] == 0:
            self.feature_toggled.emit(list(feats.FEATURES)[key[2]])
        elif key[0] == "n":
            self.neuron_clicked.emit(key[1], key[2])
        elif key[0] == "W":
            self.weight_clicked.emit(f"W{key[1]}", (key[2], key[3]))
        else:
            self.weight_clicked.emit(f"b{key[1]}", (key[2],))
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._build()

    def _restyle(self, st) -> None:
        self.presentation = st.presentation
        self.fg = st.foreground
        self.font_px = st.font_px
        self.font_ = QFont()
        self.font_.setPixelSize(st.font_px)
        self.thick = 3.0 * (1.5 if st.presentation else 1.0)
        lut = pg.colormap.get(st.diverging_colormap).getLookupTable(nPts=256, alpha=True)
        self.colors = color_table(lut)
        self.setBackgroundBrush(QBrush(QColor(st.background)))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._restyle(st)
        self._build()

