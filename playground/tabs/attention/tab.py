"""The Attention tab: a small character transformer, every head's attention for the text you type,
one character followed through the whole model stage by stage, one head's arithmetic, the
next-character distribution and generation one character at a time, the embeddings, two
experiments (attention temperature, mask off) and training with checkpoints to scrub through.
Each task (names, sort) keeps its own model, history and settings (tasks.py)."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QMessageBox, QSplitter, QTabWidget

from models.attention.history import Record
from models.attention.lab import AttentionLab, embedding_views
from models.attention.walkthrough import walkthrough
from models.core.data import default_names_path
from playground import settings
from playground.tabs.attention import tasks
from playground.tabs.attention.effect import EffectScore
from playground.tabs.attention.embeddings import EmbeddingsPage
from playground.tabs.attention.generation import Generation
from playground.tabs.attention.heads import HeadsPage
from playground.tabs.attention.opening import Opening
from playground.tabs.attention.output import NextCharPlot
from playground.tabs.attention.run import TrainingRun, current_label
from playground.tabs.attention.side import AttentionSide
from playground.tabs.attention.step import StepPage
from playground.tabs.attention.tasks import DEFAULT_TEXT  # noqa: F401 (tests)
from playground.tabs.attention.training_plot import TrainingPlot
from playground.tabs.attention.walk_page import WalkthroughPage
from playground.tabs.base import Tab

TEXT_DEBOUNCE_MS = 120  # typing faster than this redraws once, after the last key


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
        self.record = Record()  # the model's step, recipe and loss history
        self.description = ""  # where the weights came from
        self.unsaved = False  # trained here since they were loaded, shipped or saved
        self.tasks: dict[str, tasks.TaskState] = {}  # the task not shown, as it was left
        self.ctx = None
        self.layer = self.head = 0
        self.query = 0
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
        self.generation = Generation(self)  # Next character, Sample 8
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        side.continue_box.toggled.connect(self._on_plan_changed)
        self.train_form.changed.connect(self._on_plan_changed)
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
        heads_page.setChildrenCollapsible(False)  # the bars keep their readable height
        heads_page.setStretchFactor(0, 3)
        heads_page.setStretchFactor(1, 2)
        heads_page.setSizes([600, 340])
        self.walk_page = WalkthroughPage()
        self.walk_page.position_changed.connect(self._on_query_selected)
        self.step_page = StepPage()
        self.step_page.query_changed.connect(self._on_query_selected)
        self.embeddings = EmbeddingsPage()
        self.loss_plot = TrainingPlot()
        self.pages = QTabWidget()
        self.pages.addTab(heads_page, "Heads")
        self.pages.addTab(self.walk_page, "Walkthrough")
        self.pages.addTab(self.step_page, "Step through")
        self.pages.addTab(self.embeddings, "Embeddings")
        self.pages.addTab(self.loss_plot, "Training")
        self.pages.currentChanged.connect(self._on_pages_current_changed)
        self.lay_out(side, self.pages, side_width=400)

        self.effect = EffectScore(self)  # the Experiments box's "as trained" score, throttled
        self._text_timer = QTimer(self)  # a burst of typing (or a paste) redraws once
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_DEBOUNCE_MS)
        self._text_timer.timeout.connect(self.refresh)
        self._last_refresh = 0.0

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

    def busy(self) -> bool:
        return super().busy() or self._text_timer.isActive() or self.effect.pending()

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

    def confirm(self, question: str) -> bool:
        """Ask before something the user made is replaced (tests answer for the user)."""
        answer = QMessageBox.question(self, "Playground", question, QMessageBox.Yes | QMessageBox.No,
                                      QMessageBox.No)
        return answer == QMessageBox.Yes

    @Slot(str, str)
    def _on_jobs_failed(self, name: str, message: str) -> None:
        super()._on_jobs_failed(name, message)
        if name == "task" and self.lab is not None:  # a task that did not open: the box says what shows
            self.show_task_in_box()

    # -- weights -----------------------------------------------------------------------------
    def load_weights(self, path) -> None:
        self.opening.open_weights(path)

    def save_weights(self, path) -> None:
        self.opening.save(path)

    def set_model(self, model, snapshots, description: str, record: Record | None = None,
                  checkpoints=None, view_model=None) -> None:
        """Show `model` with its history (`record`), its kept `snapshots` [(label, weights)] (or
        the slider's `checkpoints` as they were, last = the current weights); `view_model`: a
        twin of it a job made (else one is made here)."""
        self.model = model
        self.run.reset()
        self.unsaved = False
        self.record = record if record is not None else Record()
        self.description = description
        self.view_model = view_model if view_model is not None else model.clone()
        self.checkpoints = (list(checkpoints) if checkpoints is not None else
                            list(snapshots) + [(current_label(self.record.step), model.state_dict())])
        self.heads.set_checkpoints([label for label, _ in self.checkpoints])
        self.view_model.load_state_dict(self.checkpoints[-1][1])
        c = model.config
        self.layer = min(self.layer, c.n_layer - 1)
        self.head = min(self.head, c.n_head - 1)
        self.generate.next_button.setEnabled(model.task == "names")
        self.side.set_trained(self.record.step > 0)
        self.loss_plot.show_record(self.record, c.vocab_size, self.train_form.value("steps"))
        self.show_weights_status()
        self.show_plan()
        self.refresh()
        self.effect.request()

    def show_weights_status(self, note: str = "", running: int | None = None) -> None:
        """Where the weights came from, what was trained here since (`running`: steps of the run
        going on), and their shape."""
        c, here = self.model.config, self.run.steps_here + (running or 0)
        text = self.description
        if here:
            text += (f", then {here:,} step{'s' if here != 1 else ''} here"
                     + (" (some with the mask off)" if self.run.cheated else "")
                     + f": now step {self.record.step:,}")
        if running is not None:
            text += " (training…)"
        self.weights.set_status(f"{text}{note}<br>{c.n_layer} layers × {c.n_head} heads × {c.n_embd} dims, "
                                f"{self.model.num_params():,} parameters")

    def show_plan(self) -> None:
        """What Train will do with these weights and the form's values, under the form."""
        if self.model is not None and not self.runner.is_busy():
            self.side.plan_label.setText("Train: " + self.run.plan(self.train_form.values()).text + ".")

    def show_source(self) -> None:
        lab = self.lab
        if lab.task == "names":
            self.source_label.setText(f"<b>{self.words_source}</b>: {len(self.words):,} words, "
                                      f"{len(lab.itos) - 1} characters; split 80/10/10")
        else:
            self.source_label.setText("Sequences of 6 letters from a–h; 10% of all sequences are "
                                      "held out and never trained on.")
        self.show_task_in_box()

    def show_task_in_box(self) -> None:
        self.task_box.blockSignals(True)
        self.task_box.setCurrentIndex(self.task_box.findData(self.lab.task))
        self.task_box.blockSignals(False)

    # -- the view ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute what the pages show from the view model and the typed text (the walkthrough
        and the embeddings only while their page shows: they are redrawn when it is chosen)."""
        self._text_timer.stop()
        self._last_refresh = time.monotonic()
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
        cut = len(self.text_edit.text().strip()) + 1 > len(ctx.tokens) and self.lab.task == "names"
        self.text_status.setText(f"the model reads: <b>{' '.join(ctx.tokens)}</b>"
                                 + (f" (its first {len(ctx.tokens)} characters)" if cut else "")
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

    def set_text(self, text: str) -> None:
        """Put `text` in the box and redraw at once (typing is what waits for a pause)."""
        self.text_edit.setText(text)
        self.refresh()

    def put_text(self, text: str) -> None:
        """Put `text` in the box as if typed, for the next refresh() to show (no redraw now)."""
        self.text_edit.blockSignals(True)
        self.text_edit.setText(text)
        self.text_edit.blockSignals(False)
        self.query = -1  # follow the last position
        self.generate.samples.setText("")

    def _select_head(self, layer: int, head: int) -> None:
        self.layer, self.head = layer, head
        self.refresh()

    # -- slots -------------------------------------------------------------------------------
    @Slot(int)
    def _on_task_box_changed(self, index: int) -> None:
        task = self.task_box.itemData(index)
        if self.runner.is_busy() or self.jobs.is_busy("task"):
            self.show_error("Stop the training before switching tasks." if self.runner.is_busy()
                            else "Still opening the last task; try again in a moment.")
            self.show_task_in_box()
            return
        if self.lab is None or task == self.lab.task:
            return
        self.tasks[self.lab.task] = tasks.stash(self)  # as it is: trained weights are never dropped
        if task in self.tasks:
            tasks.restore(self, self.tasks.pop(task))
            settings.write("attention/task", task)
        else:
            self.opening.open_task(task)

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.query = -1  # follow the last typed position
        self.generate.samples.setText("")
        if time.monotonic() - self._last_refresh >= TEXT_DEBOUNCE_MS / 1000:
            self.refresh()  # the first key redraws at once ...
        else:
            self._text_timer.start()  # ... a burst after it, once it pauses

    @Slot(int)
    def _on_pages_current_changed(self, index: int) -> None:
        self.refresh()

    @Slot()
    def _on_experiments_changed(self) -> None:
        self.refresh()
        self.effect.request()

    @Slot()
    def _on_generate_changed(self) -> None:
        self.refresh()

    @Slot()
    def _on_plan_changed(self, *_) -> None:
        self.show_plan()

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
            self.effect.request()

    # -- training ----------------------------------------------------------------------------
    @Slot()
    def _on_start_requested(self) -> None:
        self.run.start(self.train_form.values())

    @Slot()
    def _on_step_requested(self) -> None:
        self.run.start(self.train_form.values(), max_steps=1)

    def set_training(self, busy: bool) -> None:
        self.side.set_busy(busy)
        if not busy:
            self.show_plan()

    @Slot()
    def _on_new_requested(self) -> None:
        c = self.model.config
        self.set_model(self.lab.new_model(c.n_layer, c.n_head, c.n_embd, self.train_form.value("seed")), [],
                       "new random weights")
