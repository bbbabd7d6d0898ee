"""Training inside the Attention tab: plans the run (a trained model continues where its last run
left off: models.attention.history), starts it on the tab's Runner, extends the model's record
and loss curves, keeps checkpoints for the slider and shows the patterns forming while it trains."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Slot

from models.attention.history import Plan, continue_plan
from models.attention.lab import keep_schedule
from models.attention.train import check_memory, snapshot, train
from models.core.training import Report

VIEW_INTERVAL = 0.35  # seconds between redraws of the heads while training (the GUI stays responsive)
WORKERS = 2  # processes a step is split over (models.attention.parallel)


class TrainingRun(QObject):
    def __init__(self, tab, runner):
        super().__init__(tab)
        self.tab, self.runner = tab, runner
        self.steps_here = 0  # steps the current weights have been trained in this tab
        self.cheating = False  # this run trains with the mask off
        self.cheated = False  # some run since the weights were loaded did
        self.base: list = []  # checkpoints from before this run
        self.current: Plan | None = None  # the run going on (or the last one)
        self._val_step = 0.0  # the last validation shown
        self._last_view = 0.0
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)

    @property
    def steps_done(self) -> int:
        """Steps trained in this tab since the weights were set (lessons, the Journey)."""
        return self.steps_here

    def reset(self) -> None:
        """New weights: nothing trained here yet."""
        self.steps_here = 0
        self.cheated = False

    def plan(self, values: dict, max_steps: int | None = None) -> Plan:
        """The run Train would start now with the form's `values` (Step: one step)."""
        steps = 1 if max_steps else int(values["steps"])
        return continue_plan(self.tab.record, steps, int(values["batch_size"]), int(values["eval_every"]),
                             int(values["seed"]), float(values["lr"]),
                             restart=not self.tab.side.continue_box.isChecked(),
                             keep_at=keep_schedule(steps) if not max_steps else (), workers=WORKERS)

    def start(self, values: dict, max_steps: int | None = None) -> None:
        tab = self.tab
        if self.runner.is_busy() or tab.model is None or tab.jobs.is_busy("task"):
            return
        plan = self.plan(values, max_steps)
        try:
            plan.config.validate()
            check_memory(tab.model.config, plan.config.batch_size, bool(plan.config.ema),
                         len(plan.config.keep_at) + len(tab.checkpoints) + 2, plan.config.workers)
        except (ValueError, MemoryError) as e:
            tab.show_error(str(e))
            return
        model, lab = tab.model, tab.lab
        _, causal = tab.experiments.settings()
        model.causal, model.attention_temperature = causal, 1.0  # only the mask changes training
        self.cheating = not causal
        self.cheated |= self.cheating
        self.current, self._val_step = plan, 0.0
        if self.steps_here == 0 and len(tab.checkpoints) == 1 and tab.record.step == 0:
            tab.checkpoints.insert(0, ("step 0", model.state_dict()))
        self.base = tab.checkpoints[:-1]
        tab.record.test_loss = None  # measured on other weights: these are about to change
        tab.loss_plot.set_test_loss(None)

        def make_generator():  # runs in the worker (a child process): from here on only it touches `model`
            return train(model, lab.train_data(causal), plan.config, plan.start_step)

        tab.set_training(True)
        # the views read the reports' weights, never `model`: it trains in a child process and
        # its trained state comes back into it when the run ends (stopped, finished or failed)
        self.runner.start(make_generator, snapshot=snapshot, max_steps=max_steps, model=model)

    @Slot(object)
    def _on_runner_reported(self, report: Report) -> None:
        tab, plan = self.tab, self.current
        step = plan.offset + report.step
        suffix = " (mask off)" if self.cheating else ""
        loss = report.metrics.get("loss_ema", report.loss)
        tab.loss_plot.add("train" + suffix, step, loss)
        record = tab.record
        if not self.cheating:  # a model's history is of honest training only
            record.train.add(step, loss)
        record.step, record.last_lr = step, report.lr
        new_val = report.metrics.get("val_step", 0.0) != self._val_step
        if new_val:  # every validation reaches the plot, even if its report was skipped
            self._val_step = report.metrics["val_step"]
            val_step = plan.offset + int(self._val_step)
            tab.loss_plot.add("val" + suffix, val_step, report.metrics["val_loss"])
            if not self.cheating:
                record.val.add(val_step, report.metrics["val_loss"])
        kept = [(f"step {plan.offset + s:,}" + suffix, w) for s, w in report.payload["kept"]]
        self._set_checkpoints(kept, report.payload["weights"], step)
        now = time.monotonic()
        if new_val or now - self._last_view >= VIEW_INTERVAL:
            self._last_view = now
            self._show_latest()
            tab.show_weights_status(running=step - plan.offset - plan.start_step)
            if new_val:
                tab.effect.request(throttled=True)  # the "as trained" score follows the weights
        tab.status_message.emit(f"step {step:,}: loss {report.loss:.3f}")

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        tab, plan = self.tab, self.current
        self.steps_here += steps
        record = tab.record
        if steps:
            record.step = plan.offset + plan.start_step + steps
            record.last_lr = plan.config.lr_at(plan.start_step + steps - 1)
            record.recipe = plan.config
            tab.unsaved = True
        tab.model.causal, tab.model.attention_temperature = True, 1.0
        kept = [c for c in tab.checkpoints[len(self.base):-1]]
        self._set_checkpoints(kept, tab.model.state_dict(), record.step)
        self._show_latest(always=True)
        tab.set_training(False)
        tab.side.set_trained(record.step > 0)
        tab.show_weights_status()
        tab.effect.request()

    def _set_checkpoints(self, new: list, current: dict, step: int) -> None:
        tab = self.tab
        at_end = tab.heads.scrub.value() == tab.heads.scrub.maximum()
        old_count = len(tab.checkpoints)
        tab.checkpoints = self.base + new + [(current_label(step), current)]
        if len(tab.checkpoints) != old_count or at_end:
            tab.heads.set_checkpoints([label for label, _ in tab.checkpoints],
                                      None if at_end else tab.heads.scrub.value())

    def _show_latest(self, always: bool = False) -> None:
        """The latest weights into the view model; redrawn (a forward pass on the GUI thread) only
        while a page that shows the model is in front, or `always`: the Training page needs
        none, and the others redraw when they are chosen."""
        tab = self.tab
        if tab.heads.scrub.value() == tab.heads.scrub.maximum():
            tab.view_model.load_state_dict(tab.checkpoints[-1][1])
            if always or tab.pages.currentWidget() is not tab.loss_plot:
                tab.refresh()


def current_label(step: int) -> str:
    """The slider's name for the weights as they are now."""
    return f"current weights (step {step:,})"
