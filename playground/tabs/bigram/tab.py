"""The Bigram tab: count which character follows which, read the table, sample from it, score
names with it, and learn the same table by gradient descent."""
from __future__ import annotations


from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (QButtonGroup, QFileDialog, QGridLayout, QGroupBox, QLabel,
                               QMessageBox, QProgressBar, QPushButton, QRadioButton, QSlider, QTabWidget)

from models.bigram.counts import names_with_pair
from models.core.data import default_names_path
from playground.tabs.base import Tab
from playground.tabs.bigram.count_page import CountPage
from playground.tabs.bigram.neural import NeuralPage
from playground.tabs.bigram.sample import SamplePage
from playground.tabs.bigram.state import (MODES, SMOOTHING_STEPS, BigramData, cell_info,
                                          cell_values, display_char, format_nll, load_data,
                                          load_default_data, nll_note)
from playground.tabs.bigram.weights import NeuralWeights
from playground.widgets.explain import ExplainPanel
from playground.widgets.side_panel import SidePanel, group

EXPLAIN = {
    "counts": ("Counting bigrams",
               "Each row is a character, each column the character that follows it; '.' marks the "
               "start and the end of a name. Normalise a row and it is the probability of the next "
               "character. The loss is the average negative log-likelihood (NLL) of every pair in "
               "the list: lower is better, log 27 ≈ 3.30 is guessing.",
               "P(b | a) = (N[a, b] + k) / Σ<sub>c</sub> (N[a, c] + k)"),
    "sample": ("Sampling and scoring",
               "To make a name, start at '.', draw the next character from that row's "
               "probabilities, and repeat until '.' comes up again. To score a name, multiply the "
               "probabilities of its pairs: the NLL is minus the log of that, per pair.",
               "NLL = −(1/n) Σ log P(c<sub>i+1</sub> | c<sub>i</sub>)"),
    "learn": ("The same model, learned",
              "A one-hot vector times W picks one row of W: the logits for the next character. "
              "Softmax turns them into probabilities and gradient descent lowers the NLL. With no "
              "L2 it converges to the counts' probabilities exactly; L2 acts like smoothing.",
              "P = softmax(one-hot(a) · W),  ∂NLL/∂logits = P − one-hot(b)"),
}


LOAD_TIMEOUT_S = 60  # reading and counting the largest allowed list takes a few seconds


