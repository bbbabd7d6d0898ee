"""SVG that every renderer draws the same: curves, axes, titles and legends written by hand.

Qt's QSvgGenerator records pyqtgraph's paint calls with their transforms and clip regions; QtSvg
then lets curves run past the axes and squeezes the labels, and librsvg fills the curves as
solid blocks. So a plot of lines is written here as plain SVG (polylines clipped to the plot by
hand: SVG Tiny, which QtSvg reads, has no clip paths), from the same numbers pyqtgraph draws
(its axes' own draw specs). A view with images or other items is embedded as a PNG instead.
"""
from __future__ import annotations

import base64
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF
from PySide6.QtGui import QImage, QPainter


def _color(pen) -> tuple[str, float, float]:
    c = pen.color()
    return c.name(), c.alphaF(), max(pen.widthF(), 1.0)


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def can_write_vector(view: pg.GraphicsView) -> bool:
    """Only lines, axes, labels and legends: what this writer draws faithfully."""
    plots = [i for i in view.scene().items() if isinstance(i, pg.PlotItem) and i.isVisible()]
    odd = [i for i in view.scene().items() if i.isVisible() and isinstance(
        i, (pg.ImageItem, pg.BarGraphItem, pg.TextItem, pg.ErrorBarItem, pg.FillBetweenItem))]
    return bool(plots) and not odd


def plot_svg(view: pg.GraphicsView) -> str:
    """The plots of a PlotWidget / GraphicsLayoutWidget as SVG, as large as the view on screen."""
    rect = view.viewport().rect()
    w, h = rect.width(), rect.height()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny" '
           f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
           f'<rect x="0" y="0" width="{w}" height="{h}" fill="{view.backgroundBrush().color().name()}"/>']
    to_view = _Mapper(view.viewportTransform())
    for plot in [i for i in view.scene().items() if isinstance(i, pg.PlotItem) and i.isVisible()]:
        out += _plot(plot, to_view)
    out.append("</svg>")
    return "\n".join(out)


class _Mapper:
    """Scene -> view pixels in floating point (QGraphicsView.mapFromScene rounds to whole pixels)."""

    def __init__(self, transform):
        self.t = transform

    def __call__(self, p: QPointF) -> QPointF:
        return self.t.map(p)

    def rect(self, r):
        return self.t.mapRect(r)


def _text(x, y, text, size, color="#000000", anchor="middle", rotate=False) -> str:
    turn = f' transform="rotate(-90 {_fmt(x)} {_fmt(y)})"' if rotate else ""
    return (f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-family="DejaVu Sans, sans-serif" '
            f'font-size="{_fmt(size)}" fill="{color}" text-anchor="{anchor}"{turn}>{escape(text)}</text>')


def _plot(plot: pg.PlotItem, to_view) -> list[str]:
    out = []
    vb = plot.getViewBox()
    box = to_view.rect(vb.sceneBoundingRect())
    x0, y0, x1, y1 = box.left(), box.top(), box.right(), box.bottom()
    # view coordinates -> pixels: an affine map, read off the corners of the range shown
    (vx0, vx1), (vy0, vy1) = vb.viewRange()
    c = to_view(vb.mapViewToScene(QPointF(vx0, vy0)))
    ex = to_view(vb.mapViewToScene(QPointF(vx1, vy0)))
    ey = to_view(vb.mapViewToScene(QPointF(vx0, vy1)))
    dx, dy = (vx1 - vx0) or 1.0, (vy1 - vy0) or 1.0
    A = np.array([[(ex.x() - c.x()) / dx, (ey.x() - c.x()) / dy], [(ex.y() - c.y()) / dx, (ey.y() - c.y()) / dy]])
    o = QPointF(c.x() - A[0, 0] * vx0 - A[0, 1] * vy0, c.y() - A[1, 0] * vx0 - A[1, 1] * vy0)
    scratch = QImage(8, 8, QImage.Format_ARGB32)  # kept alive while painted on
    painter = QPainter(scratch)  # font metrics for the axes' draw specs
    try:
        for name in ("left", "bottom", "right", "top"):
            axis = plot.getAxis(name)
            if axis.isVisible():
                out += _axis(axis, painter, to_view)
    finally:
        painter.end()
    for item in plot.listDataItems():
        if not item.isVisible():
            continue
        x, y = item.curve.getData()  # what is drawn: log-mapped, downsampled as on screen
        if x is None or len(x) == 0:
            continue
        x, y = np.asarray(x, float), np.asarray(y, float)
        px = o.x() + A[0, 0] * x + A[0, 1] * y  # (N,)
        py = o.y() + A[1, 0] * x + A[1, 1] * y  # (N,)
        inside = np.isfinite(px) & np.isfinite(py) & (px >= x0 - 0.5) & (px <= x1 + 0.5) \
            & (py >= y0 - 0.5) & (py <= y1 + 0.5)
        pen = item.opts.get("pen")
        if pen is not None:
            color, alpha, width = _color(pg.mkPen(pen))
            for run in np.split(np.arange(len(px)), np.flatnonzero(~inside)):
                run = run[inside[run]]
                if len(run) >= 2:
                    pts = " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in zip(px[run], py[run]))
                    out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-opacity="{alpha:.3g}" '
                               f'stroke-width="{_fmt(width)}" stroke-linejoin="round"/>')
        if item.opts.get("symbol") is not None:
            brush = pg.mkBrush(item.opts.get("symbolBrush"))
            r = float(item.opts.get("symbolSize", 6)) / 2
            for a, b in zip(px[inside], py[inside]):
                out.append(f'<circle cx="{_fmt(a)}" cy="{_fmt(b)}" r="{_fmt(r)}" fill="{brush.color().name()}"/>')
    for item in plot.items:
        if isinstance(item, pg.InfiniteLine) and item.isVisible():
            color, alpha, width = _color(item.pen)
            p = to_view(item.mapToScene(QPointF(0, 0)))
            if abs(item.angle % 180) == 90:
                out.append(f'<line x1="{_fmt(p.x())}" y1="{_fmt(y0)}" x2="{_fmt(p.x())}" y2="{_fmt(y1)}" '
                           f'stroke="{color}" stroke-width="{_fmt(width)}" stroke-dasharray="6,4"/>')
            else:
                out.append(f'<line x1="{_fmt(x0)}" y1="{_fmt(p.y())}" x2="{_fmt(x1)}" y2="{_fmt(p.y())}" '
                           f'stroke="{color}" stroke-width="{_fmt(width)}" stroke-dasharray="6,4"/>')
    title = plot.titleLabel
    if title.isVisible() and title.text:
        r = to_view.rect(title.item.sceneBoundingRect())
        out.append(_text(r.center().x(), r.center().y() + _text_px(title.item) * 0.35, _plain(title.text),
                         _text_px(title.item)))
    legend = plot.legend
    if legend is not None and legend.isVisible():
        for sample, label in legend.items:
            r = to_view.rect(label.item.sceneBoundingRect())
            s = to_view.rect(sample.sceneBoundingRect())
            pen = sample.item.opts.get("pen") if hasattr(sample.item, "opts") else None
            if pen is not None:
                color, _, width = _color(pg.mkPen(pen))
                out.append(f'<line x1="{_fmt(s.left() + 2)}" y1="{_fmt(s.center().y())}" x2="{_fmt(s.right() - 2)}" '
                           f'y2="{_fmt(s.center().y())}" stroke="{color}" stroke-width="{_fmt(width)}"/>')
            out.append(_text(r.left() + label.item.document().documentMargin(),
                             r.center().y() + _text_px(label.item) * 0.35, _plain(label.text),
                             _text_px(label.item), anchor="start"))
    return out


