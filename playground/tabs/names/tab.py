"""The Names MLP tab: a Bengio-style character MLP (with batch norm, as a deep stack or as a
WaveNet tree) trained live, with the diagnostics and initialisation experiments of makemore
part 3, a learning-rate finder, gradient checks and sampling.

Threads: training and the learning-rate sweep run on runners (generators in models/names); loading,
saving, preparing a model's views, sampling and gradient checks are one-shot jobs (state.py). The
GUI thread only applies their results.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QTabWidget

from models.core.assets import asset_path
from models.core.data import Vocab, default_names_path
from models.names import experiments
from models.names.diagnostics import weight_names
from models.names.model import NamesModel
from models.names.train import Views
from playground.tabs.base import Tab
from playground.tabs.names import state
from playground.tabs.names.controls import PRESETS, model_config, model_values, preset_model_values, \
    preset_train_values
from playground.tabs.names.gradcheck import GradCheckPage
from playground.tabs.names.health import HealthPage, WeightsPage, first_loss_text
from playground.tabs.names.lr_page import LRFinderPage
from playground.tabs.names.loss_page import LossPage
from playground.tabs.names.run import RunSlots
from playground.tabs.names.sample import SamplePage
from playground.tabs.names.side import NamesSidePanel


class NamesTab(RunSlots, Tab):
    open_filter = "Word lists (*.txt);;All files (*)"
    model_shown = Signal()  # a new model and all its views are in place (tests wait for it)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.words: list[str] = []
        self.source = ""
        self.data = None  # NamesData of the current model's context and alphabet
        self.model: NamesModel | None = None  # owned by a run's worker while the run lasts
        self.untrained: NamesModel | None = None
        self.view_model: NamesModel | None = None  # the GUI thread's copy of the weights during a run
        self.latest = None  # the last snapshot (a Report) of the current run
        self.views = Views()  # whether the run's snapshots measure the histograms (run.py)
        self.steps_done = 0  # steps this model has been trained in this session (x of the plots)
        self.run_offset = 0  # a run's report.step + this = the model's step (x of the plots)
        self.run_base = 0  # steps_done when the run started
        self.unsaved = False  # trained in this session since it was made, loaded or saved
        self._syncing = False
        self._waiting: set[str] = set()  # names of jobs whose results are awaited
        self.runner = self.make_runner()
        self.runner.max_rate = 10.0  # a deep net's snapshot (histograms of every layer) costs a few steps
        self.runner.reported.connect(self._on_runner_reported)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.state_changed.connect(self._on_runner_state_changed)
        self.finder = self.make_runner()  # the learning-rate sweep (the LR finder page follows it)

        self.side = side = NamesSidePanel(self.runner)
        self.source_label, self.status_label = side.source_label, side.status_label
        self.model_form, self.train_form, self.run_controls = side.model_form, side.train_form, side.run_controls
        self.weights = side.weights
        self.model_form.changed.connect(self._on_model_form_changed)
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        self.weights.new_requested.connect(self.new_model)
        self.weights.shipped_requested.connect(self._on_shipped_requested)
        self.weights.load_requested.connect(self.load_weights)
        self.weights.save_requested.connect(self.save_weights)
        side.experiment_requested.connect(self.run_experiment)

        # -- pages ---------------------------------------------------------------------------
        self.loss_page = LossPage()
        self.loss_plot, self.embedding_plot = self.loss_page.loss_plot, self.loss_page.embedding_plot
        self.health = HealthPage()
        self.weights_page = WeightsPage()
        self.sampler = SamplePage(self._sampling_models)
        self.sampler.sample_requested.connect(self._on_sample_requested)
        self.lr_page = LRFinderPage(self.finder)
        self.lr_page.find_requested.connect(self._on_find_requested)
        self.lr_page.use_requested.connect(self._on_use_lr_requested)
        self.gradcheck = GradCheckPage()
        self.gradcheck.check_requested.connect(self._on_check_requested)
        self.pages = QTabWidget()
        self.pages.addTab(self.loss_page, "Loss && embedding")
        self.pages.addTab(self.health, "Health")
        self.pages.addTab(self.weights_page, "Weights")
        self.pages.addTab(self.sampler, "Sample")
        self.pages.addTab(self.lr_page, "LR finder")
        self.pages.addTab(self.gradcheck, "Check gradients")
        self.pages.currentChanged.connect(self._on_pages_current_changed)

        self.lay_out(self.side, self.pages, side_width=420)

    # -- Tab hooks ---------------------------------------------------------------------------
    def load_defaults(self) -> None:
        path = default_names_path()
        self._submit("words", state.words_of, path, done=lambda words: self._on_words_read(words, path.name))

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.wait_for_jobs()
        self.pages.setCurrentIndex(0)

    def busy(self) -> bool:
        """True while a job's result is still to come (and be applied)."""
        return bool(self._waiting)

    def _submit(self, name: str, fn, *args, done) -> None:
        """self.jobs.submit, remembering that `name`'s result is awaited until it is applied."""
        self._waiting.add(name)

        def apply(result):
            self._waiting.discard(name)
            done(result)

        self.jobs.submit(name, fn, *args, done=apply)

    def open_file(self, path: str) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training before opening another word list.")
            return
        self._submit("words", state.words_of, path, done=lambda words: self._on_words_read(words, Path(path).name))

    def export_targets(self):
        return [("loss", self.loss_plot), ("embedding", self.embedding_plot),
                ("activation histograms", self.health.act_plot), ("gradient histograms", self.health.grad_plot),
                ("saturation map", self.health.saturation), ("weight-gradient histograms", self.weights_page.weight_plot),
                ("update ratios", self.weights_page.ratio_plot),
                ("learning-rate sweep", self.lr_page.plot), ("next-character probabilities", self.sampler.probs_view)]

    # -- words and models ----------------------------------------------------------------------
    def _on_words_read(self, words: list[str], source: str) -> None:
        first = not self.words
        fits = self.model is not None and set("".join(words)) <= set(self.model.vocab.itos)
        if not first and not fits and not self._may_discard(f"{source} has other characters"):
            return
        self.words, self.source, self.data = words, source, None
        chars = sorted(set("".join(words)))
        self.source_label.setText(f"<b>{source}</b><br>{len(words):,} words<br>{len(chars)} characters, and '.' "
                                  f"for start/end<br>split 80/10/10 (train/val/test)")
        if first or self.model is None:
            preset = self.model_form.value("preset")
            self._use_preset(preset if preset in PRESETS else "mlp")
        elif not fits:
            self.new_model()  # the alphabet changed: the old embedding table does not fit
        else:
            self._show(state.prepare, self.model.clone(), self._meta(), words, None,
                       self.train_form.value("seed"), self.sampler.settings(), f"Word list {source}")

    def _show(self, fn, *args) -> None:
        """Prepare a model off the GUI thread (state.prepare and friends); apply it when done."""
        self.weights.set_status("Preparing the model…")
        self._submit("model", fn, *args, done=self._on_model_ready)

    def _on_model_ready(self, shown: state.Shown) -> None:
        self.model, self.data, self.untrained = shown.model, shown.data, shown.untrained
        self.view_model, self.latest, self.unsaved = None, None, False
        meta = shown.meta
        self.steps_done = int(meta.get("steps", 0))
        self._syncing = True
        self.model_form.set_values(model_values(shown.model.config))
        self._syncing = False
        self.loss_page.set_history(meta.get("history"))
        self.health.clear()
        self.weights_page.clear()
        self._show_health(shown.health, 0)
        self.health.set_loss_text(first_loss_text(shown.health.loss, shown.model.vocab.size, not self.steps_done))
        self.sampler.set_samples(shown.samples)
        self._update_status(shown.val_loss if self.steps_done else None, shown.losses)
        if shown.note:
            self.status_message.emit(shown.note)
        self.model_shown.emit()

    def _meta(self) -> dict:
        return {"preset": self.model_form.value("preset"), "steps": self.steps_done, "names_file": self.source}

    def new_model(self) -> None:
        """Fresh random weights for the form's settings (keeping the alphabet when it still fits)."""
        fits = self.model is not None and set("".join(self.words)) <= set(self.model.vocab.itos)
        vocab = self.model.vocab if fits else Vocab.from_words(self.words)
        try:
            config = model_config(self.model_form.values(), vocab.size)
        except ValueError as e:
            self.show_error(str(e))
            return
        self._show(state.fresh, config, vocab, self.train_form.value("seed"), self.words, self.data,
                   self.sampler.settings())

    def _use_preset(self, preset: str) -> None:
        """Set the forms to a preset and load its shipped weights (fresh weights if they do not fit)."""
        self._syncing = True
        self.model_form.set_values({"preset": preset, **preset_model_values(preset)})
        self.train_form.set_values(preset_train_values(preset))
        self._syncing = False
        vocab = Vocab.from_words(self.words)
        config = model_config(self.model_form.values(), vocab.size)
        self._show(state.shipped, preset, self.shipped_path(preset), config, vocab, self.words, self.data,
                   self.train_form.value("seed"), self.sampler.settings())

    def run_experiment(self, key: str) -> None:
        """A lecture experiment: its model, fresh, and the Health page showing it at step 0."""
        if self.runner.is_busy() or not self.words:
            return
        self._syncing = True
        self.model_form.set_values(model_values(experiments.config_for(key, 2)))
        self.model_form.set_values({"preset": "custom"})
        self._syncing = False
        self.new_model()
        self.pages.setCurrentWidget(self.health)

    @staticmethod
    def shipped_path(preset: str):
        return asset_path("weights", f"names_{preset}.npz")

    def load_weights(self, path) -> None:
        """Load a checkpoint off the GUI thread; on any problem, say why and keep the current model."""
        self._show(state.load, path, self.words, self.data, self.train_form.value("seed"), self.sampler.settings())

    def save_weights(self, path) -> None:
        if self.model is None or self.runner.is_busy():
            return
        self._submit("save", state.save, path, self.model.clone(), self._meta(), done=self._on_saved)

    def _on_saved(self, saved: str) -> None:
        self.unsaved = False
        self.status_message.emit(f"Saved {saved}")

    def confirm(self, question: str) -> bool:
        """Ask before something the user made is replaced (tests answer for the user)."""
        answer = QMessageBox.question(self, "Playground", question, QMessageBox.Yes | QMessageBox.No,
                                      QMessageBox.No)
        return answer == QMessageBox.Yes

    def _may_discard(self, why: str) -> bool:
        """True when the current model may be replaced: it holds no unsaved training, or the user
        says so. (New, Shipped, Load… and the experiments are explicit and do not ask.)"""
        if not self.unsaved:
            return True
        return self.confirm(f"{why}: replace the model you trained ({self.steps_done:,} steps, not saved) "
                            f"with a new, untrained one?")

    # -- views -------------------------------------------------------------------------------
    def _sampling_models(self):
        """(untrained, trained) models the GUI thread may use: during a run, a copy of the latest
        snapshot's weights, never the arrays the worker is updating."""
        if self.model is None or self.untrained is None:
            return None
        if not self.runner.is_busy():
            return self.untrained, self.model
        weights = self.latest.payload.weights if self.latest is not None else None
        if weights is None:
            return self.untrained, self.untrained
        if self.view_model is None:
            self.view_model = NamesModel(self.model.config, self.model.vocab)
        self.view_model.load_state_dict(weights)
        return self.untrained, self.view_model

    def _show_health(self, report, step: int) -> None:
        health = report.payload
        if health.detail:  # (a run measures the histograms only while they are shown)
            self.health.show_health(health)
        self.weights_page.show_health(health, step, weight_names(self.model))
        if health.embedding is not None:
            self.embedding_plot.set_embedding(health.embedding, list(self.model.vocab.itos),
                                              pca=self.model.config.n_embd > 2)

    def _update_status(self, val: float | None = None, losses: dict | None = None) -> None:
        lines = [self.model.describe(), f"trained {self.steps_done:,} steps"]
        if val is not None and losses and len(losses) == 3:  # a loaded model: all its numbers
            lines.append(" · ".join(f"{k} {v:.4f}" if np.isfinite(v) else f"{k} –" for k, v in losses.items()))
        elif val is not None:
            lines.append(f"val loss {val:.4f}")
        self.weights.set_status("<br>".join(lines))

    # -- other slots ---------------------------------------------------------------------------
    @Slot(int)
    def _on_pages_current_changed(self, index: int) -> None:
        self.side.explain_page(self.page_keys()[index])
        self._follow_page()

    @Slot(str, object)
    def _on_model_form_changed(self, name: str, value) -> None:
        if self._syncing or self.runner.is_busy() or not self.words:
            return
        if not self._may_discard(f"Changing {name.replace('_', ' ')}"):
            self._syncing = True  # put the form back to the model it describes
            self.model_form.set_values(model_values(self.model.config))
            self._syncing = False
            self.status_message.emit("Kept the trained model; save it, or press New for these settings.")
            return
        if name == "preset":
            if value in PRESETS:
                self._use_preset(value)
            return
        self._syncing = True
        self.model_form.set_values({"preset": "custom"})
        self._syncing = False
        self.new_model()

    @Slot()
    def _on_shipped_requested(self) -> None:
        preset = self.model_form.value("preset")
        self._use_preset(preset if preset in PRESETS else "mlp")

    @Slot()
    def _on_sample_requested(self) -> None:
        models = self._sampling_models()
        if models is None:
            return
        self._submit("sample", state.sample, models[0].clone(), models[1].clone(), self.data,
                     self.sampler.settings(), done=self.sampler.set_samples)

    @Slot()
    def _on_check_requested(self) -> None:
        if self.model is None or "gradcheck" in self._waiting:
            return
        if self.runner.is_busy():  # the run's latest step, from the snapshot's copy of it
            if self.latest is None or self.latest.payload.weights is None:
                return
            model, (xb, yb) = self._sampling_models()[1].clone(), self.latest.payload.batch
        else:
            ix = np.random.default_rng(self.steps_done).integers(0, len(self.data.Ytr), 32)
            model, xb, yb = self.model.clone(), self.data.Xtr[ix], self.data.Ytr[ix]
        self.gradcheck.set_busy(True)
        self._submit("gradcheck", state.check, model, xb, yb, done=self._on_checked)

    def _on_checked(self, result) -> None:
        rows, batch = result
        self.gradcheck.set_rows(rows, batch)
        self.gradcheck.set_busy(False)

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        self._waiting.discard(name)
        if name == "gradcheck":
            self.gradcheck.set_busy(False)
        if name == "model" and self.model is not None:
            self._update_status()
        super()._on_jobs_failed(name, message)

    # -- learning-rate finder ------------------------------------------------------------------
    @Slot()
    def _on_find_requested(self) -> None:
        if self.model is None or self.runner.is_busy() or self.finder.is_busy():
            return
        try:
            data = state.data_for(self.model, self.words, self.data)
            self.lr_page.sweep_fresh(self.model.config, self.model.vocab, data, self.train_form.values())
        except ValueError as e:
            self.show_error(str(e))

    @Slot(float)
    def _on_use_lr_requested(self, lr: float) -> None:
        if not self.runner.is_busy():
            self.train_form.set_values({"lr": round(lr, 5)})
            self.status_message.emit(f"Learning rate set to {lr:.3g}")

