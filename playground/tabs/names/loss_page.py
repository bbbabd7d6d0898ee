"""The Names tab's first page: the loss curves (smoothed minibatch loss and val loss, log scale)
beside the character embedding in 2-D."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from playground.tabs.names.plots import EmbeddingPlot, keep_log_ticks_readable, keep_title_width, short_step_ticks
from playground.widgets.loss_plot import LossPlot

TRAIN, VAL = "train (smoothed)", "val"


class LossPage(QSplitter):
    def __init__(self, parent=None):
        super().__init__(Qt.Horizontal, parent)
        self.setObjectName("loss")
        self.loss_plot = LossPlot(title="Loss", log_y=True)
        keep_log_ticks_readable(self.loss_plot)
        short_step_ticks(self.loss_plot)
        keep_title_width(self.loss_plot, "Loss", 14.0)  # room for the legend and five step ticks
        self.loss_plot.setToolTip("Minibatch loss (smoothed over ~100 steps) and the validation loss "
                                  "(names the model never trains on). Log scale.")
        self.embedding_plot = EmbeddingPlot()
        self.embedding_plot.setToolTip("Each character at its learned vector. Characters the model "
                                       "treats alike (the vowels, say) drift together as it trains.")
        self.addWidget(self.loss_plot)
        self.addWidget(self.embedding_plot)
        self.setSizes([600, 500])
        self.setChildrenCollapsible(False)

    def set_history(self, history) -> None:
        """A checkpoint's training curve: rows of (step, smoothed loss, val loss or None)."""
        self.loss_plot.clear_data()
        self._seed = None
        if not history:
            return
        steps, losses, vals = (np.asarray([np.nan if v is None else v for v in col], float) for col in zip(*history))
        self.loss_plot.set_series(TRAIN, steps, losses)
        ok = np.isfinite(vals)
        self.loss_plot.set_series(VAL, steps[ok], vals[ok])

    def start_run(self, at: int) -> None:
        """A run starts from the model's step `at`. Its smoothed loss starts from its first
        minibatch; when the curve already reaches `at` (a continued run), the new curve goes on
        from the old curve's last value instead, so no false vertical segment joins them."""
        xs, ys = self.loss_plot.series(TRAIN)
        ok = len(xs) and xs[-1] <= at and np.isfinite(ys[-1])
        self._start, self._seed = at, (float(ys[-1]) if ok else None)

    def add_report(self, report, offset: int) -> None:
        """A run's report (its steps counted from `offset`): the smoothed loss and, when a newer
        val measurement rides along, the val point."""
        step, value = offset + report.step, report.metrics["loss_ema"]
        if getattr(self, "_seed", None) is not None:
            # train()'s loss_ema is a bias-corrected EMA (weight 0.99) started at this run's first
            # step; the same EMA started from the old curve's value instead:
            w = 0.99 ** max(step - self._start, 0)
            value = w * self._seed + (1 - w) * value
        self.loss_plot.add_point(TRAIN, step, value)
        val_step = report.metrics.get("val_step")
        xs, _ = self.loss_plot.series(VAL)
        if val_step is not None and offset + val_step > (xs[-1] if len(xs) else -1):
            self.loss_plot.add_point(VAL, offset + val_step, report.metrics["val_loss"])
