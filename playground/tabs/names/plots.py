"""The Names tab's plots: per-layer histograms with live legends, the character embedding as
letters, and readable ticks for a log axis of less than a decade."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath, QTransform

from playground import style as app_style
from playground.widgets.label_spread import layout
from playground.widgets.plot_style import font, style_plot_item


def log_ticks(lo: float, hi: float, target: int = 6) -> list[tuple[float, str]]:
    """Labelled ticks for a log10 axis showing 10**lo .. 10**hi, even when that is less than a
    decade (pyqtgraph then labels only the powers of ten, often none): about `target` round
    values, each placed at its log10."""
    a, b = 10.0 ** lo, 10.0 ** hi
    if not (np.isfinite(a) and np.isfinite(b)) or b <= a:
        return []
    if hi - lo > 1:  # more than a decade: 1-2-5 in each decade (or just the powers of ten)
        powers = 10.0 ** np.arange(np.floor(lo), np.ceil(hi) + 1)
        for mults in ((1, 2, 5), (1,)):
            values = np.array([m * p for p in powers for m in mults])
            values = values[(values >= a) & (values <= b)]
            if len(values) <= 2 * target:
                break
        return [(float(np.log10(v)), f"{v:g}") for v in values]
    raw = (b - a) / target
    step = min((m * 10.0 ** np.floor(np.log10(raw)) for m in (1, 2, 2.5, 5, 10)), key=lambda s: abs(s - raw))
    values = np.arange(np.ceil(a / step) * step, b + step * 1e-9, step)
    values = values[values > 0]
    return [(float(np.log10(v)), f"{v:.10g}") for v in values]


class _TitleWidth(QObject):
    """Keeps its plot at least as wide as the plot's title (see keep_title_width); a child of the
    plot, so its connection to the style bus ends with the plot."""

    def __init__(self, plot: pg.PlotWidget, title: str, extra_em: float, label: str):
        super().__init__(plot)
        self._plot, self._title, self._extra, self._label = plot, title, extra_em, label
        self.fit(app_style.current())
        app_style.bus().changed.connect(self.fit)

    @Slot(object)
    def fit(self, st) -> None:
        width = max(QFontMetricsF(font(st, st.title_px / st.font_px)).horizontalAdvance(self._title),
                    QFontMetricsF(font(st)).horizontalAdvance(self._label))
        self._plot.setMinimumWidth(int(width + self._extra * st.font_px))


def keep_title_width(plot: pg.PlotWidget, title: str, extra_em: float = 3.0, label: str = "") -> None:
    """Make `plot` at least as wide as its title and its x-axis `label` (plus `extra_em` of the axis font for the left
    axis), in the current style and after each change: pyqtgraph draws a squeezed plot past its
    widget's edge, while an honest minimum width lets the window fold its controls instead."""
    _TitleWidth(plot, title, extra_em, label)


def short_step_ticks(plot: pg.PlotWidget) -> None:
    """Label the step axis 50k, 100k, ... (six-digit steps ran together on a projector)."""
    def strings(values, scale, spacing):
        return [f"{v / 1000:g}k" if abs(v) >= 10_000 else f"{v:g}" for v in values]

    plot.getPlotItem().getAxis("bottom").tickStrings = strings


def keep_log_ticks_readable(plot: pg.PlotWidget) -> None:
    """Relabel the log y axis of `plot` with round values whenever its range changes."""
    axis, view = plot.getPlotItem().getAxis("left"), plot.getPlotItem().getViewBox()

    def relabel(_view, yrange):
        axis.setTicks([log_ticks(*yrange), []])

    view.sigYRangeChanged.connect(relabel)


