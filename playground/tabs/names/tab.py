"""The Names MLP tab: a Bengio-style character MLP (with batch norm, or as a WaveNet tree)
trained live, with the diagnostics of makemore part 3, gradient checks and sampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFileDialog, QSplitter, QTabWidget, QVBoxLayout

from models.names import diagnostics
from models.core.assets import asset_path
from models.core.checkpoint import CheckpointError
from models.core.data import Vocab, WordListError, default_names_path, load_words
from models.names.model import NamesData, NamesModel
from models.names.train import train
from playground.tabs.base import Tab
from playground.tabs.names.controls import (PRESETS, model_config, model_values, preset_model_values,
                                            preset_train_values, train_config)
from playground.tabs.names.gradcheck import GradCheckPage
from playground.tabs.names.health import EmbeddingPlot, HealthPage, keep_log_ticks_readable
from playground.tabs.names.sample import SamplePage
from playground.tabs.names.side import NamesSidePanel
from playground.widgets.loss_plot import LossPlot

WEIGHTS_FILTER = "Names MLP weights (*.npz);;All files (*)"


class NamesTab(Tab):
    open_filter = "Word lists (*.txt);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.words: list[str] = []
        self.source = ""
        self.data: NamesData | None = None
        self.model: NamesModel | None = None
        self.untrained: NamesModel | None = None
        self.view_model: NamesModel | None = None  # the GUI thread's copy while a run owns self.model
        self.latest: dict = {}  # the last snapshot of the current run
        self.steps_done = 0  # steps this model has been trained in this session (x of the plots)
        self.run_offset = 0
        self._syncing = False
        self.runner = self.make_runner()
        self.runner.reported.connect(self._on_runner_reported)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.state_changed.connect(self._on_runner_state_changed)
        self.checker = self.make_runner()
        self.checker.reported.connect(self._on_checker_reported)
        self.checker.finished.connect(self._on_checker_finished)

        self.side = NamesSidePanel(self.runner)
        side = self.side
        self.source_label, self.status_label = side.source_label, side.status_label
        self.model_form, self.train_form, self.run_controls = side.model_form, side.train_form, side.run_controls
        self.run_controls.start_button.setShortcut("Ctrl+Return")
        self.run_controls.start_button.setToolTip("Train with these settings, from the current weights (Ctrl+Enter)")
        self.run_controls.step_button.setShortcut("F7")
        self.run_controls.step_button.setToolTip("Take exactly one training step (F7)")
        self.save_button = side.save_button
        self.model_form.changed.connect(self._on_model_form_changed)
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        side.reset_button.clicked.connect(self._on_reset_clicked)
        side.shipped_button.clicked.connect(self._on_shipped_clicked)
        side.load_button.clicked.connect(self._on_load_clicked)
        side.save_button.clicked.connect(self._on_save_clicked)

        # -- pages ---------------------------------------------------------------------------
        self.loss_plot = LossPlot(title="Loss", log_y=True)
        keep_log_ticks_readable(self.loss_plot)
        self.loss_plot.setToolTip("Minibatch loss (smoothed over ~100 steps) and the validation loss "
                                  "(names the model never trains on). Log scale.")
        self.embedding_plot = EmbeddingPlot()
        self.embedding_plot.setToolTip("Each character at its learned vector. Characters the model "
                                       "treats alike (the vowels, say) drift together as it trains.")
        training_page = QSplitter(Qt.Horizontal)
        training_page.addWidget(self.loss_plot)
        training_page.addWidget(self.embedding_plot)
        training_page.setSizes([600, 400])
        self.health = HealthPage()
        self.sampler = SamplePage(self._sampling_models)
        self.gradcheck = GradCheckPage()
        self.gradcheck.check_requested.connect(self._on_check_requested)
        self.pages = QTabWidget()
        self.pages.addTab(training_page, "Loss && embedding")
        self.pages.addTab(self.health, "Health")
        self.pages.addTab(self.sampler, "Sample")
        self.pages.addTab(self.gradcheck, "Check gradients")
        self.pages.currentChanged.connect(self._on_pages_current_changed)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.side)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 1180])
        QVBoxLayout(self).addWidget(splitter)

    # -- Tab hooks ---------------------------------------------------------------------------
    def load_defaults(self) -> None:
        path = default_names_path()
        try:
            self.set_words(load_words(path), path.name)
        except WordListError as e:
            self.show_error(f"The default names list could not be loaded: {e}")
            return
        preset = self.model_form.value("preset")
        self._use_preset(preset if preset in PRESETS else "mlp")

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.pages.setCurrentIndex(0)
        if self.sampler.trained_list.count():
            self.sampler.show_name(self.sampler.trained_list.item(0).text())

    def open_file(self, path: str) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training before opening another word list.")
            return
        try:
            words = load_words(path)
        except WordListError as e:
            self.show_error(str(e))
            return
        self.set_words(words, Path(path).name)
        if self.model is not None and not set("".join(words)) <= set(self.model.vocab.itos):
            self.new_model()  # the alphabet changed: the old embedding table does not fit

    def export_targets(self):
        return [("loss", self.loss_plot), ("embedding", self.embedding_plot),
                ("activation histograms", self.health.act_plot), ("gradient histograms", self.health.grad_plot),
                ("update ratios", self.health.ratio_plot), ("saturation map", self.health.saturation),
                ("next-character probabilities", self.sampler.probs_view)]

    # -- state -------------------------------------------------------------------------------
    def set_words(self, words: list[str], source: str) -> None:
        self.words, self.source = words, source
        self.data = None
        chars = sorted(set("".join(words)))
        self.source_label.setText(f"<b>{source}</b><br>{len(words):,} words<br>{len(chars)} characters, and '.' "
                                  f"for start/end<br>split 80/10/10 (train/val/test)")

    def _data_for(self, model: NamesModel) -> NamesData:
        """Examples for this model's context and alphabet (ValueError if the list does not fit it)."""
        if self.data is None or self.data.block_size != model.block_size or self.data.vocab != model.vocab:
            self.data = NamesData.from_words(self.words, model.block_size, vocab=model.vocab)
        return self.data

    def set_model(self, model: NamesModel, meta: dict | None = None) -> None:
        """Make `model` the tab's model: forms, plots, samples and diagnostics follow. `meta` of a
        checkpoint may hold its training curve ("history") and step count."""
        self.model, self.view_model, self.latest = model, None, {}
        self.steps_done = int(meta.get("steps", 0)) if meta else 0
        self.untrained = NamesModel(model.config, model.vocab, seed=self.train_form.value("seed"))
        self._syncing = True
        self.model_form.set_values(model_values(model.config))
        self._syncing = False
        self.loss_plot.clear_data()
        self.health.clear()
        if meta and meta.get("history"):
            steps, losses, vals = (np.asarray(v, float) for v in zip(*meta["history"]))
            self.loss_plot.set_series("train (smoothed)", steps, losses)
            ok = np.isfinite(vals)
            self.loss_plot.set_series("val", steps[ok], vals[ok])
        data = self._data_for(model)
        rng = np.random.default_rng(0)
        ix = rng.integers(0, len(data.Ytr), 32)
        self._show_diagnostics(diagnostics.diagnose(model, data.Xtr[ix], data.Ytr[ix]))
        self.sampler.sample()
        self._update_status(model.eval_loss(data.Xval, data.Yval) if self.steps_done else None)

    def new_model(self) -> None:
        """Fresh random weights for the form's settings (keeping the alphabet when it still fits)."""
        fits = self.model is not None and set("".join(self.words)) <= set(self.model.vocab.itos)
        vocab = self.model.vocab if fits else Vocab.from_words(self.words)
        try:
            model = NamesModel(model_config(self.model_form.values(), vocab.size), vocab,
                               seed=self.train_form.value("seed"))
        except ValueError as e:
            self.show_error(str(e))
            return
        self.set_model(model)
        self.status_message.emit(f"New untrained model: {model.describe()}")

    def _use_preset(self, preset: str) -> None:
        """Set the forms to a preset and load its shipped weights (fresh weights if they do not fit)."""
        self._syncing = True
        self.model_form.set_values({"preset": preset, **preset_model_values(preset)})
        self.train_form.set_values(preset_train_values(preset))
        self._syncing = False
        path = self.shipped_path(preset)
        try:
            model, meta = NamesModel.load(path)
            self._data_for(model)
        except (CheckpointError, ValueError) as e:
            self.status_message.emit(f"Shipped weights for {preset} not used ({e}); starting untrained.")
            self.new_model()
            return
        self.set_model(model, meta)
        self.status_message.emit(f"Loaded the trained {preset} preset ({model.describe()})")

    @staticmethod
    def shipped_path(preset: str):
        return asset_path("weights", f"names_{preset}.npz")

    def _sampling_models(self):
        """(untrained, trained) models the GUI thread may use: during a run, a copy of the latest
        snapshot's weights, never the arrays the worker is updating."""
        if self.model is None:
            return None
        if not self.runner.is_busy():
            return self.untrained, self.model
        weights = self.latest.get("weights")
        if weights is None:
            return self.untrained, self.untrained
        if self.view_model is None:
            self.view_model = NamesModel(self.model.config, self.model.vocab)
        self.view_model.set_state_arrays(weights)
        return self.untrained, self.view_model

    def _ratio_labels(self) -> dict[str, str]:
        return {f"{i}.weight": f"{type(layer).__name__} {i}" for i, layer in enumerate(self.model.layers)}

    def _show_diagnostics(self, snap: dict, step: int | None = None) -> None:
        self.health.show_snapshot(snap, self.steps_done if step is None else step, self._ratio_labels())
        if "embedding" in snap:
            self.embedding_plot.set_embedding(snap["embedding"], list(self.model.vocab.itos),
                                              pca=self.model.config.n_embd > 2)

    def _update_status(self, val: float | None = None) -> None:
        lines = [self.model.describe(), f"trained {self.steps_done:,} steps"]
        if val is not None:
            lines.append(f"val loss {val:.4f}")
        self.status_label.setText("<br>".join(lines))

    def _start(self, max_steps=None) -> None:
        if self.model is None or self.runner.is_busy():
            return
        try:
            config = train_config(self.train_form.values())
            data = self._data_for(self.model)
        except ValueError as e:
            self.show_error(str(e))
            return
        model = self.model
        self.run_offset, self.latest = self.steps_done, {}
        self.runner.start(lambda: train(model, data, config), snapshot=diagnostics.snapshot, max_steps=max_steps)

    # -- slots -------------------------------------------------------------------------------
    @Slot()
    def _on_start_requested(self) -> None:
        self._start()

    @Slot()
    def _on_step_requested(self) -> None:
        self._start(max_steps=1)

    @Slot(object)
    def _on_runner_reported(self, report: dict) -> None:
        self.latest = report
        step = self.run_offset + report["step"]
        self.loss_plot.add_point("train (smoothed)", step, report["loss_ema"])
        if "last_val" in report and report["last_val"][0] + self.run_offset > self._last_val_step():
            self.loss_plot.add_point("val", self.run_offset + report["last_val"][0], report["last_val"][1])
        self._show_diagnostics(report, step)
        self.status_label.setText(f"{self.model.describe()}<br>step {step:,} · lr {report['lr']:g} · "
                                  f"minibatch loss {report['loss']:.3f}")

    def _last_val_step(self) -> float:
        xs, _ = self.loss_plot.series("val")
        return xs[-1] if len(xs) else -1

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        self.steps_done = self.run_offset + steps
        self.view_model = None
        val = self.model.eval_loss(self.data.Xval, self.data.Yval) if self.data is not None else None
        self._update_status(val)
        self.sampler.sample()
        self.status_message.emit(f"Trained {steps:,} steps; val loss {val:.4f}" if val else "Stopped")

    @Slot(int)
    def _on_pages_current_changed(self, index: int) -> None:
        self.side.explain_page(("training", "health", "sample", "gradcheck")[index])

    @Slot(str)
    def _on_runner_state_changed(self, state: str) -> None:
        self.side.set_idle(state == "idle")

    @Slot(str, object)
    def _on_model_form_changed(self, name: str, value) -> None:
        if self._syncing or self.runner.is_busy() or not self.words:
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
    def _on_reset_clicked(self) -> None:
        self.new_model()

    @Slot()
    def _on_shipped_clicked(self) -> None:
        preset = self.model_form.value("preset")
        self._use_preset(preset if preset in PRESETS else "mlp")

    @Slot()
    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load names MLP weights", "", WEIGHTS_FILTER)
        if path:
            self.load_weights(path)

    def load_weights(self, path) -> bool:
        """Load a checkpoint; on any problem, say why and keep the current model."""
        try:
            model, meta = NamesModel.load(path)
            self._data_for(model)
        except (CheckpointError, ValueError) as e:
            self.show_error(f"Could not load those weights; the current model stays. {e}")
            if self.model is not None:
                self._data_for(self.model)
            return False
        self.set_model(model, meta)
        self.status_message.emit(f"Loaded {model.describe()}")
        return True

    @Slot()
    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save names MLP weights", "names_mlp.npz", WEIGHTS_FILTER)
        if path:
            self.save_weights(path)

    def save_weights(self, path) -> None:
        try:
            self.model.save(path, meta={"preset": self.model_form.value("preset"), "steps": self.steps_done,
                                        "names_file": self.source})
        except OSError as e:
            self.show_error(f"Could not save {path}: {e.strerror or e}")
            return
        self.status_message.emit(f"Saved {path}")

    @Slot()
    def _on_check_requested(self) -> None:
        if self.model is None or self.checker.is_busy():
            return
        if self.runner.is_busy():  # the run's latest step, from the snapshot's copy of it
            if "weights" not in self.latest:
                return
            model = NamesModel(self.model.config, self.model.vocab)
            model.set_state_arrays(self.latest["weights"])
            xb, yb = self.latest["batch"]
        else:
            model = self.model.clone()
            data = self._data_for(self.model)
            ix = np.random.default_rng(self.steps_done).integers(0, len(data.Ytr), 32)
            xb, yb = data.Xtr[ix], data.Ytr[ix]
        self.gradcheck.set_busy(True)
        self._check_batch = len(yb)
        self.checker.start(lambda: iter([{"step": 1, "rows": diagnostics.check_gradients(model, xb, yb)}]))

    @Slot(object)
    def _on_checker_reported(self, report: dict) -> None:
        self.gradcheck.set_rows(report["rows"], self._check_batch)

    @Slot(int)
    def _on_checker_finished(self, steps: int) -> None:
        self.gradcheck.button.setEnabled(True)
