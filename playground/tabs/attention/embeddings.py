"""The Embeddings page: every character at its embedding, projected on the two directions along
which the embeddings differ most (PCA), and how alike the learned position embeddings are."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from playground import style as app_style
from playground.widgets.heatmap import Heatmap
from playground.widgets.label_spread import layout
from playground.widgets.plot_style import font, style_plot_item


class TokenMap(pg.PlotWidget):
    """Characters as labels at 2-D points (one TextItem each: a vocabulary is a few dozen). Each
    point is a dot; labels that would cover each other are moved apart (label_spread), with a
    thin line back to a dot at their point, and placed again whenever the view's scale changes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = "Characters (PCA)"
        self.labels: list[pg.TextItem] = []
        self.texts: list[str] = []
        self.xy = np.zeros((0, 2))
        self.leaders = pg.PlotDataItem(connect="pairs")  # dot -> moved label
        self.dots = pg.ScatterPlotItem(size=6)
        self.addItem(self.leaders)
        self.addItem(self.dots)
        item = self.getPlotItem()
        item.getViewBox().sigRangeChanged.connect(self._place)
        item.getViewBox().sigResized.connect(self._place)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "component 1")
        item.setLabel("left", "component 2")
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def minimumSizeHint(self) -> QSize:
        """As small as the title, the axes and their labels allow (never drawn past the edge)."""
        size = self.getPlotItem().effectiveSizeHint(Qt.MinimumSize)
        em = app_style.current().font_px
        return QSize(max(int(size.width()) + 2, int(12 * em)), max(int(size.height()) + 2, int(10 * em)))

    def set_points(self, xy: np.ndarray, chars, explained) -> None:
        chars = [("[.]" if c == "." else c) for c in chars]  # the start/end token, visible
        if len(chars) != len(self.labels):
            for label in self.labels:
                self.removeItem(label)
            self.labels = [pg.TextItem(anchor=(0.5, 0.5)) for _ in chars]
            for label in self.labels:
                self.addItem(label)
        self.xy = np.asarray(xy, float)
        self.texts = chars
        for label, c in zip(self.labels, chars):
            label.setText(c)
        item = self.getPlotItem()
        item.setLabel("bottom", f"component 1 ({100 * explained[0]:.0f}%)")
        item.setLabel("left", f"component 2 ({100 * explained[1]:.0f}%)")
        pad = 0.1 * max(np.ptp(self.xy, axis=0).max(initial=0.0), 1e-6)
        item.setRange(xRange=(self.xy[:, 0].min() - pad, self.xy[:, 0].max() + pad),
                      yRange=(self.xy[:, 1].min() - pad, self.xy[:, 1].max() + pad), padding=0)
        self._apply(app_style.current())

    @Slot()
    def _place(self, *_) -> None:
        """Labels at their points, moved apart where they would overlap (in pixels)."""
        if not self.labels:
            return
        scale = np.array(self.getPlotItem().getViewBox().viewPixelSize())  # data units per pixel
        if not np.all(np.isfinite(scale) & (scale > 0)):
            return
        metrics = QFontMetricsF(self.labels[0].textItem.font())
        half = np.array([[metrics.horizontalAdvance(t) / 2 + 1, metrics.height() / 2 - 2] for t in self.texts])
        centres, moved, lines = layout(self.xy, half, scale)
        for label, (x, y) in zip(self.labels, centres):
            label.setPos(x, y)
        # a moved label gets a dot at its point and a line back to it (one left in place marks it)
        self.dots.setData(pos=self.xy[moved])
        self.leaders.setData(lines[:, 0], lines[:, 1])

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.getPlotItem(), st, self._title)
        for label in self.labels:
            label.setColor(st.foreground)
            label.setFont(font(st, 1.3, bold=True))
        self.dots.setBrush(pg.mkBrush(st.foreground))
        self.dots.setPen(None)
        self.leaders.setPen(pg.mkPen(st.foreground, width=1))
        self._place()

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)


class EmbeddingsPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("embeddings")
        self.tokens = TokenMap()
        self.tokens.setToolTip("Each character where its learned embedding vector lies, seen along the "
                               "two directions in which the embeddings vary most (each axis says the share of "
                               "the variance it shows). Characters the model "
                               "treats alike (often the vowels) end up close together.")
        self.positions = Heatmap(title="Positions alike (cosine)", colorbar=False,
                                 colormap=app_style.current().diverging_colormap,
                                 x_label="position", y_label="position")
        self.positions.setToolTip("How alike the learned vectors of two positions are: red 1 (the same "
                                  "direction), white 0 (unrelated), blue −1 (opposite). Nearby positions "
                                  "usually learn similar vectors.")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.tokens)
        splitter.addWidget(self.positions)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([600, 500])
        QVBoxLayout(self).addWidget(splitter)
        self._minimum = None

    def show_embeddings(self, xy, explained, similarity, chars) -> None:
        self.tokens.set_points(xy, chars, explained)
        T = len(similarity)
        labels = [str(i) for i in range(T)]
        columns = [s if T <= 10 or i % 2 == 0 else "" for i, s in enumerate(labels)]  # two digits: every other
        text = np.vectorize(lambda v: f"{v:.1f}")(similarity) if T <= 12 else None
        self.positions.set_matrix(similarity, row_labels=labels, col_labels=columns, cell_text=text,
                                  levels=(-1.0, 1.0))
        need = (self.tokens.minimumSizeHint(), self.positions.minimumSizeHint())
        if need != self._minimum:  # labels set the plots' smallest size: the splitter must hear of it
            self._minimum = need
            self.tokens.updateGeometry()
            self.positions.updateGeometry()
