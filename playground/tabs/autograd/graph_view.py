"""The computation graph of a Value, drawn like micrograd's draw_dot: a record per value
(label, data, grad), an op node between, edges left to right. Zoom with the wheel, pan by
dragging, F fits, click a node to select it.

    view = GraphView()
    view.show_graph(root)        # lays out (models.autograd.graph_layout) and draws
    view.refresh()               # after forward/backward changed data or grads
    view.set_highlight(i, [j])   # node i just got its grad from nodes j

Everything is drawn by Qt's own items (rects, ellipses, simple text, paths): nothing is painted
from Python, so a repaint of a few hundred nodes costs no Python calls at all.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen,
                           QPolygonF)
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsPathItem,
                               QGraphicsPolygonItem, QGraphicsScene,
                               QGraphicsSimpleTextItem, QGraphicsView)

from models.autograd.graph_layout import layered_layout, value_graph
from playground import style as app_style

ORANGE, BLUE, GREEN = "#E69F00", "#0072B2", "#009E73"  # Okabe-Ito: current step, selection, check
NUMBER_TEMPLATE = "grad -999.9999"  # the widest row text, so boxes keep their size as values change
KEY = 0  # QGraphicsItem.data() slot holding a node's key


def fmt(x: float) -> str:
    """At most 9 characters: 4 decimals for ordinary numbers, 3 significant digits otherwise."""
    if x != x:
        return "nan"
    if abs(x) >= 1000 or (x != 0 and abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:.4f}"


class _Palette:
    def __init__(self, st):
        dark = st.theme == "dark"
        self.text = QColor(st.foreground)
        self.muted = QColor(st.muted)
        self.box = QColor("#2a2a2a" if dark else "#ffffff")
        self.leaf = QColor("#22364a" if dark else "#e8f1fa")
        self.current = QColor("#5a4310" if dark else "#fde9bd")
        self.edge = QColor("#9a9a9a" if dark else "#707070")
        self.thick = 3.5 * (1.5 if st.presentation else 1.0)
        self.thin = 1.2 * (1.5 if st.presentation else 1.0)


class _Node:
    """The items of one node: a record of rows (label / data / grad [/ num]), or an op ellipse.
    Rows rather than micrograd's side-by-side cells keep the graph narrow enough to read on a
    projector without zooming."""

    @staticmethod
    def size_of(key, value, metrics: QFontMetricsF, numeric: bool) -> tuple[float, float]:
        """(width, height) of a node's box: what the layout needs to know of it."""
        pad = metrics.averageCharWidth()
        if key[0] == "op":
            h = metrics.height() * 1.9
            return max(h, metrics.horizontalAdvance(value.op) + 2 * pad), h
        rows = (1 if value.label else 0) + (3 if numeric else 2)
        w = max(metrics.horizontalAdvance(NUMBER_TEMPLATE),
                metrics.horizontalAdvance(value.label)) + 2 * pad
        return w, rows * metrics.height() * 1.2 + pad

    def __init__(self, view: "GraphView", key, value, metrics: QFontMetricsF, numeric: bool):
        self.key, self.value, self.view = key, value, view
        pal, font = view.palette_, view.font_
        pad = metrics.averageCharWidth()
        line = metrics.height() * 1.2
        w, h = self.size_of(key, value, metrics, numeric)
        if key[0] == "op":
            self.shape = QGraphicsEllipseItem(-w / 2, -h / 2, w, h)
            self.fill = pal.box
            rows = 1
        else:
            rows = (1 if value.label else 0) + (3 if numeric else 2)
            path = QPainterPath()
            path.addRoundedRect(QRectF(-w / 2, -h / 2, w, h), 4, 4)
            self.shape = QGraphicsPathItem(path)
            self.fill = pal.leaf if not value.parents else pal.box
        self.size = (w, h)
        self.shape.setData(KEY, key)
        self.shape.setCursor(Qt.PointingHandCursor)
        self.texts = []  # (item, top of its row, row height)
        top = -h / 2 + (pad / 2 if rows > 1 or key[0] == "v" else 0)
        row_h = line if key[0] == "v" else h
        for i in range(rows):
            if i and key[0] == "v" and (i == 1 and value.label):
                rule = QGraphicsLineItem(-w / 2, top, w / 2, top, self.shape)
                rule.setPen(QPen(pal.muted, 1))
            text = QGraphicsSimpleTextItem(self.shape)
            text.setFont(view.bold_ if (i == 0 and key[0] == "v" and value.label) else font)
            text.setBrush(QColor(GREEN) if numeric and i == rows - 1 else pal.text)
            self.texts.append((text, top, row_h))
            top += row_h
        self.shown = [None] * len(self.texts)
        self.role, self.selected = "", False
        self.restyle()

    def refresh(self, numeric) -> None:
        """Set the cell texts (only those that changed: each set is a call into Qt)."""
        v = self.value
        if self.key[0] == "op":
            strings = [v.op]
        else:
            strings = ([v.label] if v.label else []) + [f"data {fmt(v.data)}", f"grad {fmt(v.grad)}"]
            if numeric is not None:
                strings.append(f"num {fmt(numeric)}")
        for k, ((item, top, row_h), s) in enumerate(zip(self.texts, strings)):
            if self.shown[k] != s:
                self.shown[k] = s
                item.setText(s)
                r = item.boundingRect()
                item.setPos(-r.width() / 2, top + (row_h - r.height()) / 2)

    def restyle(self) -> None:
        pal = self.view.palette_
        fill, pen = self.fill, QPen(pal.text, pal.thin)
        if self.role:
            pen = QPen(QColor(ORANGE), pal.thick, Qt.SolidLine if self.role == "current"
                       else Qt.DashLine)
            fill = pal.current if self.role == "current" else fill
        if self.selected:
            pen = QPen(QColor(BLUE), pal.thick)
        self.shape.setPen(pen)
        self.shape.setBrush(QBrush(fill))


