"""A loss curve plot: named series, optional log scale and smoothing, export from its menu."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot

from playground import style as app_style
from playground.widgets.plot_style import style_plot_item


class LossPlot(pg.PlotWidget):
    """Curves keyed by series name ("train", "val", ...), each created once and updated with setData.

    add_point(series, x, y) appends; set_series(series, xs, ys) replaces; smoothing (an
    exponential moving average, 0 = off) applies to series listed in `smoothed`.
    """

    def __init__(self, parent=None, title: str = "Loss", x_label: str = "step", y_label: str = "loss",
                 log_y: bool = False, smoothing: float = 0.0, smoothed=("train",)):
        super().__init__(parent)
        self._title = title
        self.smoothing, self.smoothed = smoothing, set(smoothed)
        self._data: dict[str, tuple[list, list]] = {}
        self._ema: dict[str, tuple[float, float, list]] = {}  # series -> (acc, weight, smoothed ys)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._guides: list[pg.InfiniteLine] = []
        item = self.getPlotItem()
        item.setLabel("bottom", x_label)
        item.setLabel("left", y_label)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.addLegend(offset=(-10, 10))
        self.set_log_y(log_y)
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_log_y(self, on: bool) -> None:
        self.getPlotItem().setLogMode(x=False, y=on)

    def add_point(self, series: str, x: float, y: float) -> None:
        xs, ys = self._data.setdefault(series, ([], []))
        xs.append(float(x))
        ys.append(float(y))
        if series in self.smoothed and self.smoothing > 0:
            acc, weight, smooth = self._ema.get(series, (0.0, 0.0, []))
            acc = self.smoothing * acc + (1 - self.smoothing) * float(y)
            weight = self.smoothing * weight + (1 - self.smoothing)
            smooth.append(acc / weight)  # bias-corrected, so the start is not dragged to 0
            self._ema[series] = (acc, weight, smooth)
        self._redraw(series)

    def set_series(self, series: str, xs, ys) -> None:
        self._data[series] = (list(np.asarray(xs, float)), list(np.asarray(ys, float)))
        self._ema.pop(series, None)
        if series in self.smoothed and self.smoothing > 0:
            for x, y in zip(*self._data.pop(series)):
                self.add_point(series, x, y)
        self._redraw(series)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = self._data.get(name, ([], []))
        return np.asarray(xs), np.asarray(ys)

    def add_guide(self, y: float, label: str = "") -> None:
        """A dashed horizontal reference line (e.g. the count model's NLL, or 1e-3)."""
        st = app_style.current()
        line = pg.InfiniteLine(pos=y, angle=0, pen=pg.mkPen(st.muted, width=st.pen_width, style=pg.QtCore.Qt.DashLine),
                               label=label, labelOpts={"position": 0.05, "color": st.muted})
        self.addItem(line)
        self._guides.append(line)

    def clear_data(self) -> None:
        self._data.clear()
        self._ema.clear()
        for curve in self._curves.values():
            curve.setData([], [])

    def _redraw(self, series: str) -> None:
        xs, ys = self._data[series]
        y = np.asarray(self._ema[series][2] if series in self._ema else ys)
        curve = self._curves.get(series)
        if curve is None:
            st = app_style.current()
            curve = self.getPlotItem().plot(name=series, pen=self._pen(len(self._curves), st))
            self._curves[series] = curve
        curve.setData(np.asarray(xs), y)

    def _pen(self, i: int, st):
        return pg.mkPen(st.series(i), width=st.pen_width)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        for i, curve in enumerate(self._curves.values()):
            curve.setPen(self._pen(i, st))
        for line in self._guides:
            line.setPen(pg.mkPen(st.muted, width=st.pen_width, style=pg.QtCore.Qt.DashLine))
            if getattr(line, "label", None) is not None:
                line.label.setColor(st.muted)
        style_plot_item(self.getPlotItem(), st, self._title)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)

