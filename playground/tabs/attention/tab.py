"""The Attention tab: a small character transformer, every head's attention for the text you type,
one head's arithmetic step by step, the next-character distribution, two experiments (attention
temperature, mask off) and training with checkpoints to scrub through."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QSplitter, QTabWidget, QVBoxLayout

from models.attention.lab import AttentionLab, Opened, open_task, open_weights
from models.attention.saving import save
from models.core.assets import asset_path
from models.core.data import default_names_path, load_words
from playground import settings
from playground.tabs.attention.heads import HeadsPage
from playground.tabs.attention.output import OutputPanel
from playground.tabs.attention.run import TrainingRun
from playground.tabs.attention.side import AttentionSide
from playground.tabs.attention.step import StepPage
from playground.tabs.base import Tab
from playground.widgets.loss_plot import LossPlot

DEFAULT_TEXT = {"names": "emm", "sort": "hcfadb"}


def read_words(path) -> tuple[list[str], str]:
    """A word list and the name it is shown by (a job: off the GUI thread)."""
    return load_words(path), Path(path).name


def open_word_list(path) -> tuple[Opened, list[str], str]:
    words, source = read_words(path)
    return open_task("names", words), words, source


def score(lab: AttentionLab, model, temperature: float, causal: bool) -> tuple[dict, dict]:
    """(score as trained, score with the experiment) of a copy of the view's model (a job)."""
    model.attention_temperature, model.causal = 1.0, True
    trained = lab.score(model)
    if abs(temperature - 1.0) < 1e-3 and causal:
        return trained, trained
    model.attention_temperature, model.causal = temperature, causal
    return trained, lab.score(model)