class GraphView(QGraphicsView):
    node_clicked = Signal(int)  # index into .values (the topological order)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.Antialiasing)
        self.setRenderHint(QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setToolTip("Drag to pan, wheel to zoom, F to fit, click a node to inspect it")
        self.values = []
        self.numeric: dict[int, float] = {}  # index -> finite-difference grad ("check")
        self.nodes: dict[tuple, _Node] = {}
        self._shape = None  # (nodes, edges) currently drawn
        self._highlighted: list[_Node] = []
        self._selected: _Node | None = None
        self.layout_ = None
        self._auto_fit = True
        self._restyle(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    # -- content --------------------------------------------------------------------------------
    def show_graph(self, root, fit: bool = True, layout=None) -> None:
        """Draw the graph of `root`. A graph of the same shape as the one shown (the same
        program run forward again) only updates its numbers and keeps the view. `layout`: one
        made off the GUI thread from plan(root) (default: laid out here)."""
        values, nodes, edges = value_graph(root)
        self.values = values
        if self._shape == (nodes, edges):
            for node in self.nodes.values():
                node.value = values[node.key[1]]
            self.refresh()
            return
        self._shape = (nodes, edges)
        self.numeric = {}
        self._build(nodes, edges, layout)
        if fit:
            self.fit()

    def plan(self, root) -> tuple:
        """(nodes, edges, options) for models.autograd.graph_layout.layered_layout(nodes, edges,
        **options): the slow part of show_graph, which a job may run (options hold the boxes'
        sizes in this view's font; nothing in them is a Qt object)."""
        values, nodes, edges = value_graph(root)
        metrics = QFontMetricsF(self.font_)
        sizes = {key: _Node.size_of(key, values[key[1]], metrics, False) for key in nodes}
        gap = metrics.height()
        return nodes, edges, {"sizes": sizes, "layer_gap": 1.8 * gap, "node_gap": gap}

    def shows(self, root) -> bool:
        """True when the graph on screen has the shape of root's (no new layout needed)."""
        _, nodes, edges = value_graph(root)
        return self._shape == (nodes, edges)

    def refresh(self) -> None:
        """Show the current data and grads of every value."""
        numeric = self.numeric
        for node in self.nodes.values():
            node.refresh(numeric.get(node.key[1]) if node.key[0] == "v" else None)

    def set_numeric(self, grads: dict[int, float]) -> None:
        """Finite-difference grads to show next to the analytic ones (empty: hide)."""
        changed = set(grads) != set(self.numeric)
        self.numeric = dict(grads)
        if changed and self._shape:
            self._build(*self._shape)  # records grow or shrink by a cell: lay out again
        else:
            self.refresh()

    def set_highlight(self, index: int | None, related=()) -> None:
        for node in self._highlighted:
            node.role = ""
            node.restyle()
        self._highlighted = []
        if index is None:
            return
        for i, role in [(j, "term") for j in related] + [(index, "current")]:
            node = self.nodes.get(("v", i))
            if node is not None:
                node.role = role
                node.restyle()
                self._highlighted.append(node)
        current = self.nodes.get(("v", index))
        if current is not None:
            self.ensureVisible(current.shape, 40, 40)

    def select(self, index: int | None) -> None:
        if self._selected is not None:
            self._selected.selected = False
            self._selected.restyle()
        self._selected = self.nodes.get(("v", index)) if index is not None else None
        if self._selected is not None:
            self._selected.selected = True
            self._selected.restyle()

    # -- view -----------------------------------------------------------------------------------
    @Slot()
    def fit(self) -> None:
        """Show the whole graph; it stays fitted as the view resizes until the user zooms."""
        self._auto_fit = True
        rect = self.scene().sceneRect()
        if rect.isValid() and self.nodes:
            self.fitInView(rect, Qt.KeepAspectRatio)
            if self.transform().m11() > 1.5:  # a small graph: do not blow it up
                self.resetTransform()
                self.scale(1.5, 1.5)
                self.centerOn(rect.center())

    @Slot()
    def zoom_in(self) -> None:
        self._zoom(1.25)

    @Slot()
    def zoom_out(self) -> None:
        self._zoom(0.8)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    def _zoom(self, factor: float) -> None:
        self._auto_fit = False
        scale = self.transform().m11() * factor
        if 0.02 <= scale <= 8:
            self.scale(factor, factor)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta:
            self._zoom(1.15 ** (delta / 120))
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key_F:
            self.fit()
        elif key in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key_Minus:
            self.zoom_out()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(KEY) is None:
            item = item.parentItem()
        if item is not None and event.button() == Qt.LeftButton:
            self.node_clicked.emit(item.data(KEY)[1])
            event.accept()
            return
        super().mousePressEvent(event)

    # -- drawing --------------------------------------------------------------------------------
    def _build(self, nodes, edges, layout=None) -> None:
        scene = self.scene()
        selected = self._selected.key[1] if self._selected is not None else None
        scene.clear()
        self.nodes, self._highlighted, self._selected = {}, [], None
        metrics = QFontMetricsF(self.font_)
        sizes = {}
        for key in nodes:
            numeric = key[0] == "v" and key[1] in self.numeric
            node = _Node(self, key, self.values[key[1]], metrics, numeric)
            self.nodes[key] = node
            sizes[key] = node.size
        gap = metrics.height()
        if layout is None or set(layout.positions) != set(nodes):
            layout = layered_layout(nodes, edges, sizes, layer_gap=1.8 * gap, node_gap=gap)
        self.layout_ = layout
        for key, (x, y) in self.layout_.positions.items():
            shape = self.nodes[key].shape
            shape.setPos(x, y)
            shape.setZValue(1)
            scene.addItem(shape)
        pen = QPen(self.palette_.edge, self.palette_.thin * 1.3)
        brush = QBrush(self.palette_.edge)
        head = gap * 0.45
        for _, _, points in self.layout_.edges:
            curve, arrow = _edge(points, head)
            item = QGraphicsPathItem(curve)
            item.setPen(pen)
            tip = QGraphicsPolygonItem(arrow, item)
            tip.setPen(QPen(Qt.NoPen))
            tip.setBrush(brush)
            scene.addItem(item)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-10, -10, 10, 10))
        self.refresh()
        self.select(selected)

    def _restyle(self, st) -> None:
        self.palette_ = _Palette(st)
        self.font_ = QFont()
        self.font_.setPixelSize(st.font_px)
        self.bold_ = QFont(self.font_)
        self.bold_.setBold(True)
        self.setBackgroundBrush(QBrush(QColor(st.background)))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._restyle(st)
        if self._shape:
            self._build(*self._shape)
            self.fit()


def _edge(points, head: float):
    """A smooth curve through the layout's points (horizontal tangents) and its arrow head."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    curve = QPainterPath(QPointF(x0, y0))
    prev = QPointF(x0, y0)
    for p in [QPointF(x, y) for x, y in points[1:-1]] + [QPointF(x1 - head, y1)]:
        dx = (p.x() - prev.x()) / 2
        curve.cubicTo(QPointF(prev.x() + dx, prev.y()), QPointF(p.x() - dx, p.y()), p)
        prev = p
    arrow = QPolygonF([QPointF(x1, y1), QPointF(x1 - head, y1 - head / 2),
                       QPointF(x1 - head, y1 + head / 2)])
    return curve, arrow