class BigramTab(Tab):
    open_filter = "Word lists (*.txt);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.data: BigramData | None = None
        self.mode = "counts"
        self.smoothing = 0.0
        self.selected = (-1, -1)
        self.replace_question: QMessageBox | None = None  # asking before a new list drops W
        self._pending: BigramData | None = None  # the list waiting for that answer
        self.jobs.busy_changed.connect(self._on_jobs_busy_changed)
        self.load_timer = QTimer(self)  # a load that takes this long is given up (the list stays)
        self.load_timer.setSingleShot(True)
        self.load_timer.setInterval(LOAD_TIMEOUT_S * 1000)
        self.load_timer.timeout.connect(self._on_load_timer_timeout)

        # -- side panel ----------------------------------------------------------------------
        self.source_label = QLabel("No word list yet")
        self.source_label.setWordWrap(True)
        self.open_button = QPushButton("Open word list…")
        self.open_button.setToolTip("Any UTF-8 text file with one word per line (Ctrl+O)")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: reading and counting take one job
        self.progress.setToolTip("Reading and counting the word list")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop waiting for this file; the current list stays")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.cancel_button.hide()
        data_box = group("Word list", self.source_label, self.open_button, self.progress,
                         self.cancel_button)

        self.mode_buttons = QButtonGroup(self)
        mode_widgets = []
        for i, (mode, label, tip) in enumerate((
                ("counts", "&Counts", "How often each pair occurs (plus k when smoothing)"),
                ("probabilities", "&Probabilities", "Each row normalised: P(next | previous), in %"),
                ("log-probabilities", "&Log-probabilities", "log P: the loss adds up minus these"))):
            button = QRadioButton(label)
            button.setToolTip(tip)
            button.setChecked(mode == self.mode)
            self.mode_buttons.addButton(button, i)
            mode_widgets.append(button)
        self.mode_buttons.idToggled.connect(self._on_mode_toggled)
        self.smoothing_slider = QSlider(Qt.Horizontal)
        self.smoothing_slider.setRange(0, len(SMOOTHING_STEPS) - 1)
        self.smoothing_slider.setPageStep(1)
        self.smoothing_slider.setToolTip("Add-k smoothing: k is added to every count before "
                                         "normalising, so no pair has probability 0")
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        self.smoothing_label = QLabel("Smoothing: k = 0")
        show_box = group("Show", *mode_widgets, self.smoothing_label, self.smoothing_slider)

        self.nll_labels = {key: QLabel("–") for key in ("all", "train", "val", "test")}
        nll_grid = QGridLayout()
        for row, (key, text, tip) in enumerate((
                ("all", "whole list", "Counts of the whole list, scored on the whole list"),
                ("train", "train", "Counts of the train split (80%), scored on it"),
                ("val", "val", "Counts of train, scored on the validation split (10%)"),
                ("test", "test", "Counts of train, scored on the test split (10%)"))):
            label = QLabel(text)
            label.setToolTip(tip)
            self.nll_labels[key].setToolTip(tip)
            self.nll_labels[key].setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            nll_grid.addWidget(label, row, 0)
            nll_grid.addWidget(self.nll_labels[key], row, 1)
        nll_box = QGroupBox("Loss: average NLL")
        nll_box.setLayout(nll_grid)
        self.nll_note = QLabel("")
        self.nll_note.setWordWrap(True)
        nll_grid.addWidget(self.nll_note, 4, 0, 1, 2)

        self.neural = NeuralPage(self)
        self.neural.status_message.connect(self.status_message)
        self.weights = NeuralWeights(self, self.neural)
        self.explain = ExplainPanel(*EXPLAIN["counts"])
        self.explain.setMinimumHeight(160)
        # View > Hide controls (Ctrl+H) folds it; so does a window too narrow for the figure.
        self.side = SidePanel([data_box, show_box, nll_box, self.weights.box, self.explain])

        # -- pages ---------------------------------------------------------------------------
        self.count_page = CountPage(self)
        self.matrix, self.cell_label = self.count_page.matrix, self.count_page.cell_label
        self.matrix.cell_hovered.connect(self._on_matrix_cell_hovered)
        self.matrix.cell_clicked.connect(self._on_matrix_cell_clicked)
        self.sampler = SamplePage(self.neural.learned_model)
        self.pages = QTabWidget()
        self.pages.addTab(self.count_page.widget, "Count matrix")
        self.pages.addTab(self.sampler, "Sample && score")
        self.pages.addTab(self.neural, "Learn W")
        self.pages.currentChanged.connect(self._on_pages_current_changed)

        self.lay_out(self.side, self.pages, side_width=380)
        self._set_enabled(False)

    # -- Tab hooks ---------------------------------------------------------------------------
    def load_defaults(self) -> None:
        self._load(default_names_path(), load_default_data)

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.wait_until_loaded()
        if self.data is not None and "a" in self.data.model.vocab.stoi:
            stoi = self.data.model.vocab.stoi
            self.selected = (stoi["a"], stoi.get("n", 0))
            self.matrix.set_selected(*self.selected)
            self._show_cell(*self.selected)
        self.sampler.name_edit.setText("andrej")
        self.sampler.sample()
        self.weights.load_shipped()  # Learn W shows the lecture's trained W, not a random one
        self.wait_until_loaded(job=None)

    def open_file(self, path: str) -> None:
        self._load(path, load_data)

    def _load(self, path, job) -> None:
        """Read and count the list on a worker thread; a newer request supersedes an older one.
        A failure reaches the user through the base class (one line); the list stays."""
        self.status_message.emit(f"Loading {path}…")
        self.jobs.submit("load", job, path, done=self._on_data_loaded)
        self.load_timer.start()

    def wait_until_loaded(self, timeout_s: float = 30.0, job: str | None = "load") -> bool:
        """Let the load job (or, with job=None, every job) finish and its result arrive."""
        return self.wait_for_jobs(timeout_s, job)

    def export_targets(self):
        return [("count matrix", self.matrix.figure()), ("loss", self.neural.loss_plot),
                ("learned W", self.neural)]

    # -- state -------------------------------------------------------------------------------
    def set_data(self, data: BigramData) -> None:
        self.data = data
        self._examples: dict[str, list[str]] = {}
        self.selected = (-1, -1)
        self.matrix.set_selected(-1, -1)
        V = len(data.itos)
        self.source_label.setText(f"<b>{data.source}</b><br>{len(data.words):,} words · "
                                  f"{V - 1} characters + '.' · {data.model.total:,} pairs"
                                  + (f"<br><i>{data.note}</i>" if data.note else ""))
        self.cell_label.setText("Hover over or click a cell.")
        self._set_enabled(True)
        self.neural.set_data(data)
        self.sampler.set_data(data, self.smoothing)
        self._refresh()
        self.status_message.emit(f"{data.source}: {len(data.words):,} words, {V}x{V} bigram matrix")

    def _refresh(self) -> None:
        """Redraw what depends on the mode and the smoothing."""
        if self.data is None:
            return
        values, text = cell_values(self.data, self.mode, self.smoothing)
        labels = [display_char(c) for c in self.data.itos]
        self.matrix.set_matrix(values, labels, labels, text)
        nll = self.data.nll(self.smoothing)
        for key, label in self.nll_labels.items():
            label.setText(f"<b>{format_nll(nll[key])}</b>" if key == "all" else format_nll(nll[key]))
        self.nll_note.setText(nll_note(nll, len(self.data.words)))
        self.neural.set_target(self.data.model.probs(self.smoothing))
        self.sampler.set_smoothing(self.smoothing)
        self._show_cell(*self.selected)
        self.count_page.fit_column()

    def _set_enabled(self, on: bool) -> None:
        for w in (self.smoothing_slider, self.pages):
            w.setEnabled(on)
        for b in self.mode_buttons.buttons():
            b.setEnabled(on)

    def _select(self, r: int, c: int) -> None:
        self.selected = (r, c)
        self.matrix.set_selected(r, c)
        self.matrix.ensure_visible(r, c)
        self._show_cell(r, c)

    def _show_cell(self, r: int, c: int) -> None:
        if self.data is None or r < 0:
            return
        pair = self.data.itos[r] + self.data.itos[c]
        if pair not in self._examples:  # a rare pair scans the whole list: once is enough
            self._examples[pair] = names_with_pair(self.data.words, pair, limit=5)
        examples = self._examples[pair]
        self.cell_label.setText(cell_info(self.data, r, c, self.smoothing, examples))

    # -- slots -------------------------------------------------------------------------------
    @Slot(int, bool)
    def _on_mode_toggled(self, index: int, checked: bool) -> None:
        if checked:
            self.mode = MODES[index]
            self._refresh()

    @Slot(int)
    def _on_smoothing_changed(self, index: int) -> None:
        self.smoothing = SMOOTHING_STEPS[index]
        self.smoothing_label.setText(f"Smoothing: k = {self.smoothing:g}")
        self._refresh()

    @Slot(int, int)
    def _on_matrix_cell_hovered(self, r: int, c: int) -> None:
        if r >= 0:
            self._show_cell(r, c)
        else:
            self._show_cell(*self.selected)

    @Slot(int, int)
    def _on_matrix_cell_clicked(self, r: int, c: int) -> None:
        self._select(r, c)

    @Slot()
    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a word list", "", self.open_filter)
        if path:
            self.open_file(path)

    @Slot(object)
    def _on_data_loaded(self, data: BigramData) -> None:
        if self.data is not None and self.neural.has_unsaved_work():
            self._ask_to_replace(data)
        else:
            self.set_data(data)

    def _ask_to_replace(self, data: BigramData) -> None:
        """A new list needs a new W: ask before dropping a trained one that is not saved (issue
        20). The question is `replace_question` (non-blocking) until it is answered."""
        old = self.replace_question
        if old is not None:  # a newer list asks afresh
            old.finished.disconnect(self._on_replace_question_finished)
            old.done(QMessageBox.No)
            old.deleteLater()
        run = self.neural.run
        what = "is training now" if self.neural.runner.is_busy() else f"has {run.steps:,} steps of training"
        box = QMessageBox(QMessageBox.Question, "Open another word list?",
                          f"Open {data.source}? The learned W {what} and is not saved; a new word "
                          "list starts from a random W.", QMessageBox.Yes | QMessageBox.No, self)
        box.setInformativeText("To keep it: answer No, then Save weights… in the Weights box.")
        box.button(QMessageBox.Yes).setText(f"Open {data.source}")
        box.button(QMessageBox.No).setText("Keep W and this list")
        box.setDefaultButton(QMessageBox.No)
        box.finished.connect(self._on_replace_question_finished)
        self.replace_question, self._pending = box, data
        box.open()

    @Slot(int)
    def _on_replace_question_finished(self, result: int) -> None:
        box, data = self.replace_question, self._pending
        self.replace_question, self._pending = None, None
        if box is None or data is None:
            return
        box.deleteLater()
        if box.clickedButton() is box.button(QMessageBox.Yes):
            self.set_data(data)
        else:
            self.status_message.emit(f"Kept {self.data.source} and the learned W; {data.source} was not opened.")

    @Slot(bool)
    def _on_jobs_busy_changed(self, busy: bool) -> None:
        if not busy:
            self.load_timer.stop()
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self._give_up_loading()
        self.status_message.emit("Loading cancelled.")

    @Slot()
    def _on_load_timer_timeout(self) -> None:
        if self.jobs.is_busy("load"):
            self._give_up_loading()
            self.show_error(f"Loading the word list took more than {LOAD_TIMEOUT_S} s; gave up "
                            "(the current list stays).")

    def _give_up_loading(self) -> None:
        self.load_timer.stop()
        self.jobs.cancel("load")  # its result is dropped when it comes; the list stays
        self.progress.hide()
        self.cancel_button.hide()

    @Slot(int)
    def _on_pages_current_changed(self, index: int) -> None:
        self.explain.set_text(*EXPLAIN[("counts", "sample", "learn")[index]])
