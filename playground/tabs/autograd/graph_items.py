"""The drawn parts of the graph view (graph_view.py): a node's record (label / data / grad
[/ num] rows) or op ellipse as Qt items, the colours, and an edge's curve with its arrow head.
Everything is a Qt item (rects, ellipses, simple text, paths): nothing is painted from Python."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsPathItem,
                               QGraphicsSimpleTextItem)

ORANGE, BLUE, GREEN = "#E69F00", "#0072B2", "#009E73"  # Okabe-Ito: current step, selection, check
NUMBER_TEMPLATE = "grad -999.9999"  # the widest row text, so boxes keep their size as values change
KEY = 0  # QGraphicsItem.data() slot holding a node's key
ROW = 1.08  # a record's row height, in lines of its font


def fmt(x: float) -> str:
    """At most 9 characters: 4 decimals for ordinary numbers, 3 significant digits otherwise."""
    if x != x:
        return "nan"
    if abs(x) >= 1000 or (x != 0 and abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:.4f}"


class Palette:
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


class NodeItems:
    """The items of one node: a record of rows (label / data / grad [/ num]), or an op ellipse.
    Rows rather than micrograd's side-by-side cells keep the graph narrow enough to read on a
    projector without zooming."""

    @staticmethod
    def size_of(key, value, metrics: QFontMetricsF, numeric: bool) -> tuple[float, float]:
        """(width, height) of a node's box: what the layout needs to know of it."""
        pad = metrics.averageCharWidth()
        if key[0] == "op":
            h = metrics.height() * 1.35
            return max(h, metrics.horizontalAdvance(value.op) + 2 * pad), h
        rows = (1 if value.label else 0) + (3 if numeric else 2)
        w = max(metrics.horizontalAdvance(NUMBER_TEMPLATE),
                metrics.horizontalAdvance(value.label)) + 2 * pad
        return w, rows * metrics.height() * ROW + pad

    def __init__(self, view, key, value, metrics: QFontMetricsF, numeric: bool):
        self.key, self.value, self.view = key, value, view
        pal, font = view.palette_, view.font_
        pad = metrics.averageCharWidth()
        line = metrics.height() * ROW
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
        self.grad_row = (1 if value.label else 0) + 1 if key[0] == "v" else None
        self.role, self.selected, self.stale = "", False, False
        self.restyle()

    def set_stale(self, on: bool) -> None:
        """Grey italic grad: left from an earlier backward pass, not yet refilled by this one."""
        if on == self.stale or self.grad_row is None:
            return
        self.stale = on
        pal, item = self.view.palette_, self.texts[self.grad_row][0]
        font = QFont(self.view.font_)
        font.setItalic(on)
        item.setFont(font)
        item.setBrush(pal.muted if on else pal.text)

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


def edge_path(points, head: float):
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
