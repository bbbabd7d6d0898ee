"""The Bigram tab's "Learn W" page: the same model learned by gradient descent, live.

The count probabilities and softmax(W) sit side by side on the same colour scale; while the
worker trains, the right matrix turns into the left one and the loss falls to the counts' NLL.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from models.bigram.counts import log_probs
from models.bigram.neural import NeuralBigram
from models.bigram.train import NeuralBigramConfig, snapshot, train
from playground import shortcuts
from playground import style as app_style
from playground.tabs.bigram.matrix import MatrixView
from playground.tabs.bigram.state import BigramData, display_char
from playground.widgets.controls import ControlsForm, FloatField, IntField
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls


class _Run:
    """The model being trained (its W is the worker's while a run goes: the GUI reads only
    snapshots) and what the GUI knows of it: steps taken and the latest snapshot's W."""

    def __init__(self, vocab_size: int, seed: int, itos: str):
        self.model = NeuralBigram(vocab_size, seed=seed, itos=itos)
        self.steps = 0  # steps taken, as the reports and the runner tell the GUI thread
        self.shown = NeuralBigram(vocab_size, seed=seed, itos=itos)  # the latest snapshot's W
        self.start_step = 0  # self.steps when the current run began


class NeuralPage(QWidget):
    status_message = Signal(str)

    def __init__(self, tab, parent=None):
        super().__init__(parent)
        self.data: BigramData | None = None
        self.target = np.zeros((0, 0))  # the count probabilities shown on the left
        self.learned: np.ndarray | None = None  # softmax(W) from the latest report
        self.run: _Run | None = None
        self._reset_when_idle = False  # new data arrived while a run was stopping: drop its reports
        self.w_version = 0  # counts changes of W (training, reset, loading)
        self.saved_version = 0  # the w_version last saved or loaded: equal means nothing to lose
        self.runner = tab.make_runner()
        self.runner.reported.connect(self._on_runner_reported)
        self.runner.finished.connect(self._on_runner_finished)

        self.form = ControlsForm([
            FloatField("lr", "Learning rate", 50.0, 0.001, 1000.0, decimals=3,
                       tooltip="Gradient-descent step size. 50 converges in a few hundred steps; "
                               "much more and the loss jumps about."),
            FloatField("l2", "L2 weight", 0.0, 0.0, 100.0, decimals=3,
                       tooltip="Adds l2 · mean(W²) to the loss: pulls W towards 0, i.e. softmax "
                               "towards uniform, like add-k smoothing of the counts."),
            IntField("steps", "Steps per run", 300, 1, 100_000,
                     tooltip="Full-batch gradient steps that Train takes before it stops."),
            IntField("seed", "Seed", 42, 0, 2_147_483_647,
                     tooltip="W starts as random normal numbers from this seed (Reset W)."),
        ], settings_key="bigram/neural")
        self.controls = RunControls(self.runner, step=True)
        self.controls.start_requested.connect(self._on_controls_start_requested)
        self.controls.step_requested.connect(self._on_controls_step_requested)
        shortcuts.bind(self.controls.start_button, "bigram.train")
        shortcuts.bind(self.controls.step_button, "bigram.step")
        self.reset_button = QPushButton("Reset W")
        self.reset_button.setToolTip("Start again from random weights (the seed above)")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Colour by log-probability: shows the rare pairs converge too")
        self.log_box.toggled.connect(self._on_log_toggled)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.count_view = MatrixView(fit=True)
        self.net_view = MatrixView(fit=True)
        for view in (self.count_view, self.net_view):
            view.cell_hovered.connect(self._on_view_cell_hovered)
        self.loss_plot = LossPlot(title=None, y_label="NLL")
        self.loss_plot.setToolTip("The network's loss at each step; the dashed line is the counts' NLL")
        self.loss_plot.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Expanding)  # as wide as the form
        legend = self.loss_plot.getPlotItem().legend
        if legend is not None:
            legend.hide()  # one curve, named by the page; a legend would cover it in a small plot
        self.loss_plot.getPlotItem().getViewBox().sigXRangeChanged.connect(self._on_loss_x_range_changed)
        self.loss_plot.getPlotItem().getAxis("bottom").geometryChanged.connect(self._on_loss_axis_resized)
        self._guide: pg.InfiniteLine | None = None

        # Laid out for a projector: the buttons on top (never below the fold), the form in a
        # column, the two matrices as large as the page allows, and the loss where there is room
        # (_fit_layout): under the form when the matrices are as tall as the page (a wide page:
        # the column gets the width they cannot use), under the matrices when the width limits them.
        self.form.layout().setRowWrapPolicy(QFormLayout.WrapAllRows)
        top = QHBoxLayout()
        for w in (self.controls, self.reset_button, self.log_box):
            top.addWidget(w)
        top.addWidget(self.status, 1)
        self._left = left = QVBoxLayout()
        left.addWidget(self.form)
        left.addWidget(self.loss_plot, 1)
        self._grid = grid = QGridLayout()
        self._loss_below = False
        for col, text in enumerate(("<b>Counts</b>: P(next | previous)", "<b>Network</b>: softmax(W)")):
            title = QLabel(text)
            title.setWordWrap(True)
            title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # equal columns
            grid.addWidget(title, 0, col)
        grid.addWidget(self.count_view, 1, 0)
        grid.addWidget(self.net_view, 1, 1)
        grid.setHorizontalSpacing(6)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1, 1)
        body = QHBoxLayout()
        body.addLayout(left, 0)
        body.addLayout(grid, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(body, 1)

    # -- data from the tab -----------------------------------------------------------------
    def set_data(self, data: BigramData) -> None:
        self.data = data
        if self.runner.is_busy():  # a new vocabulary needs a new W: once the run has stopped
            self._reset_when_idle = True
            self.runner.stop()
        else:
            self.reset()

    def set_target(self, P: np.ndarray) -> None:
        """The count probabilities (with the tab's smoothing) to compare with."""
        self.target = P
        self._redraw()

    def reset(self) -> None:
        if self.data is None or self.runner.is_busy():
            return
        self.run = _Run(len(self.data.itos), self.form.value("seed"), "".join(self.data.itos))
        self.w_version += 1
        self.saved_version = self.w_version  # a random W: nothing to lose
        self.learned = self.run.shown.probs()
        self.loss_plot.clear_data()
        self._set_guide(self.data.nll(0.0)["all"])
        self.status.setText("W is random: press Train (or Step) to learn it.")
        self._redraw()

    def _set_guide(self, y: float) -> None:
        """The dashed line the loss should reach: the count model's NLL (one line, moved)."""
        st = app_style.current()
        if self._guide is None:
            self._guide = pg.InfiniteLine(  # its label starts at the left: a narrow plot cuts only digits
                angle=0, pen=pg.mkPen(st.muted, width=st.pen_width, style=Qt.DashLine), label="",
                labelOpts={"position": 0.03, "anchors": [(0, 1), (0, 1)], "color": st.muted})
            self.loss_plot.addItem(self._guide)
        self._guide.setValue(y)
        self._guide.label.setFormat("counts")  # its value is in the status line: a narrow plot cut it

    def restore(self, state: dict, steps: int, history=None, loss: float | None = None) -> bool:
        """Put saved weights (a NeuralBigram state_dict) and their step count in place of W, as
        lessons and Load… do; `history` (steps, losses) is the loss curve that came with them (the
        old curve goes: it belongs to the old W). False (nothing changed) while a run goes or when
        they do not fit this list."""
        if self.run is None or self.runner.is_busy() or np.shape(state.get("W")) != self.run.model.W.shape:
            return False
        self.run.model.load_state_dict(state)
        self.run.shown.load_state_dict(state)
        self.run.steps = self.run.start_step = int(steps)
        self.loss_plot.clear_data()
        if history is not None and len(history[0]) == len(history[1]) > 0:
            self.loss_plot.set_series("network", *history)
        elif self.data is not None:  # no curve came with it: frame the steps and the counts' line
            guide = self.data.nll(0.0)["all"]
            top = max(guide, loss if loss is not None and np.isfinite(loss) else guide)
            item = self.loss_plot.getPlotItem()
            item.setXRange(0, max(1, int(steps)), padding=0.02)
            item.setYRange(guide - 0.2, top + 0.3, padding=0.02)
        self._show_status(int(steps), loss, "loaded W: ")
        self.w_version += 1
        self.saved_version = self.w_version  # it came from a file
        self.learned = self.run.shown.probs()
        self._redraw()
        return True

    def _show_status(self, step: int, loss: float | None, prefix: str = "") -> None:
        text = f"{prefix}step {step:,}"
        if loss is not None and self.data is not None:
            count_nll = self.data.nll(0.0)["all"]
            text += (f" · loss <b>{loss:.4f}</b> · counts {count_nll:.4f} · "
                     f"gap {_signed(loss - count_nll)}")
        self.status.setText(text)

    def has_unsaved_work(self) -> bool:
        """A run going, or a trained W that was not saved since it changed: a new word list
        must ask before it replaces it (issue 20)."""
        if self.runner.is_busy():
            return True
        return self.run is not None and self.run.steps > 0 and self.w_version != self.saved_version

    def mark_saved(self, version: int) -> None:
        """W as it was at `version` is in a file now (the save job finished)."""
        self.saved_version = version

    def config(self) -> NeuralBigramConfig:
        values = self.form.values()
        return NeuralBigramConfig(lr=values["lr"], l2=values["l2"], steps=values["steps"])

    def learned_model(self) -> NeuralBigram | None:
        """The network as last shown (the GUI's copy of W: sampling from it never touches the
        W being trained), or None while W is being replaced."""
        if self.data is None or self.run is None or self._reset_when_idle:
            return None
        return self.run.shown

    # -- training --------------------------------------------------------------------------
    def start(self, max_steps: int | None = None) -> None:
        if self.data is None or self.run is None or self.runner.is_busy():
            return
        config = self.config()
        model, pairs, start_step = self.run.model, (self.data.xs, self.data.ys), self.run.steps
        self.run.start_step = start_step
        self.form.set_editable(False)
        self.reset_button.setEnabled(False)
        # model=: the run steps W in a child process (the window's GIL stays free); the views read
        # only the reports, and the trained W comes back into the model when the run ends
        self.runner.start(lambda: train(model, pairs, config, start_step), snapshot=snapshot,
                          max_steps=max_steps, model=model)

    @Slot()
    def _on_controls_start_requested(self) -> None:
        self.start()

    @Slot()
    def _on_controls_step_requested(self) -> None:
        self.start(max_steps=1)

    @Slot()
    def _on_reset_clicked(self) -> None:
        self.reset()

    @Slot(object)
    def _on_runner_reported(self, report) -> None:
        if self._reset_when_idle or self.data is None or self.run is None:
            return  # a run on the previous list, still stopping
        self.run.steps = report.step
        self.run.shown.load_state_dict(report.payload)
        self.w_version += 1
        self.learned = report.payload["P"]
        self.loss_plot.add_point("network", report.step, report.loss)
        self._show_status(report.step, report.loss)
        self._redraw()

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        self.form.set_editable(True)
        self.reset_button.setEnabled(True)
        if self._reset_when_idle:
            self._reset_when_idle = False
            self.reset()
        elif self.run is not None:  # idle now: the GUI may read the model itself
            self.run.steps = self.run.start_step + steps  # every step taken, shown or not
            self.w_version += steps > 0
            self.run.shown.load_state_dict(self.run.model.state_dict())
            self.learned = self.run.shown.probs()
            self._redraw()
            self.status_message.emit(f"Neural bigram: {self.run.steps:,} steps so far")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_layout()

    def _fit_layout(self) -> None:
        """Square matrices as large as the page allows. When the height limits them, the loss
        plot goes under the form and that column takes the width they cannot use; when the
        width limits them, the loss plot goes under them, in the height they cannot use."""
        px = app_style.current().font_px
        floor, plot_min = round(px * 9), round(px * 6)  # the form's column; a readable plot
        width = self.width() - floor - 40  # both matrices, beside the column (margins, spacing)
        height = self.height() - self.controls.sizeHint().height() - 2 * px - 40  # under buttons, titles
        room = height - plot_min  # for the matrices with the plot under them
        below = room >= 0.9 * width / 2 and room >= self.count_view.minimumSizeHint().height() + 4
        if below != self._loss_below:
            self._loss_below = below
            (self._left if below else self._grid).removeWidget(self.loss_plot)
            if below:
                self._grid.addWidget(self.loss_plot, 2, 0, 1, 2)
            else:
                self._left.addWidget(self.loss_plot, 1)
        column = floor if below else max(floor, self.width() - 2 * height - 40)
        if below:  # exactly the height the matrices cannot use
            self.loss_plot.setFixedHeight(max(plot_min, int(height - width / 2)))
        else:
            self.loss_plot.setMinimumHeight(0)
            self.loss_plot.setMaximumHeight(16777215)
        if abs(self.form.maximumWidth() - column) > 2 or self.form.minimumWidth() != floor:
            self.form.setMinimumWidth(floor)
            self.form.setMaximumWidth(column)

    @Slot(object, object)
    def _on_loss_x_range_changed(self, view, x_range) -> None:
        self._space_loss_ticks(x_range)

    @Slot()
    def _on_loss_axis_resized(self) -> None:
        self._space_loss_ticks()

    def _space_loss_ticks(self, x_range=None) -> None:
        """Step numbers spaced so that they never run together, however narrow the plot (pyqtgraph
        spaces ticks by the axis length alone, not by the size of their text)."""
        axis = self.loss_plot.getPlotItem().getAxis("bottom")
        x0, x1 = x_range if x_range is not None else self.loss_plot.getPlotItem().viewRange()[0]
        if not x1 > x0:
            return
        fm = QFontMetrics(axis.style["tickFont"] or QFont())
        label = max(fm.horizontalAdvance(f"{x:g}") for x in (x0, x1)) + fm.horizontalAdvance("0")
        fit = min(8, max(1, int(0.9 * max(axis.width(), 1.0) // label)))  # labels the axis holds
        raw = (x1 - x0) / fit
        step = min(m * 10.0 ** np.floor(np.log10(raw)) for m in (1, 2, 5, 10) if m * 10.0 ** np.floor(np.log10(raw)) >= raw)
        axis.setTickSpacing(step, step / 5)

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """The loss curve of the W on screen: (steps, losses)."""
        return self.loss_plot.series("network")

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        self._redraw()

    @Slot(int, int)
    def _on_view_cell_hovered(self, r: int, c: int) -> None:
        for view in (self.count_view, self.net_view):
            view.hovered = (r, c)
            view.viewport().update()
        if r >= 0 and self.data is not None and self.learned is not None and self.target.size:
            pair = display_char(self.data.itos[r]) + display_char(self.data.itos[c])
            self.status_message.emit(f"{pair}: counts P = {self.target[r, c]:.4f}, "
                                     f"network P = {self.learned[r, c]:.4f}")

    def _redraw(self) -> None:
        if self.data is None or self.learned is None or self.target.shape != self.learned.shape:
            return
        labels = [display_char(c) for c in self.data.itos]
        left, right = self.target, self.learned
        if self.log_box.isChecked():
            left, right = log_probs(left), log_probs(right)
            finite = left[np.isfinite(left)]
            levels = (max(-10.0, float(finite.min())), 0.0) if finite.size else (-10.0, 0.0)
        else:
            levels = (0.0, max(float(left.max()), 1e-9))
        for view, values in ((self.count_view, left), (self.net_view, right)):
            text = np.array([[_short(v, self.log_box.isChecked()) for v in row] for row in values],
                            dtype=object)
            view.set_matrix(values, labels, labels, text, levels)


def _signed(v: float) -> str:
    """+0.0123 / −0.0123, and 0.0000 rather than a "-0.0000" that rounding would make."""
    text = f"{v:+.4f}"
    return "0.0000" if float(text) == 0 else text.replace("-", "−")


def _short(v: float, log: bool) -> str:
    if log:
        return "−∞" if v == -np.inf else f"{v:.1f}".replace("-", "−")
    return f"{100 * v:.0f}"
