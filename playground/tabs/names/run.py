"""The Names tab's training run: starting it, applying its reports, and what follows its end.

A mixin of NamesTab (it reads the tab's model, forms, pages and runner). The run's snapshots
measure the histograms only while the Health or Weights page is shown (train.Views, passed as
the run's `live=` so that it reaches a child process): on the Loss page a report costs a
quarter as much. A page shown after it missed them catches up from a side-effect-free step
on the run's last batch (a job).
"""
from __future__ import annotations

from PySide6.QtCore import Slot

from models.names.diagnostics import weight_names
from models.names.train import Views, continued, diagnose, train
from playground.tabs.names import state
from playground.tabs.names.controls import train_config
from playground.tabs.names.health import first_loss_text

DETAIL_PAGES = ("health", "weights")  # the pages that show the histograms


class RunSlots:
    views: Views

    def _detail_shown(self) -> bool:
        return self.current_page() in DETAIL_PAGES

    def _start(self, max_steps=None) -> None:
        if self.model is None or self.runner.is_busy() or self.finder.is_busy():
            return
        if "model" in self._waiting:
            self.status_message.emit("Still preparing the model; train in a moment.")
            return
        try:
            config = train_config(self.train_form.values())
            data = state.data_for(self.model, self.words, self.data)
        except ValueError as e:
            self.show_error(str(e))
            return
        config, start_step, note = continued(config, self.steps_done)
        if note:
            self.status_message.emit(note)
        model, self.data = self.model, data
        self.run_base, self.run_offset, self.latest = self.steps_done, self.steps_done - start_step, None
        self.loss_page.start_run(self.run_offset + start_step)
        self.views = views = Views(self._detail_shown())
        self.runner.start(lambda: train(model, data, config, start_step), snapshot=views.snapshot,
                          max_steps=max_steps, model=model, live=views)

    @Slot()
    def _on_start_requested(self) -> None:
        self._start()

    @Slot()
    def _on_step_requested(self) -> None:
        self._start(max_steps=1)

    @Slot(object)
    def _on_runner_reported(self, report) -> None:
        first = self.latest is None and self.run_offset == 0
        self.latest = report
        step = self.run_offset + report.step
        self.loss_page.add_report(report, self.run_offset)
        self._show_health(report, step)
        if first and report.step == 1:  # the first step of a fresh model: its loss is the step-0 loss
            self.health.set_loss_text(first_loss_text(report.loss, self.model.vocab.size, True))
        self.weights.set_status(f"{self.model.describe()}<br>step {step:,} · lr {report.lr:g} · "
                                f"minibatch loss {report.loss:.3f}")

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        self.steps_done = self.run_base + steps
        self.unsaved = self.unsaved or steps > 0
        self.view_model = None
        self._update_status()
        if self.data is not None and self.model is not None:
            self._submit("after", state.after_run, self.model.clone(), self.untrained.clone(), self.data,
                         self.sampler.settings(), done=self._on_after_run)
        self._catch_up_detail()

    def _on_after_run(self, result) -> None:
        val, samples = result
        self._update_status(val)
        self.sampler.set_samples(samples)
        self.status_message.emit(f"Trained {self.steps_done:,} steps; val loss {val:.4f}")

    @Slot(str)
    def _on_runner_state_changed(self, state_: str) -> None:
        self.side.set_idle(state_ == "idle")

    def _follow_page(self) -> None:
        """The page changed: the run measures the histograms only while they are shown."""
        if self.runner.is_busy():
            self.views.set_detail(self._detail_shown())
        else:
            self._catch_up_detail()

    def _catch_up_detail(self) -> None:
        """After a run whose last reports had no histograms, the health pages, when shown, get
        those of a side-effect-free step on the run's last batch."""
        latest = self.latest
        if (self.runner.is_busy() or latest is None or latest.payload.detail or not self._detail_shown()
                or self.model is None):
            return
        xb, yb = latest.payload.batch
        self._submit("detail", diagnose, self.model.clone(), xb, yb, done=self._on_detail_ready)

    def _on_detail_ready(self, report) -> None:
        if self.latest is not None and not self.runner.is_busy():
            self.latest = report  # its histograms are shown now: no second catch-up
            self.health.show_health(report.payload)
            self.weights_page.show_health(report.payload, 0, weight_names(self.model))
