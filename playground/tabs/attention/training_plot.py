"""The Training page of the Attention tab: the loss curves of the weights shown, their history
from the file they came from joined by this session's runs, and the test loss when known."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from models.attention.history import Record
from playground import style as app_style
from playground.widgets.loss_plot import LossPlot
from playground.widgets.plot_style import font, style_plot_item

SPARSE = 40  # a curve with fewer points than this shows them as dots (checkpoints, not a run)


class TrainingPlot(LossPlot):
    """show_record(record) draws a model's history afresh (new weights, another task); add()
    appends a run's points after it, on the same step axis, so a continued run joins its curve."""

    def __init__(self, parent=None):
        super().__init__(parent, title="Loss", smoothing=0.0)
        self._test_line = None
        self.setToolTip("Training loss (smoothed over ~100 steps) and validation loss of the weights "
                        "shown, from their file's history on. Train with the mask off and watch the "
                        "loss drop: the model copies the next character.")

    def show_record(self, record: Record, vocab_size: int, steps_hint: int = 1000) -> None:
        """Only this model's curves; with none yet, the axes this task's losses will have."""
        self.clear_data()
        for name, curve in (("train", record.train), ("val", record.val)):
            xs, ys = curve.xy()
            if xs:
                self.set_series(name, xs, ys)
        self._dots()
        self.set_test_loss(record.test_loss)
        if not record.train.points and not record.val.points:
            item = self.getPlotItem()  # from 0 to a random guess's loss, over the coming run
            item.setXRange(record.step, record.step + max(steps_hint, 10), padding=0.02)
            item.setYRange(0.0, math.log(max(vocab_size, 2)) + 0.3, padding=0.02)

    def add(self, series: str, step: int, loss: float) -> None:
        self.add_point(series, step, loss)
        if len(self.series(series)[0]) == SPARSE:
            self._dots()

    def _dots(self) -> None:
        st = app_style.current()
        for name, curve in self._curves.items():
            sparse = 0 < len(self.series(name)[0]) < SPARSE
            curve.setSymbol("o" if sparse else None)
            if sparse:
                curve.setSymbolSize(st.marker_size)
                curve.setSymbolBrush(curve.opts["pen"].color())

    def set_test_loss(self, value: float | None) -> None:
        """A dashed line at the test loss (measured once, at the end of the run that made these)."""
        if self._test_line is not None:
            self.removeItem(self._test_line)
            self._test_line = None
        if value is not None:
            self._test_line = pg.InfiniteLine(pos=value, angle=0, label=f"test {value:.3f}",
                                              labelOpts={"position": 0.9, "anchors": [(1, 1), (1, 1)]})
            self.addItem(self._test_line)
            self._style_test_line(app_style.current())

    def _style_test_line(self, st) -> None:
        line = self._test_line
        if line is not None:
            line.setPen(pg.mkPen(st.muted, width=st.pen_width, style=Qt.DashLine))
            line.label.setColor(st.foreground)
            line.label.setFont(font(st))

    def set_title(self, title: str) -> None:
        self._title = title
        style_plot_item(self.getPlotItem(), app_style.current(), title)

    def _apply(self, st) -> None:
        super()._apply(st)
        if getattr(self, "_test_line", None) is not None:
            self._style_test_line(st)
        if getattr(self, "_curves", None):
            self._dots()
