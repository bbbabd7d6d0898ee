"""A loss curve plot: named series, optional log scale and smoothing, export from its menu."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot

from playground import style as app_style
from playground.widgets.plot_style import ReadableAxis, style_plot_item


class _Column:
    """A growing column of floats: appending is O(1) (the array doubles when full), and views
    of it go to setData without copying a Python list into an array on every point."""

    def __init__(self, values=()):
        values = np.asarray(values, dtype=np.float64).ravel()
        self.n = len(values)
        self._a = np.empty(max(64, 2 * self.n))
        self._a[:self.n] = values

    def append(self, value: float) -> None:
        if self.n == len(self._a):
            self._a = np.concatenate([self._a, np.empty_like(self._a)])
        self._a[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        v = self._a[:self.n]
        v.flags.writeable = False  # callers read it; only append() writes
        return v


class LossPlot(pg.PlotWidget):
    """Curves keyed by series name ("train", "val", ...), each created once and updated with setData.

    add_point(series, x, y) appends; set_series(series, xs, ys) replaces; smoothing (an
    exponential moving average, 0 = off) applies to series listed in `smoothed`.

    The view grows in jumps (x doubles, y gains 20% headroom) only when a point falls outside it:
    re-laying out the axes on every new point costs ~20 ms a redraw, which a live plot cannot
    afford while a worker competes for the GIL.

    Long, noisy curves stay cheap to draw: a curve shows at most 2 points per pixel column (the
    min and max of the steps under it, so the noise band looks as it is), clipped to the view,
    and is stroked segment by segment with round caps. Qt stroked 2,000 noisy points as one
    antialiased wide path in 1.3-3.4 s (every paint); by segments, in tens of milliseconds.
    """

    def __init__(self, parent=None, title: str = "Loss", x_label: str = "step", y_label: str = "loss",
                 log_y: bool = False, smoothing: float = 0.0, smoothed=("train",)):
        super().__init__(parent, axisItems={"left": ReadableAxis("left")})
        self._title = title
        self.smoothing, self.smoothed = smoothing, set(smoothed)
        self._data: dict[str, tuple[_Column, _Column]] = {}
        self._ema: dict[str, tuple[float, float, _Column]] = {}  # series -> (acc, weight, smoothed ys)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._guides: list[pg.InfiniteLine] = []
        self._view: tuple[float, float, float, float] | None = None  # x0, x1, y0, y1 shown
        item = self.getPlotItem()
        item.disableAutoRange()
        item.setDownsampling(auto=True, mode="peak")  # for every curve (its context menu agrees)
        item.setClipToView(True)
        item.setLabel("bottom", x_label)
        item.setLabel("left", y_label)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.addLegend(offset=(-10, 10))
        self.set_log_y(log_y)
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_log_y(self, on: bool) -> None:
        self.getPlotItem().setLogMode(x=False, y=on)
        self._refit()

    @property
    def log_y(self) -> bool:
        return self.getPlotItem().ctrl.logYCheck.isChecked()

    def add_point(self, series: str, x: float, y: float) -> None:
        self._append(series, x, y)
        self._redraw(series, only_last=True)

    def _append(self, series: str, x: float, y: float) -> None:
        xs, ys = self._data.setdefault(series, (_Column(), _Column()))
        xs.append(float(x))
        ys.append(float(y))
        if series in self.smoothed and self.smoothing > 0:
            acc, weight, smooth = self._ema.get(series, (0.0, 0.0, _Column()))
            acc = self.smoothing * acc + (1 - self.smoothing) * float(y)
            weight = self.smoothing * weight + (1 - self.smoothing)
            smooth.append(acc / weight)  # bias-corrected, so the start is not dragged to 0
            self._ema[series] = (acc, weight, smooth)

    def set_series(self, series: str, xs, ys) -> None:
        was_empty = self._view is None
        xs, ys = np.asarray(xs, float).ravel(), np.asarray(ys, float).ravel()
        self._ema.pop(series, None)
        if series in self.smoothed and self.smoothing > 0:
            self._data.pop(series, None)
            for x, y in zip(xs.tolist(), ys.tolist()):  # the running average, drawn once at the end
                self._append(series, x, y)
        else:
            self._data[series] = (_Column(xs), _Column(ys))
        if was_empty:  # a whole history into an empty plot: the view fits it exactly
            self._refit()
        else:
            self._redraw(series)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The raw points of a series (read-only views)."""
        if name not in self._data:
            return np.zeros(0), np.zeros(0)
        xs, ys = self._data[name]
        return xs.view(), ys.view()

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
        self._view = None
        for curve in self._curves.values():
            curve.setData([], [])

    def _redraw(self, series: str, only_last: bool = False) -> None:
        xs = self._data[series][0].view()
        y = (self._ema[series][2] if series in self._ema else self._data[series][1]).view()
        curve = self._curves.get(series)
        if curve is None:
            st = app_style.current()
            curve = self.getPlotItem().plot(name=series, pen=self._pen(len(self._curves), st),
                                            autoDownsampleFactor=1.0)
            curve.curve.setSegmentedLineMode("on")
            self._curves[series] = curve
        curve.setData(xs, y)
        if only_last:
            self._grow_view(xs[-1:], y[-1:])
        else:
            self._grow_view(xs, y)

    def _grow_view(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Widen the shown range, in jumps, until it holds these points."""
        if self.log_y:
            ys = np.log10(ys[ys > 0])
        ys = ys[np.isfinite(ys)]
        if xs.size == 0 or ys.size == 0:
            return
        lo_x, hi_x, lo_y, hi_y = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
        first = self._view is None
        if first:  # an empty box at the first point: both y edges get headroom below
            self._view = (lo_x, lo_x, np.inf, -np.inf)
        x0, x1, y0, y1 = self._view
        changed = first
        if lo_x < x0 or hi_x > x1 or x1 <= x0:  # (a single point: a 10-step view, not an empty
            x0 = min(x0, lo_x)                  # range whose ticks all read "200000")
            if first and hi_x > lo_x:  # many points at once (a loaded history): exactly their extent
                span = hi_x - x0
            else:  # a live run: jump ahead, so the view does not move with every point
                span = max(x1 - x0, 10.0)
                while x0 + span < hi_x:
                    span *= 2
            x1, changed = x0 + span, True
        if lo_y < y0 or hi_y > y1:
            headroom = 0.2 * max(y1 - y0 if not first else 0.0, hi_y - lo_y, abs(hi_y) * 0.05, 1e-6)
            y0, y1 = (min(y0, lo_y - headroom) if lo_y < y0 else y0), (max(y1, hi_y + headroom) if hi_y > y1 else y1)
            changed = True
        if changed:
            self._view = (x0, x1, y0, y1)
            item = self.getPlotItem()
            item.setXRange(x0, x1, padding=0.02)
            item.setYRange(y0, y1, padding=0.02)

    def _refit(self) -> None:
        """Recompute the view from all data (after a log-scale switch)."""
        self._view = None
        for series in list(self._data):
            self._redraw(series)

    def _pen(self, i: int, st):
        pen = pg.mkPen(st.series(i), width=st.pen_width)
        pen.setCapStyle(Qt.RoundCap)  # drawn by segments: round ends join them like one line
        pen.setJoinStyle(Qt.RoundJoin)
        return pen

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
        if not getattr(self, "closed", False):  # a closed pyqtgraph view has cleared its scene
            self._apply(st)

