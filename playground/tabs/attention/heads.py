"""The Heads page of the Attention tab: every head as a small map, the chosen head enlarged with its
numbers, and a slider over the checkpoints saved while the model trained."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSplitter, QVBoxLayout, QWidget

from playground import style as app_style
from playground.tabs.attention.grid import AttentionGrid
from playground.widgets.heatmap import Heatmap


class HeadsPage(QWidget):
    head_selected = Signal(int, int)  # layer, head
    query_selected = Signal(int)  # the query row clicked in the enlarged map
    checkpoint_changed = Signal(int)  # index into the checkpoints; the last one is "now"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = AttentionGrid()
        self.grid.head_clicked.connect(self._on_grid_head_clicked)
        self.big = Heatmap(title="Layer 1, head 1", colorbar=False, x_label="key (looked at), %",
                           y_label="query (looking)", cell_font_scale=0.85)  # 20.8 px on a projector
        self.big.setToolTip("The chosen head: row t shows how much position t takes from each "
                            "position (in %). Hatched cells are masked: a position may not look ahead. "
                            "Click a row to step through it.")
        self.big.cell_clicked.connect(self._on_big_cell_clicked)
        self.scrub = QSlider(Qt.Horizontal)
        self.scrub.setRange(0, 0)
        self.scrub.setPageStep(1)
        self.scrub.setToolTip("Scrub through checkpoints saved during training and watch the "
                              "attention patterns form (right end: the current weights). ←/→ step.")
        self.scrub.valueChanged.connect(self._on_scrub_value_changed)
        self.scrub_label = QLabel("checkpoint: current weights")
        self.scrub_label.setMinimumWidth(260)
        top = QHBoxLayout()
        top.addWidget(QLabel("Checkpoint"))
        top.addWidget(self.scrub, 1)
        top.addWidget(self.scrub_label)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.big)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)  # the enlarged head is the one with numbers to read
        splitter.setSizes([560, 560])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.steps: list[str] = []
        self._big_minimum = None
        self._shown = None  # (weights, tokens, cell text) of the enlarged head
        self.big.installEventFilter(self)
        app_style.bus().changed.connect(self._on_style_changed)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        QTimer.singleShot(0, self, self._follow_minimum)  # once the new fonts reached the plot

    def set_checkpoints(self, labels: list[str], index: int | None = None) -> None:
        """labels: one per checkpoint, oldest first, the last being the current weights."""
        self.steps = list(labels)
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, max(0, len(labels) - 1))
        self.scrub.setValue(len(labels) - 1 if index is None else index)
        self.scrub.blockSignals(False)
        self.scrub.setEnabled(len(labels) > 1)
        self._label()

    def _label(self) -> None:
        i = self.scrub.value()
        if self.steps:
            self.scrub_label.setText(f"checkpoint {i + 1}/{len(self.steps)}: {self.steps[i]}")

    def show_maps(self, maps: np.ndarray, tokens: list[str], masked: np.ndarray, layer: int, head: int) -> None:
        self.grid.set_selected(layer, head)
        self.grid.set_maps(maps, tokens, masked)
        weights = maps[layer, head].copy()  # (T, T)
        weights[masked] = np.nan
        T = len(tokens)
        text = None
        if T <= 16:
            text = np.where(masked, "", np.vectorize(lambda w: f"{100 * w:.0f}")(np.nan_to_num(weights)))
        self._shown = (weights, [str(t) for t in tokens], text)
        self._draw_big()
        self.big.set_title(f"Layer {layer + 1}, head {head + 1}")
        self._follow_minimum()

    def _draw_big(self) -> None:
        """The enlarged head, its query labels thinned to every k-th when the rows are shorter
        than the text (labels on top of each other read as nothing)."""
        if self._shown is None:
            return
        weights, labels, text = self._shown
        T = max(len(labels), 1)
        row_px = max(self.big.height() - 6 * app_style.current().font_px, 1) / T  # title and axis off
        every = max(1, int(np.ceil(app_style.current().font_px * 1.05 / row_px)))
        rows = [t if i % every == 0 else "" for i, t in enumerate(labels)]
        self.big.set_matrix(weights, row_labels=rows, col_labels=labels, cell_text=text, levels=(0.0, 1.0))

    def eventFilter(self, obj, event) -> bool:
        if obj is self.big and event.type() == QEvent.Resize:
            QTimer.singleShot(0, self, self._draw_big)  # the rows' height changed: thin anew
        return False

    def _follow_minimum(self) -> None:
        """Labels and titles set the enlarged map's smallest readable size: when it grows, the
        splitter must hear of it, or it keeps the old width and the map is drawn past its edge."""
        need = self.big.minimumSizeHint()
        if need != self._big_minimum:
            self._big_minimum = need
            self.big.updateGeometry()

    @Slot(int, int)
    def _on_grid_head_clicked(self, layer: int, head: int) -> None:
        self.head_selected.emit(layer, head)

    @Slot(int, int)
    def _on_big_cell_clicked(self, row: int, col: int) -> None:
        self.query_selected.emit(row)

    @Slot(int)
    def _on_scrub_value_changed(self, value: int) -> None:
        self._label()
        self.checkpoint_changed.emit(value)