class HistogramPlot(pg.PlotWidget):
    """One curve per layer: the distribution of values in the last batch (as a fraction per bin)."""

    def __init__(self, title: str, x_label: str, parent=None):
        super().__init__(parent)
        self._title = title
        keep_title_width(self, title, 4.0, x_label + " (x0.001)")  # the axis may add its scale
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._texts: list[str] = []
        item = self.getPlotItem()
        item.setLabel("bottom", x_label)
        item.setLabel("left", "% of values")
        item.getAxis("left").enableAutoSIPrefix(False)  # no grid: redrawing its lines is most of a frame
        item.addLegend(offset=(-10, 10)).setZValue(1000)  # above the curves (no fill: it is slow to paint)
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()  # ranges move in steps (see _fit): re-laying out axes every frame is slow
        self._range = None
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_histograms(self, entries: list[tuple[str, str, np.ndarray, np.ndarray]]) -> None:
        """entries: (layer key, legend text, counts (bins,), edges (bins + 1,)), one per layer in
        order. Curves are made once per set of keys; the legend texts follow every call."""
        st = app_style.current()
        keys = [key for key, _, _, _ in entries]
        if list(self._curves) != keys:  # a new architecture: new curves
            item = self.getPlotItem()
            # deleted now, here: left to the cyclic collector, the old items could be freed on a
            # worker thread, and Qt objects freed off the GUI thread crash
            old = list(self._curves.values()) + [x for pair in item.legend.items for x in pair]
            item.clear()
            item.legend.clear()
            for gone in old:
                gone.deleteLater()
            self._curves = {k: self.getPlotItem().plot(name=k, pen=pg.mkPen(st.series(i), width=st.pen_width))
                            for i, k in enumerate(keys)}
            self._texts = []
            style_plot_item(self.getPlotItem(), st, self._title)
        texts = [text for _, text, _, _ in entries]
        if texts != self._texts:  # the legend's rows are in the order the curves were made
            self._texts = texts
            for (_, label), text in zip(self.getPlotItem().legend.items, texts):
                label.setText(text, color=st.foreground, size=f"{self._legend_px(st)}px")
        lo, hi, top = np.inf, -np.inf, 0.0
        for (_, _, counts, edges), curve in zip(entries, self._curves.values()):
            centres = (edges[:-1] + edges[1:]) / 2  # (bins,)
            pct = 100 * counts / max(counts.sum(), 1)
            curve.setData(centres, pct)
            lo, hi, top = min(lo, edges[0]), max(hi, edges[-1]), max(top, float(pct.max(initial=0)))
        if entries:
            self._fit(lo, hi, top)

    def _fit(self, lo: float, hi: float, top: float) -> None:
        """Show [lo, hi] x [0, top]; the view changes only when that leaves it or fills less than
        half of it, so most frames redraw the curves without new axes."""
        old = self._range
        if old is not None:
            x0, x1, y1 = old
            inside = x0 <= lo and hi <= x1 and top <= y1
            snug = (hi - lo) >= 0.5 * (x1 - x0) and top >= 0.5 * y1
            if inside and snug:
                return
        self._range = (lo, hi, 1.15 * top or 1.0)
        self.getPlotItem().setRange(xRange=(lo, hi), yRange=(0, self._range[2]), padding=0.02)

    @staticmethod
    def _legend_px(st) -> int:
        """On a projector, legend text a little smaller than the axes': a row per layer covers less."""
        return round(0.8 * st.font_px) if st.presentation else st.font_px

    def legend_texts(self) -> list[str]:
        return [label.text for _, label in self.getPlotItem().legend.items]

    def clear_curves(self) -> None:
        self._range = None
        for curve in self._curves.values():
            curve.setData([], [])

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        for i, curve in enumerate(self._curves.values()):
            curve.setPen(pg.mkPen(st.series(i), width=st.pen_width))
        style_plot_item(self.getPlotItem(), st, self._title)
        for _, label in self.getPlotItem().legend.items:
            label.setText(label.text, color=st.foreground, size=f"{self._legend_px(st)}px")

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)


def text_symbol(text: str, qfont: QFont) -> QPainterPath:
    """A character as a scatter symbol (a path about 1 unit tall, centred), so all the labels move
    with one setData call instead of one TextItem each."""
    path = QPainterPath()
    path.addText(0, 0, qfont, text)
    box = path.boundingRect()
    height = QFontMetricsF(qfont).height() or 1.0
    transform = QTransform()
    transform.scale(1.0 / height, 1.0 / height)
    transform.translate(-box.x() - box.width() / 2, -box.y() - box.height() / 2)
    return transform.map(path)


