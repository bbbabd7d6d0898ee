"""The Names tab's two health pages (makemore part 3), fed from runner snapshots (a
diagnostics.Health in each report's payload):

- "Health": per tanh layer, the histograms of its activations (saturation in the legend) and of
  the gradients arriving at it, and its saturation map; above them, the loss at step 0 against
  a uniform guess.
- "Weights": per weight matrix, the histogram of its gradient (grad:data in the legend), beside
  the update:data ratio over time with its 1e-3 guide.
Both redraw only while shown, at most five times a second.
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from models.names.diagnostics import Health
from playground.tabs.names.plots import HistogramPlot, keep_title_width, short_step_ticks
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot

SATURATION_COLORMAP = "CET-L1"  # black -> white: saturated neurons light up, as in the lecture
REDRAW_EVERY = 0.2  # seconds: the pages redraw at most 5 times a second, the latest snapshot last


class _LivePage(QWidget):
    """A page that draws its latest data while shown, at most every REDRAW_EVERY seconds (a
    timer draws the last one), so a deep net's many histograms never make the window lag."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._drawn_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    def _changed(self) -> None:
        if not self.isVisible():
            return
        wait = self._drawn_at + REDRAW_EVERY - time.monotonic()
        if wait <= 0:
            self._draw()
        elif not self._timer.isActive():
            self._timer.start(int(1000 * wait) + 1)

    def _draw(self) -> None:
        self._timer.stop()
        self._drawn_at = time.monotonic()
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._draw()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.isVisible():
            self._draw()


def first_loss_text(loss: float | None, vocab_size: int, fresh: bool) -> str:
    """The readout of a model's loss on one batch against a uniform guess, −log(1/V)."""
    if loss is None or not vocab_size:
        return ""
    expected = math.log(vocab_size)
    head = "Loss at step 0" if fresh else "Loss on a batch now"
    verdict = ""
    if fresh:
        if loss > 2 * expected:
            verdict = ": <b>confidently wrong</b>"
        elif abs(loss - expected) < 0.15 * expected:
            verdict = ": a uniform guess, as it should be"
    return f"{head}: <b>{loss:.2f}</b> · uniform guess: −log(1/{vocab_size}) = {expected:.2f}{verdict}"


