"""The computation graph of a Value, drawn like micrograd's draw_dot: a record per value
(label, data, grad), an op node between, edges left to right. Zoom with the wheel, pan by
dragging, F fits, A shows it all, click a node to select it.

    view = GraphView()
    view.show_graph(root)        # lays out (models.autograd.graph_layout) and draws
    view.refresh()               # after forward/backward changed data or grads
    view.set_highlight(i, [j])   # node i just got its grad from nodes j

Fit keeps the text readable (issue 13: at least 20 px on a projector): a graph that fits at that
size is shown whole; a bigger one is shown at that size around the node that matters (the one
backward is filling, else the selected one, else the output), the view follows the backward
steps, and an overview in the corner (graph_overview.py) shows where the view is.

The boxes and edges are Qt items (graph_items.py): a repaint costs no Python calls at all.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (QGraphicsPathItem, QGraphicsPolygonItem, QGraphicsScene,
                               QGraphicsView, QLabel)

from models.autograd.graph_layout import layered_layout, value_graph
from playground import style as app_style
from playground.tabs.autograd.graph_items import (KEY, ORANGE, NodeItems, Palette, edge_path,
                                                  fmt)
from playground.tabs.autograd.graph_overview import GraphOverview

__all__ = ["GraphView", "fmt"]
LAYER_GAP, NODE_GAP = 0.9, 0.8  # space between columns / between boxes of a column, in lines
READABLE_PX = {True: 20.0, False: 10.0}  # Fit never shows node text smaller (presentation: True)
MAX_FIT_SCALE = 1.5  # a small graph is not blown up beyond this


class GraphView(QGraphicsView):
    node_clicked = Signal(int)  # index into .values (the topological order)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.Antialiasing)
        self.setRenderHint(QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the overview shows where
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the view is, and drag pans
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setToolTip("Drag to pan, wheel to zoom, F to fit, click a node to inspect it")
        self.values = []
        self.numeric: dict[int, float] = {}  # index -> finite-difference grad ("check")
        self.nodes: dict[tuple, NodeItems] = {}
        self._shape = None  # (nodes, edges) currently drawn
        self._highlighted: list[NodeItems] = []
        self._selected: NodeItems | None = None
        self.layout_ = None
        self._fit_mode = "fit"  # kept as the view resizes: "fit", "all", or "" once the user zooms
        self._focus = None  # key of the node Fit centres on when the graph is bigger than the view
        self._highlight = (None, ())  # set_highlight's arguments, kept when the boxes are rebuilt
        self._stale: set[int] = set()  # values whose grad is left from an earlier pass
        self._restyle(app_style.current())
        self.overview = GraphOverview(self)
        self.busy_label = QLabel(self.viewport())  # "Laying out 2,280 boxes… 40 %"
        self.busy_label.setAlignment(Qt.AlignCenter)
        self.busy_label.hide()
        self.horizontalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
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
        self._highlight, self._stale = (None, ()), set()  # of another graph
        self._build(nodes, edges, layout)
        if fit:
            self.fit()

    def plan(self, root) -> tuple:
        """(nodes, edges, options) for models.autograd.graph_layout.layered_layout(nodes, edges,
        **options): the slow part of show_graph, which a job may run (options hold the boxes'
        sizes in this view's font; nothing in them is a Qt object)."""
        values, nodes, edges = value_graph(root)
        metrics = QFontMetricsF(self.font_)
        sizes = {key: NodeItems.size_of(key, values[key[1]], metrics, False) for key in nodes}
        gap = metrics.height()
        return nodes, edges, {"sizes": sizes, "layer_gap": LAYER_GAP * gap,
                              "node_gap": NODE_GAP * gap}

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
            focus = self._focus
            self._build(*self._shape)  # records grow or shrink by a cell: lay out again
            self._focus = self._focus or focus
            if self._fit_mode:
                self._apply_fit()
            else:
                self._update_overview()
        else:
            self.refresh()

    def set_stale(self, indices) -> None:
        """Mark the grads of these values as left from an earlier backward pass."""
        self._stale = set(indices)
        for key, node in self.nodes.items():
            node.set_stale(key[0] == "v" and key[1] in self._stale)

    def set_highlight(self, index: int | None, related=()) -> None:
        self._highlight = (index, tuple(related))
        for node in self._highlighted:
            node.role = ""
            node.restyle()
        self._highlighted = []
        self.overview.set_current(None)
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
            self._focus = current.key
            self.overview.set_current(current.shape.sceneBoundingRect())
            self.ensureVisible(current.shape, 40, 40)  # follow backward through a big graph
            box = self.mapFromScene(current.shape.sceneBoundingRect()).boundingRect()
            if self.overview.isVisible() and box.intersects(self.overview.geometry()):
                self.centerOn(current.shape)  # not under the overview

    def select(self, index: int | None) -> None:
        if self._selected is not None:
            self._selected.selected = False
            self._selected.restyle()
        self._selected = self.nodes.get(("v", index)) if index is not None else None
        if self._selected is not None:
            self._selected.selected = True
            self._selected.restyle()
            if not self._highlighted:
                self._focus = self._selected.key

    def set_busy(self, text: str | None) -> None:
        """A note over the view while the next graph is being made (None: hide it)."""
        if not text:
            self.busy_label.hide()
            return
        st = app_style.current()
        self.busy_label.setStyleSheet(f"background: {st.background}; color: {st.foreground}; "
                                      f"border: 2px solid {ORANGE}; padding: 8px")
        self.busy_label.setText(text)
        self.busy_label.adjustSize()
        port = self.viewport().rect()
        self.busy_label.move((port.width() - self.busy_label.width()) // 2,
                             (port.height() - self.busy_label.height()) // 2)
        self.busy_label.show()
        self.busy_label.raise_()

    # -- view -----------------------------------------------------------------------------------
    def readable_scale(self) -> float:
        """The smallest zoom at which node text is still READABLE_PX on screen."""
        return READABLE_PX[app_style.current().presentation] / self.font_.pixelSize()

    def text_px(self) -> float:
        """How tall node text is on screen now, in pixels."""
        return self.font_.pixelSize() * self.transform().m11()

    def shows_all(self) -> bool:
        """True when the whole graph is inside the view."""
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        slack = 2 / self.transform().m11()  # scrolling is in whole pixels
        return visible.adjusted(-slack, -slack, slack, slack).contains(self.scene().sceneRect())

    @Slot()
    def fit(self) -> None:
        """The whole graph if its text stays readable, else a readable part of it around the
        node that matters; kept as the view resizes until the user zooms."""
        self._fit_mode = "fit"
        self._apply_fit()

    @Slot()
    def show_all(self) -> None:
        """The whole graph, however small its text gets (an overview)."""
        self._fit_mode = "all"
        self._apply_fit()

    def _apply_fit(self) -> None:
        rect = self.scene().sceneRect()
        view = self.viewport().rect()
        if not (rect.isValid() and self.nodes and view.width() > 0 and view.height() > 0):
            return
        whole = min(view.width() / rect.width(), view.height() / rect.height(), MAX_FIT_SCALE)
        whole *= 0.995  # a pixel to spare: the view scrolls in whole pixels
        scale = whole if self._fit_mode == "all" else max(whole, self.readable_scale())
        self.resetTransform()
        self.scale(scale, scale)
        if scale <= whole + 1e-9:
            self.centerOn(rect.center())
        else:
            focus = self.nodes.get(self._focus) or self.nodes.get(("v", len(self.values) - 1))
            if focus is not None:  # the output, by default: backward starts there
                self.centerOn(focus.shape)
        self._update_overview()

    @Slot()
    def zoom_in(self) -> None:
        self._zoom(1.25)

    @Slot()
    def zoom_out(self) -> None:
        self._zoom(0.8)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self._apply_fit()
        else:
            self._update_overview()

    def _zoom(self, factor: float) -> None:
        self._fit_mode = ""
        scale = self.transform().m11() * factor
        if 0.02 <= scale <= 8:
            self.scale(factor, factor)
        self._update_overview()

    @Slot()
    def _on_scrolled(self, *_) -> None:
        self._update_overview()

    def _update_overview(self) -> None:
        self.overview.follow(self.scene().sceneRect(),
                             self.mapToScene(self.viewport().rect()).boundingRect(),
                             not self.nodes or self.shows_all())

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta:
            self._zoom(1.15 ** (delta / 120))
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key_F:
            self.fit()
        elif key == Qt.Key_A:
            self.show_all()
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
        self._focus = None
        metrics = QFontMetricsF(self.font_)
        sizes = {}
        for key in nodes:
            numeric = key[0] == "v" and key[1] in self.numeric
            node = NodeItems(self, key, self.values[key[1]], metrics, numeric)
            self.nodes[key] = node
            sizes[key] = node.size
        gap = metrics.height()
        if layout is None or set(layout.positions) != set(nodes):
            layout = layered_layout(nodes, edges, sizes, layer_gap=LAYER_GAP * gap,
                                    node_gap=NODE_GAP * gap)
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
            curve, arrow = edge_path(points, head)
            item = QGraphicsPathItem(curve)
            item.setPen(pen)
            tip = QGraphicsPolygonItem(arrow, item)
            tip.setPen(QPen(Qt.NoPen))
            tip.setBrush(brush)
            scene.addItem(item)
        scene.setSceneRect(QRectF(-6, -6, layout.width + 12, layout.height + 12))  # the boxes' extent
        self.overview.set_boxes([(n.shape.sceneBoundingRect(), not n.value.parents)
                                 for n in self.nodes.values() if n.key[0] == "v"],
                                scene.sceneRect())
        self.refresh()
        self.select(selected)
        self.set_stale(self._stale)
        index, related = self._highlight
        if index is not None and index < len(self.values):
            self.set_highlight(index, related)

    def _restyle(self, st) -> None:
        self.palette_ = Palette(st)
        self.font_ = QFont()
        self.font_.setPixelSize(st.font_px)
        self.bold_ = QFont(self.font_)
        self.bold_.setBold(True)
        self.setBackgroundBrush(QBrush(QColor(st.background)))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._restyle(st)
        self.overview.restyle(st)
        if self._shape:
            focus = self._focus
            self._build(*self._shape)
            self._focus = focus
            self.fit()