class EmbeddingPlot(pg.PlotWidget):
    """Each character drawn at its embedding vector (first two dims, or the first two principal
    components of larger embeddings)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = "Character embedding"
        keep_title_width(self, self._title, 4.0)
        self.scatter = pg.ScatterPlotItem(pxMode=True)
        self.leaders = pg.PlotDataItem(connect="pairs")  # a moved letter -> its point
        self.dots = pg.ScatterPlotItem(size=5, pen=None)
        for item in (self.leaders, self.dots, self.scatter):
            self.addItem(item)
        self._chars: list[str] = []
        self._texts: list[str] = []  # what is drawn for each
        self._half = None  # (key, half sizes of the letters): see _half_sizes
        self._symbols: list[QPainterPath] = []
        self._xy = np.zeros((0, 2))
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.disableAutoRange()  # the view moves in steps (_fit): new ticks every report cost most of a paint
        self._range = None
        item.setLabel("bottom", "dimension 1")
        item.setLabel("left", "dimension 2")
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)
        item.getViewBox().sigRangeChanged.connect(self._redraw)
        item.getViewBox().sigResized.connect(self._redraw)

    def set_embedding(self, xy: np.ndarray, chars, pca: bool) -> None:
        """xy (V, 2) positions; chars: the V labels."""
        chars = list(chars)
        if chars != self._chars:
            self._chars = chars
            f = QFont()
            f.setBold(True)
            f.setPixelSize(64)  # only the shape matters: the symbols are scaled to `size` pixels
            self._texts = [("[.]" if c == "." else c) for c in chars]  # the start/end token, visible
            self._symbols = [text_symbol(t, f) for t in self._texts]
            axis = "principal component" if pca else "dimension"
            self.getPlotItem().setLabel("bottom", f"{axis} 1")
            self.getPlotItem().setLabel("left", f"{axis} 2")
            style_plot_item(self.getPlotItem(), app_style.current(), self._title)
        self._xy = np.asarray(xy, float)
        if len(self._xy):
            self._fit(self._xy.min(axis=0), self._xy.max(axis=0))
        if self.isVisible():  # hidden: drawn when shown
            self._redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._redraw()

    @Slot()
    def _redraw(self, *_) -> None:
        if not len(self._xy) or not self.isVisible():
            return
        st = app_style.current()
        size = self.letter_px()  # a little taller than the text, not 1.6x: 27 share ~400 px (issue 19)
        # letters that would cover each other are moved apart, with a dot and a line back to
        # their point (few rounds: this runs at every report while it trains)
        xy, moved, lines = self._xy, np.zeros(len(self._xy), bool), np.zeros((0, 2))
        scale = np.array(self.getPlotItem().getViewBox().viewPixelSize())
        if np.all(np.isfinite(scale) & (scale > 0)):
            xy, moved, lines = layout(self._xy, self._half_sizes(size), scale, rounds=40)
        self.leaders.setData(lines[:, 0], lines[:, 1], pen=pg.mkPen(st.foreground, width=1))
        self.dots.setData(pos=self._xy[moved], brush=pg.mkBrush(st.foreground))
        self.scatter.setData(xy[:, 0], xy[:, 1], symbol=self._symbols, size=size,
                             brush=pg.mkBrush(st.foreground), pen=pg.mkPen(None),
                             data=self._chars)  # each point's letter: its CSV export names it

    def _half_sizes(self, size: int) -> np.ndarray:
        """(V, 2) half width and height in pixels of each letter drawn `size` pixels tall (kept
        until the letters or their size change: every report redraws)."""
        key = (tuple(self._texts), size)
        if self._half is None or self._half[0] != key:
            f = QFont()
            f.setBold(True)
            f.setPixelSize(size)
            metrics = QFontMetricsF(f)
            self._half = key, np.array([[metrics.horizontalAdvance(t) / 2 + 1, metrics.ascent() / 2]
                                        for t in self._texts])
        return self._half[1]

    def _fit(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Show the box [lo, hi] with a margin for the letters; the view changes only when a letter
        leaves it or the letters fill less than half of it in either direction."""
        if self._range is not None:
            (x0, y0), (x1, y1) = self._range
            inside = x0 <= lo[0] and y0 <= lo[1] and hi[0] <= x1 and hi[1] <= y1
            snug = (hi[0] - lo[0]) >= 0.5 * (x1 - x0) and (hi[1] - lo[1]) >= 0.5 * (y1 - y0)
            if inside and snug:
                return
        pad = 0.12 * np.maximum(hi - lo, 1e-6)  # room for the letters at the edges, and to move
        self._range = (lo - pad, hi + pad)
        (x0, y0), (x1, y1) = self._range
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    @staticmethod
    def letter_px() -> int:
        return round(app_style.current().font_px * 1.15)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.getPlotItem(), st, self._title)
        self._redraw()

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)