class HealthPage(_LivePage):
    """Activation and gradient histograms per tanh layer and the saturation map, with a loss readout."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("health")
        self.loss_label = QLabel("")
        self.loss_label.setWordWrap(True)
        self.loss_label.setToolTip("A fresh network should start near a uniform guess. A loss far above "
                                   "it means the initial logits are large and wrong: the first steps "
                                   "are wasted undoing that.")
        self.act_plot = HistogramPlot("Activations", "tanh output")
        self.act_plot.setToolTip("How each tanh layer's outputs spread over the last batch, with the share "
                                 "of saturated outputs (|tanh| > 0.97) in the legend. Piles at ±1 pass "
                                 "almost no gradient back.")
        self.grad_plot = HistogramPlot("Tanh gradients", "gradient at the tanh output")
        self.grad_plot.setToolTip("The gradient arriving at each tanh layer, its spread (std) in the "
                                  "legend. Layers with very different spreads learn at very different speeds.")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which tanh layer the saturation map shows")
        self.layer_box.currentIndexChanged.connect(self._on_layer_changed)
        self.saturation = Heatmap(title="Saturated: |tanh| > 0.97", colormap=SATURATION_COLORMAP,
                                  colorbar=False, x_label="neuron", y_label="example")
        self.saturation.setToolTip("White: that neuron's |tanh| is above 0.97 for that example. A "
                                   "column that is white all the way down is a dead neuron: it never learns.")
        self.saturation_label = QLabel("")
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.layer_box, 1)
        row.addWidget(self.saturation_label, 1)
        sat = QWidget()
        sat_layout = QVBoxLayout(sat)
        sat_layout.setContentsMargins(0, 0, 0, 0)
        sat_layout.addLayout(row)
        sat_layout.addWidget(self.saturation, 1)
        hists = QSplitter(Qt.Horizontal)
        hists.addWidget(self.act_plot)
        hists.addWidget(self.grad_plot)
        # the map is wide (neurons) and short (a batch): the bottom part, as tall as the user drags it
        split = QSplitter(Qt.Vertical)
        split.addWidget(hists)
        split.addWidget(sat)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([500, 500])  # a map ~50 px tall ran its row numbers together (issue 13)
        layout = QVBoxLayout(self)
        layout.addWidget(self.loss_label)
        layout.addWidget(split, 1)
        self.clear()

    def clear(self) -> None:
        self._health = Health()
        self.act_plot.clear_curves()
        self.grad_plot.clear_curves()

    def set_loss_text(self, text: str) -> None:
        self.loss_label.setText(text)

    def show_health(self, health: Health) -> None:
        self._health = health
        self._changed()

    def refresh(self) -> None:
        tanh = self._health.tanh
        self.act_plot.set_histograms([(e.name, f"{e.name}: {100 * e.saturated:.0f}% sat., std {e.act_std:.2f}",
                                       e.act_hist, e.act_edges) for e in tanh])
        self.grad_plot.set_histograms([(e.name, f"{e.name}: std {e.grad_std:.1e}", e.grad_hist, e.grad_edges)
                                       for e in tanh if e.grad_hist is not None])
        names = [e.name for e in tanh]
        if [self.layer_box.itemText(i) for i in range(self.layer_box.count())] != names:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            self.layer_box.blockSignals(False)
        self._show_saturation()

    def _show_saturation(self) -> None:
        i = self.layer_box.currentIndex()
        if not (0 <= i < len(self._health.tanh)):
            return
        entry = self._health.tanh[i]
        self.saturation.set_matrix(entry.saturation_map, levels=(0.0, 1.0))
        self.saturation_label.setText(f"{100 * entry.saturated:.1f}% saturated")

    @Slot(int)
    def _on_layer_changed(self, index: int) -> None:
        self._show_saturation()


class WeightsPage(_LivePage):
    """Weight-gradient histograms with grad:data, beside the update:data ratio over time."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("weights")
        self.weight_plot = HistogramPlot("Weight grads · grad:data", "gradient at the weights")
        self.weight_plot.setToolTip("The gradient of each weight matrix, with grad:data = std(gradient) / "
                                    "std(weights) in the legend: how hard one step pushes that matrix.")
        self.ratio_plot = LossPlot(title="Update / weight ratio", y_label="log10(update std / weight std)")
        self.ratio_plot.add_guide(-3.0, "1e-3")
        short_step_ticks(self.ratio_plot)
        keep_title_width(self.ratio_plot, "Update / weight ratio", 4.0)
        self.ratio_plot.getPlotItem().showGrid(x=False, y=False)  # redrawn 5 times a second: lines cost
        self.ratio_plot.setToolTip("How big each step is compared with the weights, per weight "
                                   "matrix. Around 1e-3 (the dashed line) is healthy; far below, the "
                                   "layer learns too slowly; far above, too fast.")
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.weight_plot)
        split.addWidget(self.ratio_plot)
        QVBoxLayout(self).addWidget(split)
        self.clear()

    def clear(self) -> None:
        self._health = Health()
        self._ratios: dict[str, tuple[list, list]] = {}  # series -> (steps, log10 ratios)
        self._drawn: dict[str, int] = {}  # series -> points already on the plot
        self.weight_plot.clear_curves()
        self.ratio_plot.clear_data()
        self.ratio_plot.getPlotItem().setRange(xRange=(0, 100), yRange=(-5, -1), padding=0)  # the guide shows

    def show_health(self, health: Health, step: int, names: dict[str, str]) -> None:
        """Record a snapshot's Health: the ratio history grows from real steps only (a loaded or
        new model's diagnose() step, at step 0, is not one). `names` label the weight matrices.
        A Health without `detail` (no histograms) keeps the last histograms shown."""
        if health.detail:
            self._health = health
        for key, value in (health.update_ratio.items() if step > 0 else ()):
            if np.isfinite(value):
                xs, ys = self._ratios.setdefault(names.get(key, key), ([], []))
                xs.append(step)
                ys.append(value)
        self._changed()

    def refresh(self) -> None:
        self.weight_plot.set_histograms([(w.key, f"{w.name}: {w.ratio:.1e}", w.hist, w.edges)
                                         for w in self._health.weight_grads])
        for series, (xs, ys) in self._ratios.items():  # only the new points: O(1) per report
            drawn = self._drawn.get(series, 0)
            if len(xs) - drawn > 20:  # many new points (the page was hidden): redraw in one go
                self.ratio_plot.set_series(series, xs, ys)
            else:
                for x, y in zip(xs[drawn:], ys[drawn:]):
                    self.ratio_plot.add_point(series, x, y)
            self._drawn[series] = len(xs)