def _axis(axis: pg.AxisItem, painter, to_view) -> list[str]:
    out = []
    axis_spec, tick_specs, text_specs = axis.generateDrawSpecs(painter)
    color = axis.pen().color().name()
    line = lambda p1, p2, c, w: (f'<line x1="{_fmt(p1.x())}" y1="{_fmt(p1.y())}" x2="{_fmt(p2.x())}" '
                                 f'y2="{_fmt(p2.y())}" stroke="{c}" stroke-width="{_fmt(w)}"/>')
    m = lambda p: to_view(axis.mapToScene(p))
    pen, p1, p2 = axis_spec
    out.append(line(m(p1), m(p2), color, max(pen.widthF(), 1)))
    for pen, p1, p2 in tick_specs:
        c = pen.color()
        out.append(line(m(p1), m(p2), c.name(), max(pen.widthF(), 1)).replace(
            "/>", f' stroke-opacity="{c.alphaF():.3g}"/>'))
    size = _px(axis.style.get("tickFont") or axis.font())
    for rect, _flags, text in text_specs:
        r = to_view.rect(axis.mapRectToScene(rect))
        anchor = "end" if axis.orientation == "left" else "start" if axis.orientation == "right" else "middle"
        x = r.right() if anchor == "end" else r.left() if anchor == "start" else r.center().x()
        out.append(_text(x, r.center().y() + size * 0.35, text, size, color, anchor))
    label = axis.label
    if label.isVisible():
        r = to_view.rect(label.sceneBoundingRect())
        text = label.toPlainText().strip()
        if text:
            vertical = axis.orientation in ("left", "right")
            px = _text_px(label)
            out.append(_text(r.center().x() + (px * 0.35 if vertical else 0),
                             r.center().y() + (0 if vertical else px * 0.35), text, px, color, rotate=vertical))
    return out


def _px(font) -> float:
    return font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72


def _text_px(item) -> float:
    """The pixel size of a QGraphicsTextItem's text (its HTML may set it): its line height less
    the document's margins, over the usual line spacing."""
    doc = item.document()
    lines = max(1, doc.lineCount())
    return max(6.0, (doc.size().height() - 2 * doc.documentMargin()) / lines / 1.17)


def _plain(html: str) -> str:
    doc = pg.QtGui.QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


def raster_svg(widget) -> str:
    """Any widget as an SVG holding a PNG of it: exact in every renderer, though not scalable."""
    image = widget.grab().toImage()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    b64 = base64.b64encode(bytes(data)).decode("ascii")
    w, h = widget.width(), widget.height()
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'version="1.2" baseProfile="tiny" width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
            f'<image x="0" y="0" width="{w}" height="{h}" xlink:href="data:image/png;base64,{b64}"/>\n</svg>')
