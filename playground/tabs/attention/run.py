"""Training inside the Attention tab: starts the run on the tab's Runner, plots the loss, keeps
checkpoints for the slider and shows the patterns forming while it trains."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Slot

from models.attention.lab import keep_schedule
from models.attention.train import AttentionTrainConfig, snapshot, train
from models.core.training import Report

VIEW_INTERVAL = 0.35  # seconds between redraws of the heads while training (the GUI stays responsive)


class TrainingRun(QObject):
    def __init__(self, tab, runner):
        super().__init__(tab)
        self.tab, self.runner = tab, runner
        self.steps_done = 0  # steps the current weights have been trained in this session
        self.cheating = False  # this run trains with the mask off
        self.cheated = False  # some run since the weights were loaded did
        self.base: list = []  # checkpoints from before this run
        self._last_view = 0.0
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)

    def reset(self) -> None:
        """New weights: the plot and the step count start again."""
        self.steps_done = 0
        self.cheated = False
        self.tab.loss_plot.clear_data()

    def start(self, values: dict, max_steps: int | None = None) -> None:
        tab = self.tab
        if self.runner.is_busy() or tab.model is None or tab.jobs.is_busy("task"):
            return
        steps = 1 if max_steps else int(values["steps"])
        config = AttentionTrainConfig(steps=steps, batch_size=int(values["batch_size"]), lr=float(values["lr"]),
                                      warmup=min(100, steps // 10 + 1), eval_every=int(values["eval_every"]),
                                      seed=int(values["seed"]) + self.steps_done,
                                      keep_at=tuple(keep_schedule(steps)) if not max_steps else ())
        try:
            config.validate()
        except ValueError as e:
            tab.show_error(str(e))
            return
        model, lab = tab.model, tab.lab
        _, causal = tab.experiments.settings()
        model.causal, model.attention_temperature = causal, 1.0  # only the mask changes training
        self.cheating = not causal
        self.cheated |= self.cheating
        if self.steps_done == 0 and len(tab.checkpoints) == 1:
            tab.checkpoints.insert(0, ("step 0", model.state_dict()))
        self.base = tab.checkpoints[:-1]

        def make_generator():  # runs in the worker: from here on only it touches `model`
            return train(model, lab.train_data(causal), config)

        tab.set_training(True)
        self.runner.start(make_generator, snapshot=snapshot, max_steps=max_steps)

    @Slot(object)
    def _on_runner_reported(self, report: Report) -> None:
        tab = self.tab
        step = self.steps_done + report.step
        suffix = " (mask off)" if self.cheating else ""
        tab.loss_plot.add_point("train" + suffix, step, report.loss)
        if report.val_loss is not None:
            tab.loss_plot.add_point("val" + suffix, step, report.val_loss)
        kept = [(f"step {self.steps_done + s}" + suffix, w) for s, w in report.payload["kept"]]
        self._set_checkpoints(kept, report.payload["weights"], step)
        now = time.monotonic()
        if now - self._last_view >= VIEW_INTERVAL:
            self._last_view = now
            self._show_latest()
        tab.status_message.emit(f"step {step:,}: loss {report.loss:.3f}")

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        tab = self.tab
        self.steps_done += steps
        tab.model.causal, tab.model.attention_temperature = True, 1.0
        kept = [c for c in tab.checkpoints[len(self.base):-1]]
        self._set_checkpoints(kept, tab.model.state_dict(), self.steps_done)
        self._show_latest()
        tab.set_training(False)
        c = tab.model.config
        tab.weights.set_status(f"trained {self.steps_done:,} steps here"
                                  + (" (some with the mask off)" if self.cheated else "")
                                  + f"<br>{c.n_layer} layers × {c.n_head} heads × {c.n_embd} dims, "
                                  f"{tab.model.num_params():,} parameters")
        tab._effect_timer.start()

    def _set_checkpoints(self, new: list, current: dict, step: int) -> None:
        tab = self.tab
        at_end = tab.heads.scrub.value() == tab.heads.scrub.maximum()
        old_count = len(tab.checkpoints)
        tab.checkpoints = self.base + new + [(f"current weights (step {step:,})", current)]
        if len(tab.checkpoints) != old_count or at_end:
            tab.heads.set_checkpoints([label for label, _ in tab.checkpoints],
                                      None if at_end else tab.heads.scrub.value())

    def _show_latest(self) -> None:
        tab = self.tab
        if tab.heads.scrub.value() == tab.heads.scrub.maximum():
            tab.view_model.load_state_dict(tab.checkpoints[-1][1])
            tab.refresh()
