"""The Names tab's "LR finder" page: the lecture's learning-rate sweep (loss against an
exponentially growing rate, from fresh weights), run in a worker with progress and cancel, with
the steepest descent and the lowest loss marked and offered as the learning rate."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from models.core.training import copy_report
from models.names.lr_finder import LRFinderConfig, Sweep, find_lr
from models.names.model import NamesModel
from playground import style as app_style
from playground.widgets.plot_style import style_plot_item

TITLE = "Loss while the learning rate grows"
RATE_TICKS = [(float(np.log10(m * 10.0 ** e)), f"{m * 10.0 ** e:g}") for e in range(-4, 2) for m in (1, 3)]


class LRFinderPage(QWidget):
    """Follows the sweep's runner (the tab's; `start` runs a find_lr generator on it)."""
    find_requested = Signal()
    use_requested = Signal(float)  # a learning rate for the training form

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.setObjectName("lr")
        self.runner = runner
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        self.note = QLabel("1,000 steps of fresh weights while the rate grows from 0.001 to 1 (makemore "
                           "part 2): a good rate is where the loss is lowest before it rises.")
        self.note.setWordWrap(True)
        self.find_button = QPushButton("&Find the learning rate")
        self.find_button.setToolTip("Sweep the learning rate over 1,000 steps of fresh weights (in the "
                                    "background; the current model is not touched)")
        self.find_button.clicked.connect(self.find_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the sweep after the current step")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(runner.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m steps")
        row = QHBoxLayout()
        row.addWidget(self.find_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)

        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", "learning rate (log scale)")
        item.setLabel("left", "loss")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.getAxis("bottom").setTicks([RATE_TICKS, []])  # pyqtgraph's log labels crowd each other
        item.addLegend(offset=(-10, 10))
        st = app_style.current()
        self.raw_curve = item.plot(name="minibatch loss", pen=pg.mkPen(st.muted, width=1))
        self.smooth_curve = item.plot(name="smoothed", pen=pg.mkPen(st.series(0), width=st.pen_width))
        self.steepest_line = self._marker(st, st.series(2), "steepest", 0.92)
        self.lowest_line = self._marker(st, st.series(5), "lowest", 0.75)
        # before a sweep: the rates it will try (not an axis of "3" and 0.2-0.8 for no data)
        sweep = LRFinderConfig()
        item.setRange(xRange=(np.log10(sweep.lr_min), np.log10(sweep.lr)), yRange=(2.0, 4.0), padding=0.02)
        self.plot.setToolTip("Each point is one step's loss at that step's rate. The marks: where the "
                             "loss falls fastest, and where it is lowest (the lecture picks about 0.1 there).")

        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setToolTip("From fresh weights the steepest descent comes early, while the easy "
                                     "part (how common each letter is) is being learned: as a learning rate "
                                     "it is cautious. The lecture reads 0.1 off the lowest part of the curve.")
        self.use_lowest = QPushButton("Use the lowest")
        self.use_lowest.setToolTip("Put the rate where the swept loss was lowest into the training form")
        self.use_steepest = QPushButton("Use the steepest")
        self.use_steepest.setToolTip("Put the rate where the swept loss fell fastest into the training form "
                                     "(a cautious choice: from fresh weights it is often too small)")
        for b in (self.use_lowest, self.use_steepest):
            b.setEnabled(False)
            b.clicked.connect(self._on_use_clicked)
        uses = QHBoxLayout()
        uses.addWidget(self.use_lowest)
        uses.addWidget(self.use_steepest)
        uses.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(uses)
        self.sweep: Sweep | None = None
        self._apply(st)
        app_style.bus().changed.connect(self._on_style_changed)

    def _marker(self, st, colour, label, height) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, pen=pg.mkPen(colour, width=st.pen_width, style=Qt.DashLine),
                               label=label, labelOpts={"position": height, "color": colour})
        line.setVisible(False)
        self.plot.addItem(line)
        return line

    def sweep_fresh(self, config, vocab, data, values: dict) -> None:
        """Sweep fresh weights of `config` on `data` with the training form's batch size,
        optimiser and seed (ValueError for values that make no sweep). The tab's model is not
        touched: the sweep trains its own."""
        sweep = LRFinderConfig(batch_size=int(values["batch_size"]), optimizer=values["optimizer"],
                               seed=int(values["seed"]))
        sweep.validate()
        fresh = NamesModel(config, vocab, seed=sweep.seed)
        self.set_running(True, sweep.steps)
        self.runner.start(lambda: find_lr(fresh, data, sweep), snapshot=copy_report, model=fresh)

    def set_running(self, running: bool, steps: int = 1000) -> None:
        self.find_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.sweep = None
            self.plot.getPlotItem().enableAutoRange()  # the sweep's losses set the range
            self.progress.setRange(0, steps)
            self.progress.setValue(0)
            self.result_label.setText("Sweeping…")
            for line in (self.steepest_line, self.lowest_line):
                line.setVisible(False)
            for b in (self.use_lowest, self.use_steepest):
                b.setEnabled(False)

    def show_sweep(self, sweep: Sweep) -> None:
        """Draw the sweep so far; on the last report, the marks and the offer."""
        self.sweep = sweep
        self.progress.setValue(len(sweep.lrs))
        lrs = np.asarray(sweep.lrs, float)
        self.raw_curve.setData(lrs, np.asarray(sweep.losses, float))
        self.smooth_curve.setData(lrs, np.asarray(sweep.smoothed, float))
        if not sweep.done:
            return
        marks = ((self.steepest_line, sweep.steepest_lr), (self.lowest_line, sweep.lowest_lr))
        for line, lr in marks:
            line.setVisible(lr is not None)
            if lr is not None:
                line.setValue(np.log10(lr))  # the x axis is in log10 units
        self.use_lowest.setEnabled(sweep.lowest_lr is not None)
        self.use_steepest.setEnabled(sweep.steepest_lr is not None)
        if sweep.lowest_lr is None:
            self.result_label.setText("The sweep was too short to suggest a rate.")
            return
        self.use_lowest.setText(f"Use {sweep.lowest_lr:.3g}")
        if sweep.steepest_lr is not None:
            self.use_steepest.setText(f"Use {sweep.steepest_lr:.3g}")
        steep = f"{sweep.steepest_lr:.3g}" if sweep.steepest_lr is not None else "none"
        self.result_label.setText(f"<b>Suggested: {sweep.suggestion:.3g}</b>, the lowest loss (the lecture "
                                  f"reads 0.1 there). Steepest descent: {steep}, a cautious rate.")

    @Slot(object)
    def _on_runner_reported(self, report) -> None:
        self.show_sweep(report.payload)

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        self.set_running(False)
        if self.sweep is None or not self.sweep.done:
            self.result_label.setText(f"Cancelled after {steps:,} steps.")

    @Slot()
    def _on_use_clicked(self) -> None:
        if self.sweep is None:
            return
        lr = self.sweep.steepest_lr if self.sender() is self.use_steepest else self.sweep.lowest_lr
        if lr is not None:
            self.use_requested.emit(float(lr))

    def _apply(self, st) -> None:
        self.plot.setBackground(st.background)
        self.raw_curve.setPen(pg.mkPen(st.muted, width=max(1.0, st.pen_width / 2)))
        self.smooth_curve.setPen(pg.mkPen(st.series(0), width=st.pen_width))
        style_plot_item(self.plot.getPlotItem(), st, TITLE)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)
