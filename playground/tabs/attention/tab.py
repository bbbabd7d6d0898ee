"""The Attention tab: a small character transformer, every head's attention for the text you type,
one character followed through the whole model stage by stage, one head's arithmetic, the
next-character distribution and generation one character at a time, the embeddings, two
experiments (attention temperature, mask off) and training with checkpoints to scrub through."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QSplitter, QTabWidget, QVBoxLayout

from models.attention.lab import AttentionLab, embedding_views
from models.attention.walkthrough import walkthrough
from models.core.data import default_names_path
from playground import settings
from playground.tabs.attention.embeddings import EmbeddingsPage
from playground.tabs.attention.heads import HeadsPage
from playground.tabs.attention.opening import DEFAULT_TEXT, Opening  # noqa: F401 (DEFAULT_TEXT: tests)
from playground.tabs.attention.output import NextCharPlot
from playground.tabs.attention.run import TrainingRun
from playground.tabs.attention.side import AttentionSide
from playground.tabs.attention.step import StepPage
from playground.tabs.attention.walk_page import WalkthroughPage
from playground.tabs.base import Tab
from playground.widgets.loss_plot import LossPlot


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
        self.rng = np.random.default_rng(int(time.time() * 1000) % 2**32)  # Next character / Sample
        self.runner = self.make_runner()
        self.run = TrainingRun(self, self.runner)
        self.opening = Opening(self)

        self.side = side = AttentionSide(self.runner)
        self.task_box, self.source_label = side.task_box, side.source_label
        self.text_edit, self.text_status = side.text_edit, side.text_status
        self.experiments, self.generate = side.experiments, side.generate
        self.train_form, self.run_controls, self.weights = side.train_form, side.run_controls, side.weights
        self.task_box.currentIndexChanged.connect(self._on_task_box_changed)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.experiments.changed.connect(self._on_experiments_changed)
        self.generate.changed.connect(self._on_generate_changed)
        self.generate.next_requested.connect(self._on_next_requested)
        self.generate.sample_requested.connect(self._on_sample_requested)
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        self.weights.new_requested.connect(self._on_new_requested)
        self.weights.shipped_requested.connect(self.opening.open_shipped)
        self.weights.load_requested.connect(self.load_weights)
        self.weights.save_requested.connect(self.save_weights)

        # -- pages ---------------------------------------------------------------------------
        self.heads = HeadsPage()
        self.heads.head_selected.connect(self._on_head_selected)
        self.heads.query_selected.connect(self._on_query_selected)
        self.heads.checkpoint_changed.connect(self._on_checkpoint_changed)
        self.output = NextCharPlot()
        self.output.setToolTip("The model's probability for each next character after the chosen "
                               "position, at the output temperature, kept to top-k / top-p: what "
                               "Next character draws from. Grey: the same without the experiment.")
        heads_page = QSplitter(Qt.Vertical)
        heads_page.setObjectName("heads")
        heads_page.addWidget(self.heads)
        heads_page.addWidget(self.output)
        heads_page.setSizes([640, 300])
        self.walk_page = WalkthroughPage()
        self.walk_page.position_changed.connect(self._on_query_selected)
        self.step_page = StepPage()
        self.step_page.query_changed.connect(self._on_query_selected)
        self.embeddings = EmbeddingsPage()
        self.loss_plot = LossPlot(title="Loss", smoothing=0.95, smoothed=("train", "train (mask off)"))
        self.loss_plot.setToolTip("Training loss (smoothed) and validation loss. Train with the mask "
                                  "off and watch the loss drop: the model copies the next character.")
        self.pages = QTabWidget()
        self.pages.addTab(heads_page, "Heads")
        self.pages.addTab(self.walk_page, "Walkthrough")
        self.pages.addTab(self.step_page, "Step through")
        self.pages.addTab(self.embeddings, "Embeddings")
        self.pages.addTab(self.loss_plot, "Training")
        self.pages.currentChanged.connect(self._on_pages_current_changed)
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
        self.opening.open_default(task if task in ("names", "sort") else "names", default_names_path())

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
            self.opening.open_word_list(path)

    def export_targets(self):
        return [("attention heads", self.heads.grid), ("chosen head", self.heads.big),
                ("next character", self.output), ("walkthrough stage", self.walk_page.strips),
                ("character embeddings", self.embeddings.tokens), ("loss", self.loss_plot)]

    # -- weights -----------------------------------------------------------------------------
    def load_weights(self, path) -> None:
        self.opening.open_weights(path)

    def save_weights(self, path) -> None:
        self.opening.save(path)

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
        self.generate.next_button.setEnabled(model.task == "names")
        self.refresh()
        self._effect_timer.start()

    # -- the view ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute what the pages show from the view model and the typed text (the walkthrough
        and the embeddings only while their page shows: they are redrawn when it is chosen)."""
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
        sampling = self.generate.settings()
        view = self.lab.inspect(model, ctx, *sampling)
        self.query = min(self.query if self.query >= 0 else ctx.query, len(ctx.tokens) - 1)
        details = model.head_details(self.layer, self.head)
        trained = None
        if self.experiments.active():
            model.attention_temperature, model.causal = 1.0, True
            trained = self.lab.inspect(model, ctx, *sampling).probs
            model.attention_temperature, model.causal = self.experiments.settings()
        self.heads.show_maps(view.maps, ctx.tokens, view.masked, self.layer, self.head)
        self.step_page.show_details(details, ctx.tokens, self.layer, self.head, self.query)
        row = self.query
        self.output.set_title(f"Next character after position {row} ('{ctx.tokens[row]}')")
        self.output.set_probs(list(self.lab.itos), view.probs[row], None if trained is None else trained[row])
        page = self.pages.currentWidget()
        if page is self.walk_page:
            self.walk_page.show_stages(walkthrough(model, ctx.ids), ctx.tokens, self.query, model.config.n_layer)
        elif page is self.embeddings:
            self.embeddings.show_embeddings(*embedding_views(model), self.lab.itos)

    def _select_head(self, layer: int, head: int) -> None:
        self.layer, self.head = layer, head
        self.refresh()

    # -- slots -------------------------------------------------------------------------------
    @Slot(int)
    def _on_task_box_changed(self, index: int) -> None:
        if self.runner.is_busy():
            self.show_error("Stop the training before switching tasks.")
            return
        self.opening.open_task(self.task_box.itemData(index))

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.query = -1  # follow the last typed position
        self.generate.samples.setText("")
        self.refresh()

    @Slot(int)
    def _on_pages_current_changed(self, index: int) -> None:
        self.refresh()

    @Slot()
    def _on_experiments_changed(self) -> None:
        self.refresh()
        self._effect_timer.start()

    @Slot()
    def _on_generate_changed(self) -> None:
        self.refresh()

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

    @Slot()
    def _on_next_requested(self) -> None:
        """Draw one character and append it: every view follows the new last position."""
        if self.ctx is None or self.lab.task != "names":
            return
        if len(self.ctx.ids) >= self.view_model.block_size:
            self.generate.samples.setText(f"The model reads at most {self.view_model.block_size} characters.")
            return
        c = self.lab.next_character(self.view_model, self.ctx, *self.generate.settings(), self.rng)
        if c == 0:
            self.generate.samples.setText(f"The model drew '.': <b>{''.join(self.ctx.tokens[1:])}</b> ends here.")
            return
        self.text_edit.setText(self.text_edit.text() + self.lab.itos[c])

    @Slot()
    def _on_sample_requested(self) -> None:
        if self.ctx is None:
            return
        temperature, top_k, top_p = self.generate.settings()
        rng = np.random.default_rng(self.rng.integers(2**32))
        self.jobs.submit("sample", self.lab.sample, self.view_model.clone(), self.ctx, temperature, 8, rng,
                         top_k, top_p, done=self._on_sampled)

    def _on_sampled(self, words) -> None:
        self.generate.samples.setText("Samples: " + ", ".join(f"<b>{w}</b>" for w in words))

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
