"""The Embeddings page: every character at its embedding, projected on the two directions along
which the embeddings differ most (PCA), and how alike the learned position embeddings are."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from playground import style as app_style
from playground.widgets.heatmap import Heatmap
from playground.widgets.plot_style import font, style_plot_item


class TokenMap(pg.PlotWidget):
    """Characters as labels at 2-D points (one TextItem each: a vocabulary is a few dozen)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = "Characters (PCA)"
        self.labels: list[pg.TextItem] = []
        self.xy = np.zeros((0, 2))
        item = self.getPlotItem()
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
        for label, c, (x, y) in zip(self.labels, chars, self.xy):
            label.setText(c)
            label.setPos(x, y)
        item = self.getPlotItem()
        item.setLabel("bottom", f"component 1 ({100 * explained[0]:.0f}%)")
        item.setLabel("left", f"component 2 ({100 * explained[1]:.0f}%)")
        pad = 0.1 * max(np.ptp(self.xy, axis=0).max(initial=0.0), 1e-6)
        item.setRange(xRange=(self.xy[:, 0].min() - pad, self.xy[:, 0].max() + pad),
                      yRange=(self.xy[:, 1].min() - pad, self.xy[:, 1].max() + pad), padding=0)
        self._apply(app_style.current())

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.getPlotItem(), st, self._title)
        for label in self.labels:
            label.setColor(st.foreground)
            label.setFont(font(st, 1.3, bold=True))

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