class AttentionTab(Tab):
    open_filter = "Word lists (*.txt);;Attention weights (*.npz);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lab: AttentionLab | None = None
        self.words: list[str] = []  # replaced, never changed in place (jobs read it)
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
        self.weights = side.weights
        self.task_box.currentIndexChanged.connect(self._on_task_box_changed)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.experiments.changed.connect(self._on_experiments_changed)
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        self.weights.new_requested.connect(self._on_new_requested)
        self.weights.shipped_requested.connect(self._on_shipped_requested)
        self.weights.load_requested.connect(self.load_weights)
        self.weights.save_requested.connect(self.save_weights)

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

    # -- Tab hooks ---------------------------------------------------------------------------
    def load_defaults(self) -> None:
        task = settings.read("attention/task", "names")
        index = max(0, self.task_box.findData(task))
        self.task_box.blockSignals(True)
        self.task_box.setCurrentIndex(index)
        self.task_box.blockSignals(False)
        self.jobs.submit("task", self._open_default, self.task_box.currentData(), default_names_path(),
                         done=self._on_default_opened)

    @staticmethod
    def _open_default(task, names_path) -> tuple[Opened | None, list[str], str, str]:
        """The default word list and `task` with its shipped weights (a job). A missing list is
        said, and the sort task still opens."""
        try:
            words, source = read_words(names_path)
        except ValueError as e:
            words, source, error = [], "", f"The default names list could not be loaded: {e}"
        else:
            error = ""
        if task == "names" and not words:
            task = "sort"
        return open_task(task, words, shipped_weights(task)), words, source, error

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.wait_for_jobs()
        self.pages.setCurrentIndex(0)
        maps = self.heads.grid.maps  # (L, H, T, T)
        if maps.ndim == 4 and maps.shape[-1] > 1:
            focus = maps[:, :, 1:, 1:].max(axis=-1).mean(axis=-1)  # how sharply heads pick a letter
            layer, head = np.unravel_index(int(focus.argmax()), focus.shape)
            self._select_head(int(layer), int(head))

    def wait_for_jobs(self, timeout_s: float = 60.0) -> bool:
        """Process events until every job of the tab has finished and its result has arrived
        (for `shot` and the tests). True when idle."""
        deadline = time.monotonic() + timeout_s
        while self.jobs.is_busy() and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.005)
        QApplication.processEvents()
        return not self.jobs.is_busy()

    def open_file(self, path: str) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training first.")
        elif str(path).lower().endswith(".npz"):
            self.load_weights(path)
        else:
            self.status_message.emit(f"Loading {path}…")
            self.jobs.submit("task", open_word_list, path, done=self._on_word_list_opened)

    def export_targets(self):
        return [("attention heads", self.heads.grid), ("chosen head", self.heads.big),
                ("next character", self.output.plot), ("loss", self.loss_plot)]

    # -- task and weights --------------------------------------------------------------------
    def set_task(self, task: str) -> None:
        """Make `task` current: its data and its shipped weights (or fresh ones), read by a job."""
        self.jobs.submit("task", open_task, task, self.words, shipped_weights(task), done=self._on_task_opened)

    def load_weights(self, path) -> None:
        """Read a weights file (a job); a file of the other task switches the task."""
        self.jobs.submit("task", open_weights, path, self.words, self.lab,
                         done=partial(self._on_task_opened, what=Path(path).name))

    def _show_opened(self, opened: Opened, what: str, keep=None) -> None:
        """Show the lab and weights a job opened: its weights if they fit, else `keep` (the
        current model) if that fits, else new random weights."""
        if self.runner.is_busy():  # the run owns the model
            self.show_error("Stop the training first.")
            return
        lab = opened.lab
        self.lab = lab
        if lab.task == "names":
            self.source_label.setText(f"<b>{self.words_source}</b>: {len(self.words):,} words, "
                                      f"{len(lab.itos) - 1} characters; split 80/10/10")
        else:
            self.source_label.setText("Sequences of 6 letters from a–h; 10% of all sequences are "
                                      "held out and never trained on.")
        self.task_box.blockSignals(True)
        self.task_box.setCurrentIndex(self.task_box.findData(lab.task))
        self.task_box.blockSignals(False)
        settings.write("attention/task", lab.task)
        if opened.model is not None and lab.fits(opened.model):
            opened.model.causal = True
            self.set_model(opened.model, [(f"step {s}", state) for s, state in opened.snapshots],
                           describe(what, opened.meta))
        else:
            if opened.model is not None:
                self.show_error(f"{what} was trained on other characters than this word list uses.")
            if keep is not None and lab.fits(keep):
                self.set_model(keep, [], "the same weights")
            else:
                self.set_model(lab.new_model(seed=self.train_form.value("seed")), [], "new random weights")
        self.text_edit.setText(DEFAULT_TEXT[lab.task])

    def set_model(self, model, snapshots, description: str) -> None:
        self.model = model
        self.run.reset()
        self.view_model = model.clone()
        self.checkpoints = list(snapshots) + [("current weights", model.state_dict())]
        self.heads.set_checkpoints([label for label, _ in self.checkpoints])
        c = model.config
        self.weights.set_status(f"{description}<br>{c.n_layer} layers × {c.n_head} heads × {c.n_embd} "
                                f"dims, {model.num_params():,} parameters")
        self.layer = min(self.layer, c.n_layer - 1)
        self.head = min(self.head, c.n_head - 1)
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
        """Say what the experiment changes, on a few hundred validation examples (a job)."""
        if self.view_model is None:
            return
        temperature, causal = self.experiments.settings()
        self.jobs.submit("score", score, self.lab, self.view_model.clone(), temperature, causal,
                         done=self._on_scored)

    def _on_scored(self, scores) -> None:
        was, now = scores
        causal = self.experiments.settings()[1]
        active = self.experiments.active()
        what = "validation names" if self.lab.task == "names" else "held-out sequences"
        text = f"Loss on a few hundred {what}: <b>{was['loss']:.3f}</b> as trained"
        if active:
            text += f" → <b>{now['loss']:.3f}</b> now"
        if "exact" in was:
            text += f"<br>Sorted exactly right: {100 * was['exact']:.0f}%"
            if active:
                text += f" → {100 * now['exact']:.0f}%"
        if not causal and not self.run.cheated:
            text += ("<br>With the mask off, this model (trained with it) sees letters it never learned to "
                     "use. Train with the mask off to see the loss drop by copying the future.")
        elif causal and self.run.cheated:
            text += ("<br>These weights learned with the mask off: they copy the next character from "
                     "the input, so with the mask on they are lost.")
        self.experiments.effect.setText(text)

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
        self.jobs.submit("sample", self.lab.sample, self.view_model.clone(), self.ctx,
                         self.output.temperature.value(), 8, rng, done=self._on_sampled)

    def _on_sampled(self, words) -> None:
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
    def _on_new_requested(self) -> None:
        c = self.model.config
        self.set_model(self.lab.new_model(c.n_layer, c.n_head, c.n_embd, self.train_form.value("seed")), [],
                       "new random weights")

    @Slot()
    def _on_shipped_requested(self) -> None:
        if not shipped_weights(self.lab.task).is_file():
            self.show_error("No shipped weights for this task.")
            return
        self.jobs.submit("task", open_task, self.lab.task, self.words, shipped_weights(self.lab.task),
                         done=self._on_task_opened)

    def save_weights(self, path) -> None:
        snaps = [(int(label.split()[1]), state) for label, state in self.checkpoints[:-1]
                 if label.startswith("step ")]
        if len(snaps) > 6:  # a few, spread over the run (the early ones are where patterns form)
            snaps = [snaps[i] for i in sorted(set(np.linspace(0, len(snaps) - 1, 6).round().astype(int)))]
        try:
            save(path, self.model, {"step": self.run.steps_done, "source": "Playground Attention tab"}, snaps)
        except OSError as e:
            self.show_error(f"Could not save: {e}")
            return
        self.weights.set_status(f"Saved {Path(path).name}")
        self.status_message.emit(f"Saved {path}")

    # -- job results -------------------------------------------------------------------------
    def _on_default_opened(self, result) -> None:
        opened, self.words, self.words_source, error = result
        if error:
            self.show_error(error)
        self._show_opened(opened, "shipped weights")

    def _on_task_opened(self, opened: Opened, what: str = "shipped weights") -> None:
        self._show_opened(opened, what, keep=self.model)

    def _on_word_list_opened(self, result) -> None:
        opened, self.words, self.words_source = result
        self._show_opened(opened, "", keep=self.model)


def shipped_weights(task: str) -> Path:
    return asset_path("weights", f"attention_{task}.npz")


def describe(what: str, meta: dict) -> str:
    """"shipped weights after 60,000 steps (val loss 1.919, test 1.938)" from a file's meta."""
    score = f"val loss {meta['val_loss']:.3f}" if "val_loss" in meta else ""
    if meta.get("test_loss"):
        score += f", test {meta['test_loss']:.3f}"
    if meta.get("exact_match") is not None:
        score += f", exact match {100 * meta['exact_match']:.1f}%"
    steps = f" after {meta['step']:,} steps" if "step" in meta else ""
    return f"{what}{steps} ({score})" if score else f"{what}{steps}"
