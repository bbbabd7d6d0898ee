"""The next-character plot of the Attention tab: the output distribution as bars (and, while an
experiment is on, the distribution as trained beside it)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Slot

from playground import style as app_style
from playground.widgets.plot_style import style_plot_item


class NextCharPlot(pg.PlotWidget):
    """Bars of P(next character): 'now' and, optionally, 'as trained' for comparison."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = "Next character"
        item = self.getPlotItem()
        item.setLabel("left", "probability")
        item.setLabel("bottom", "next character ('.' = the end)")
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.showGrid(y=True, alpha=0.25)
        self.legend = item.addLegend(offset=(-10, 10))
        self.now = pg.BarGraphItem(x=[], height=[], width=0.4)
        self.trained = pg.BarGraphItem(x=[], height=[], width=0.4)
        item.addItem(self.trained)
        item.addItem(self.now)
        self.probs = np.zeros(0)
        self.chars: list[str] = []
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def minimumSizeHint(self) -> QSize:
        """Tall enough for the title, the axis and bars one can compare (not squashed flat)."""
        em = app_style.current().font_px
        return QSize(int(16 * em), int(10 * em))

    def set_title(self, title: str) -> None:
        self._title = title
        style_plot_item(self.getPlotItem(), app_style.current(), title)

    def set_probs(self, chars, probs, trained=None) -> None:
        self.chars, self.probs = list(chars), np.asarray(probs, float)
        x = np.arange(len(chars))
        shift = 0.2 if trained is not None else 0.0
        self.now.setOpts(x=x + shift, height=self.probs, width=0.4 if trained is not None else 0.8)
        self.trained.setVisible(trained is not None)
        self.legend.clear()
        if trained is not None:  # a legend only when there are two kinds of bars
            self.legend.addItem(self.trained, "as trained")
            self.legend.addItem(self.now, "with the experiment")
            self.trained.setOpts(x=x - shift, height=np.asarray(trained, float), width=0.4)
        ax = self.getPlotItem().getAxis("bottom")
        ax.setTicks([[(i, c) for i, c in enumerate(chars)], []])
        top = max(float(self.probs.max(initial=0)), float(np.max(trained, initial=0)) if trained is not None else 0)
        self.getPlotItem().setRange(xRange=(-0.6, len(chars) - 0.4), yRange=(0, max(0.05, top * 1.08)), padding=0)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        self.now.setOpts(brush=pg.mkBrush(st.series(0)), pen=pg.mkPen(None))
        self.trained.setOpts(brush=pg.mkBrush(st.muted), pen=pg.mkPen(None))
        style_plot_item(self.getPlotItem(), st, self._title)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)

    def to_csv(self, path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write("character,probability\n")
            for c, p in zip(self.chars, self.probs):
                f.write(f"{c},{p:.6g}\n")
