"""The Names tab's views of a network's health (makemore part 3): activation and gradient
histograms per tanh layer, the tanh saturation map, update-to-data ratios over time, and the
character embedding in 2-D. All are fed from runner snapshots (models.names.diagnostics)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath, QTransform
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground import style as app_style
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot
from playground.widgets.plot_style import style_plot_item

SATURATION_COLORMAP = "CET-L1"  # black -> white: saturated neurons light up, as in the lecture


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
        self._curves: dict[str, pg.PlotDataItem] = {}
        item = self.getPlotItem()
        item.setLabel("bottom", x_label)
        item.setLabel("left", "% of values")
        item.getAxis("left").enableAutoSIPrefix(False)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.addLegend(offset=(-10, 10))
        item.setMouseEnabled(x=False, y=False)
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_histograms(self, entries: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """entries: (layer name, counts (bins,), edges (bins + 1,)), one per layer in order."""
        st = app_style.current()
        keys = [name for name, _, _ in entries]
        if list(self._curves) != keys:  # a new architecture: new curves
            self.getPlotItem().clear()
            self.getPlotItem().legend.clear()
            self._curves = {k: self.getPlotItem().plot(name=k, pen=pg.mkPen(st.series(i), width=st.pen_width))
                            for i, k in enumerate(keys)}
            style_plot_item(self.getPlotItem(), st, self._title)
        for (_, counts, edges), curve in zip(entries, self._curves.values()):
            centres = (edges[:-1] + edges[1:]) / 2  # (bins,)
            curve.setData(centres, 100 * counts / max(counts.sum(), 1))

    def clear_curves(self) -> None:
        for curve in self._curves.values():
            curve.setData([], [])

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        for i, curve in enumerate(self._curves.values()):
            curve.setPen(pg.mkPen(st.series(i), width=st.pen_width))
        style_plot_item(self.getPlotItem(), st, self._title)

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
        self.scatter = pg.ScatterPlotItem(pxMode=True)
        self.addItem(self.scatter)
        self._chars: list[str] = []
        self._symbols: list[QPainterPath] = []
        self._xy = np.zeros((0, 2))
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "dimension 1")
        item.setLabel("left", "dimension 2")
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_embedding(self, xy: np.ndarray, chars, pca: bool) -> None:
        """xy (V, 2) positions; chars: the V labels."""
        chars = list(chars)
        if chars != self._chars:
            self._chars = chars
            f = QFont()
            f.setBold(True)
            f.setPixelSize(64)  # only the shape matters: the symbols are scaled to `size` pixels
            self._symbols = [text_symbol(c, f) for c in chars]
            axis = "principal component" if pca else "dimension"
            self.getPlotItem().setLabel("bottom", f"{axis} 1")
            self.getPlotItem().setLabel("left", f"{axis} 2")
            style_plot_item(self.getPlotItem(), app_style.current(), self._title)
        self._xy = np.asarray(xy, float)
        if self.isVisible():  # hidden: drawn when shown
            self._redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._redraw()

    def _redraw(self) -> None:
        if not len(self._xy):
            return
        st = app_style.current()
        self.scatter.setData(self._xy[:, 0], self._xy[:, 1], symbol=self._symbols, size=round(st.font_px * 1.6),
                             brush=pg.mkBrush(st.foreground), pen=pg.mkPen(None))

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.getPlotItem(), st, self._title)
        self._redraw()

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)


class HealthPage(QWidget):
    """Histograms (activations, gradients), saturation map, update ratios: one page, 2 x 2."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.act_plot = HistogramPlot("Activations (tanh outputs)", "tanh output")
        self.act_plot.setToolTip("How each tanh layer's outputs spread over the last batch. Piles "
                                 "at ±1 mean saturated neurons, which pass almost no gradient back.")
        self.grad_plot = HistogramPlot("Gradients at the tanh outputs", "gradient of the loss")
        self.grad_plot.setToolTip("The gradient arriving at each tanh layer. Layers with very "
                                  "different spreads learn at very different speeds.")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which tanh layer the saturation map shows")
        self.layer_box.currentIndexChanged.connect(self._on_layer_changed)
        self.saturation = Heatmap(title="Saturated: |tanh| > 0.97", colormap=SATURATION_COLORMAP,
                                  colorbar=False, x_label="neuron", y_label="example in the batch")
        self.saturation.setToolTip("White: that neuron's |tanh| is above 0.97 for that example. A "
                                   "column that is white all the way down is a dead neuron: it never learns.")
        self.saturation_label = QLabel("")
        sat_box = QWidget()
        sat_layout = QVBoxLayout(sat_box)
        sat_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.layer_box, 1)
        row.addWidget(self.saturation_label, 2)
        sat_layout.addLayout(row)
        sat_layout.addWidget(self.saturation, 1)
        self.ratio_plot = LossPlot(title="Update / weight ratio", y_label="log10(update std / weight std)")
        self.ratio_plot.add_guide(-3.0, "1e-3")
        self.ratio_plot.setToolTip("How big each step is compared with the weights, per weight "
                                   "matrix. Around 1e-3 (the dashed line) is healthy; far below, the "
                                   "layer learns too slowly; far above, too fast.")
        self.act_label, self.grad_label = QLabel(""), QLabel("")
        grid = QGridLayout(self)
        grid.addWidget(_captioned(self.act_plot, self.act_label), 0, 0)
        grid.addWidget(_captioned(self.grad_plot, self.grad_label), 1, 0)
        grid.addWidget(sat_box, 0, 1)
        grid.addWidget(self.ratio_plot, 1, 1)
        self._tanh: list[dict] = []
        self._ratios: dict[str, tuple[list, list]] = {}  # series -> (steps, log10 ratios), drawn when shown

    def clear(self) -> None:
        self._tanh, self._ratios = [], {}
        self.ratio_plot.clear_data()
        self.act_plot.clear_curves()
        self.grad_plot.clear_curves()

    def show_snapshot(self, snap: dict, step: int, ratio_labels: dict[str, str]) -> None:
        """Record a snapshot (the ratio history grows); redraw only while the page is visible."""
        self._tanh = snap.get("tanh", [])
        for name, value in snap.get("update_ratio", {}).items():
            if np.isfinite(value):
                xs, ys = self._ratios.setdefault(ratio_labels.get(name, name), ([], []))
                xs.append(step)
                ys.append(value)
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        tanh = self._tanh
        self.act_plot.set_histograms([(e["name"], e["act_hist"], e["act_edges"]) for e in tanh])
        self.act_label.setText("<br>".join(
            f"{e['name']}: mean {e['act_mean']:+.2f}, std {e['act_std']:.2f}, {100 * e['saturated']:.1f}% saturated"
            for e in tanh))
        with_grads = [e for e in tanh if "grad_hist" in e]
        self.grad_plot.set_histograms([(e["name"], e["grad_hist"], e["grad_edges"]) for e in with_grads])
        self.grad_label.setText("<br>".join(
            f"{e['name']}: mean {e['grad_mean']:+.1e}, std {e['grad_std']:.1e}" for e in with_grads))
        names = [e["name"] for e in tanh]
        if [self.layer_box.itemText(i) for i in range(self.layer_box.count())] != names:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            self.layer_box.blockSignals(False)
        self._show_saturation()
        for series, (xs, ys) in self._ratios.items():
            self.ratio_plot.set_series(series, xs, ys)

    def _show_saturation(self) -> None:
        i = self.layer_box.currentIndex()
        if not (0 <= i < len(self._tanh)):
            return
        entry = self._tanh[i]
        self.saturation.set_matrix(entry["saturation_map"], levels=(0.0, 1.0))
        self.saturation_label.setText(f"{100 * entry['saturated']:.1f}% saturated")

    @Slot(int)
    def _on_layer_changed(self, index: int) -> None:
        self._show_saturation()


def _captioned(plot, label: QLabel) -> QWidget:
    """A plot with a line of figures under it (legends are too small for them in a classroom)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plot, 1)
    layout.addWidget(label)
    return box
