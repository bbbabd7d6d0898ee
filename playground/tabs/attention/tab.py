"""The Attention tab: a small character transformer, every head's attention for the text you type,
one head's arithmetic step by step, the next-character distribution, two experiments (attention
temperature, mask off) and training with checkpoints to scrub through."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QFileDialog, QSplitter, QTabWidget, QVBoxLayout

from models.core.assets import asset_path
from models.core.checkpoint import CheckpointError
from models.core.data import WordListError, default_names_path, load_words
from models.attention.sort_task import SortTask
from models.attention.saving import load_model, save_model
from models.attention.lab import AttentionLab
from playground import settings
from playground.tabs.attention.heads import HeadsPage
from playground.tabs.attention.output import OutputPanel
from playground.tabs.attention.run import TrainingRun
from playground.tabs.attention.side import AttentionSide
from playground.tabs.attention.step import StepPage
from playground.tabs.base import Tab
from playground.widgets.loss_plot import LossPlot

DEFAULT_TEXT = {"names": "emm", "sort": "hcfadb"}
WEIGHTS_FILTER = "Attention weights (*.npz);;All files (*)"


class AttentionTab(Tab):
    open_filter = "Word lists (*.txt);;Attention weights (*.npz);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lab: AttentionLab | None = None
        self.words: list[str] = []
        self.words_source = ""
        self.model = None  # trained by the worker while a run goes on
        self.view_model = None  # the GUI thread's copy: what the pages show
        self.checkpoints: list[tuple[str, dict]] = []  # (label, weights), oldest first, last = now
        self.ctx = None
        self.layer = self.head = 0
        self.query = 0
        self.runner = self.make_runner()
        self.run = TrainingRun(self, self.runner)

        self.side = side = AttentionSide(self.runner)
        self.task_box, self.source_label = side.task_box, side.source_label
        self.text_edit, self.text_status = side.text_edit, side.text_status
        self.experiments, self.train_form, self.run_controls = side.experiments, side.train_form, side.run_controls
        self.weights_label = side.weights_label
        self.task_box.currentIndexChanged.connect(self._on_task_box_changed)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.experiments.changed.connect(self._on_experiments_changed)
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        side.new_button.clicked.connect(self._on_new_clicked)
        side.shipped_button.clicked.connect(self._on_shipped_clicked)
        side.load_button.clicked.connect(self._on_load_clicked)
        side.save_button.clicked.connect(self._on_save_clicked)

        # -- pages ---------------------------------------------------------------------------
        self.heads = HeadsPage()
        self.heads.head_selected.connect(self._on_head_selected)
        self.heads.query_selected.connect(self._on_query_selected)
        self.heads.checkpoint_changed.connect(self._on_checkpoint_changed)
        self.output = OutputPanel()
        self.output.temperature_changed.connect(self._on_output_temperature_changed)
        self.output.sample_requested.connect(self._on_sample_requested)
        heads_page = QSplitter(Qt.Vertical)
        heads_page.addWidget(self.heads)
        heads_page.addWidget(self.output)
        heads_page.setSizes([640, 300])
        self.step_page = StepPage()
        self.step_page.query_changed.connect(self._on_query_selected)
        self.loss_plot = LossPlot(title="Loss", smoothing=0.95, smoothed=("train", "train (mask off)"))
        self.loss_plot.setToolTip("Training loss (smoothed) and validation loss. Train with the mask "
                                  "off and watch the loss drop: the model copies the next character.")
        self.pages = QTabWidget()
        self.pages.addTab(heads_page, "Heads")
        self.pages.addTab(self.step_page, "Step through")
        self.pages.addTab(self.loss_plot, "Training")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 1200])
        QVBoxLayout(self).addWidget(splitter)

        self._effect_timer = QTimer(self)
        self._effect_timer.setSingleShot(True)
        self._effect_timer.setInterval(250)
        self._effect_timer.timeout.connect(self._on_effect_timer_timeout)
        self._trained_score = None  # the quick score of the current weights as trained

    # -- Tab hooks ---------------------------------------------------------------------------
    def load_defaults(self) -> None:
        try:
            path = default_names_path()
            self.words, self.words_source = load_words(path), path.name
        except WordListError as e:
            self.show_error(f"The default names list could not be loaded: {e}")
        task = settings.read("attention/task", "names")
        index = max(0, self.task_box.findData(task))
        self.task_box.blockSignals(True)
        self.task_box.setCurrentIndex(index)
        self.task_box.blockSignals(False)
        self.set_task(self.task_box.currentData())

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.pages.setCurrentIndex(0)
        maps = self.heads.grid.maps  # (L, H, T, T)
        if maps.ndim == 4 and maps.shape[-1] > 1:
            focus = maps[:, :, 1:, 1:].max(axis=-1).mean(axis=-1)  # how sharply heads pick a letter
            layer, head = np.unravel_index(int(focus.argmax()), focus.shape)
            self._select_head(int(layer), int(head))

    def open_file(self, path: str) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training first.")
            return
        if str(path).lower().endswith(".npz"):
            self.load_weights(path)
            return
        try:
            words = load_words(path)
        except WordListError as e:
            self.show_error(str(e))
            return
        self.words, self.words_source = words, str(path).replace("\\", "/").split("/")[-1]
        self.task_box.setCurrentIndex(self.task_box.findData("names"))
        self.set_task("names", keep_model=True)

    def export_targets(self):
        return [("attention heads", self.heads.grid), ("chosen head", self.heads.big),
                ("next character", self.output.plot), ("loss", self.loss_plot)]

    # -- task and weights --------------------------------------------------------------------
    def set_task(self, task: str, keep_model: bool = False) -> None:
        """Make `task` current: its data, its shipped weights (or fresh ones), its example text."""
        old = (self.model, self.lab.itos) if keep_model and self.model is not None and self.lab else None
        try:
            if task == "names":
                if not self.words:
                    raise WordListError("no word list is loaded (File > Open…)")
                self.lab = AttentionLab.for_names(self.words)
                self.source_label.setText(f"<b>{self.words_source}</b>: {len(self.words):,} words, "
                                          f"{len(self.lab.itos) - 1} characters; split 80/10/10")
            else:
                self.lab = AttentionLab.for_sort(SortTask())
                self.source_label.setText("Sequences of 6 letters from a–h; 10% of all sequences are "
                                          "held out and never trained on.")
        except (WordListError, ValueError) as e:
            self.show_error(str(e))
            return
        settings.write("attention/task", task)
        if old is not None and self.lab.fits(*old):
            self.set_model(old[0], [], "the same weights")
        elif not self._load_shipped():
            self.set_model(self.lab.new_model(seed=self.train_form.value("seed")), [], "new random weights")
        self.text_edit.setText(DEFAULT_TEXT[task])

    def _load_shipped(self) -> bool:
        path = asset_path("weights", f"attention_{self.lab.task}.npz")
        if not path.is_file():
            return False
        return self.load_weights(path, shipped=True)

    def load_weights(self, path, shipped: bool = False) -> bool:
        try:
            loaded = load_model(path)
        except CheckpointError as e:
            self.show_error(str(e))
            return False
        if loaded.task != self.lab.task:
            self.task_box.setCurrentIndex(self.task_box.findData(loaded.task))  # switches the lab
        if not self.lab.fits(loaded.model, loaded.itos):
            if not shipped:  # the shipped model simply does not apply to another alphabet
                self.show_error(f"{Path(path).name} was trained on other "
                                f"characters than this word list uses.")
            return False
        loaded.model.causal = True
        snaps = [(f"step {s}", state) for s, state in loaded.snapshots]
        meta = loaded.meta
        what = "shipped weights" if shipped else str(path).replace("\\", "/").split("/")[-1]
        score = (f"val loss {meta['val_loss']:.3f}" if "val_loss" in meta else "")
        if meta.get("test_loss"):
            score += f", test {meta['test_loss']:.3f}"
        if meta.get("exact_match") is not None:
            score += f", exact match {100 * meta['exact_match']:.1f}%"
        steps = f"after {meta['step']:,} steps" if "step" in meta else ""
        self.set_model(loaded.model, snaps, f"{what} {steps} ({score})" if score else what)
        return True

    def set_model(self, model, snapshots, description: str) -> None:
        self.model = model
        self.run.reset()
        self.view_model = self.lab.new_model(model.config.n_layer, model.config.n_head, model.config.n_embd)
        self.view_model.load_state_dict(model.state_dict())
        self.checkpoints = list(snapshots) + [("current weights", model.state_dict())]
        self.heads.set_checkpoints([label for label, _ in self.checkpoints])
        c = model.config
        self.weights_label.setText(f"{description}<br>{c.n_layer} layers × {c.n_head} heads × {c.n_embd} "
                                   f"dims, {model.num_params():,} parameters")
        self.layer = min(self.layer, c.n_layer - 1)
        self.head = min(self.head, c.n_head - 1)
        self._trained_score = None
        self.refresh()
        self._effect_timer.start()

    # -- the view ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute everything the pages show from the view model and the typed text."""
        if self.view_model is None:
            return
        model = self.view_model
        model.attention_temperature, model.causal = self.experiments.settings()
        try:
            self.ctx = self.lab.context(self.text_edit.text(), model)
        except ValueError as e:
            self.text_status.setText(f"<span style='color:#D55E00'>{e}</span>")
            return
        ctx = self.ctx
        verdict = "right" if ctx.answer == ctx.expected else f"wrong: it should be {ctx.expected}"
        self.text_status.setText(f"the model reads: <b>{' '.join(ctx.tokens)}</b>"
                                 + (f"<br>its answer: <b>{ctx.answer}</b> ({verdict})" if ctx.answer else ""))
        view = self.lab.inspect(model, ctx, self.output.temperature.value())
        self.query = min(self.query if self.query >= 0 else ctx.query, len(ctx.tokens) - 1)
        details = model.head_details(self.layer, self.head)
        trained = None
        if self.experiments.active():
            model.attention_temperature, model.causal = 1.0, True
            trained = self.lab.inspect(model, ctx, self.output.temperature.value()).probs
        self.heads.show_maps(view.maps, ctx.tokens, view.masked, self.layer, self.head)
        self.step_page.show_details(details, ctx.tokens, self.layer, self.head, self.query)
        chars = list(self.lab.itos)
        row = self.query
        self.output.plot.set_title(f"Next character after position {row} ('{ctx.tokens[row]}')")
        self.output.plot.set_probs(chars, view.probs[row], None if trained is None else trained[row])

    def _select_head(self, layer: int, head: int) -> None:
        self.layer, self.head = layer, head
        self.refresh()

    # -- slots -------------------------------------------------------------------------------
    @Slot(int)
    def _on_task_box_changed(self, index: int) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training before switching tasks.")
            return
        self.set_task(self.task_box.itemData(index))

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.query = -1  # follow the last typed position
        self.output.samples.setText("")
        self.refresh()

    @Slot()
    def _on_experiments_changed(self) -> None:
        self.refresh()
        self._effect_timer.start()

    @Slot()
    def _on_effect_timer_timeout(self) -> None:
        """Say what the experiment changes, on a few hundred validation examples."""
        if self.view_model is None:
            return
        model = self.view_model
        if self._trained_score is None:
            model.attention_temperature, model.causal = 1.0, True
            self._trained_score = self.lab.score(model)
        temperature, causal = self.experiments.settings()
        model.attention_temperature, model.causal = temperature, causal
        now = self.lab.score(model) if self.experiments.active() else self._trained_score
        was = self._trained_score
        what = "validation names" if self.lab.task == "names" else "held-out sequences"
        text = f"Loss on a few hundred {what}: <b>{was['loss']:.3f}</b> as trained"
        if self.experiments.active():
            text += f" → <b>{now['loss']:.3f}</b> now"
        if "exact" in was:
            text += f"<br>Sorted exactly right: {100 * was['exact']:.0f}%"
            if self.experiments.active():
                text += f" → {100 * now['exact']:.0f}%"
        if not causal and not self.run.cheated:
            text += ("<br>With the mask off, this model (trained with it) sees letters it never learned to "
                     "use. Train with the mask off to see the loss drop by copying the future.")
        elif causal and self.run.cheated:
            text += ("<br>These weights learned with the mask off: they copy the next character from "
                     "the input, so with the mask on they are lost.")
        self.experiments.effect.setText(text)
        self.refresh()

    @Slot(int, int)
    def _on_head_selected(self, layer: int, head: int) -> None:
        self._select_head(layer, head)

    @Slot(int)
    def _on_query_selected(self, row: int) -> None:
        if row != self.query:
            self.query = row
            self.refresh()

    @Slot(int)
    def _on_checkpoint_changed(self, index: int) -> None:
        if 0 <= index < len(self.checkpoints):
            self.view_model.load_state_dict(self.checkpoints[index][1])
            self._trained_score = None
            self.refresh()
            self._effect_timer.start()

    @Slot(float)
    def _on_output_temperature_changed(self, value: float) -> None:
        self.refresh()

    @Slot()
    def _on_sample_requested(self) -> None:
        if self.ctx is None:
            return
        rng = np.random.default_rng(int(time.time() * 1000) % 2**32)
        words = self.lab.sample(self.view_model, self.ctx, self.output.temperature.value(), 8, rng)
        self.output.samples.setText("Samples: " + ", ".join(f"<b>{w}</b>" for w in words))

    # -- training ----------------------------------------------------------------------------
    @Slot()
    def _on_start_requested(self) -> None:
        self.run.start(self.train_form.values())

    @Slot()
    def _on_step_requested(self) -> None:
        self.run.start(self.train_form.values(), max_steps=1)

    def set_training(self, busy: bool) -> None:
        self.side.set_busy(busy)

    @Slot()
    def _on_new_clicked(self) -> None:
        c = self.model.config
        self.set_model(self.lab.new_model(c.n_layer, c.n_head, c.n_embd, self.train_form.value("seed")), [],
                       "new random weights")

    @Slot()
    def _on_shipped_clicked(self) -> None:
        if not self._load_shipped():
            self.show_error("No shipped weights for this task.")

    @Slot()
    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load attention weights", "", WEIGHTS_FILTER)
        if path:
            self.load_weights(path)

    @Slot()
    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save attention weights", "attention.npz", WEIGHTS_FILTER)
        if path:
            self.save_weights(path)

    def save_weights(self, path) -> None:
        snaps = [(int(label.split()[1]), state) for label, state in self.checkpoints[:-1]
                 if label.startswith("step ")]
        if len(snaps) > 6:  # a few, spread over the run (the early ones are where patterns form)
            snaps = [snaps[i] for i in sorted(set(np.linspace(0, len(snaps) - 1, 6).round().astype(int)))]
        try:
            save_model(path, self.model, self.lab.itos, self.lab.task, self.lab.sort,
                       {"step": self.run.steps_done, "source": "Playground Attention tab"}, snaps)
        except OSError as e:
            self.show_error(f"Could not save: {e}")
            return
        self.status_message.emit(f"Saved {path}")
