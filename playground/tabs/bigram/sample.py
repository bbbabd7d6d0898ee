"""The Bigram tab's "Sample & score" page: new names from the chain, and one name scored
character by character (how surprised the model is at each step)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from models.bigram.counts import log_probs
from models.core.sampling import sample_words
from playground import shortcuts
from playground.tabs.bigram.state import BigramData, display_char, format_nll

SOURCES = ("count model", "neural network")


class SamplePage(QWidget):
    def __init__(self, neural_model, parent=None):
        """neural_model() -> the Learn page's network as last shown (or None before it exists)."""
        super().__init__(parent)
        self.neural_model = neural_model
        self.data: BigramData | None = None
        self.smoothing = 0.0

        self.count_box = QSpinBox()
        self.count_box.setRange(1, 1000)
        self.count_box.setValue(20)
        self.count_box.setToolTip("How many names to sample")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2_147_483_647)
        self.seed_box.setValue(42)
        self.seed_box.setToolTip("The same seed gives the same names")
        self.source_box = QComboBox()
        self.source_box.addItems(SOURCES)
        self.source_box.setToolTip("Sample from the counts (with the smoothing set at the left) "
                                   "or from the network's softmax(W) on the Learn W page")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Walk the chain from '.' until it returns to '.'")
        self.sample_button.clicked.connect(self._on_sample_clicked)
        shortcuts.bind(self.sample_button, "bigram.sample")
        self.samples = _table(["name", "NLL"])
        self.samples.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)  # names get the room
        self.samples.setToolTip("Sampled names, with the model's average NLL per pair of each")
        form = QFormLayout()
        form.addRow("Names", self.count_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("From", self.source_box)
        sample_box = QGroupBox("Sample names")
        sample_layout = QVBoxLayout(sample_box)
        sample_layout.addLayout(form)
        sample_layout.addWidget(self.sample_button)
        sample_layout.addWidget(self.samples, 1)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("type a name…")
        self.name_edit.setToolTip("The count model's surprise at each character of this name")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.table = _table(["pair", "P", "−log P"])
        for col in (1, 2):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeToContents)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        score_box = QGroupBox("Score a name")
        score_layout = QVBoxLayout(score_box)
        score_layout.addWidget(self.name_edit)
        score_layout.addWidget(self.table, 1)
        score_layout.addWidget(self.summary)

        layout = QHBoxLayout(self)
        layout.addWidget(sample_box, 1)
        layout.addWidget(score_box, 1)

    def set_data(self, data: BigramData, smoothing: float) -> None:
        self.data, self.smoothing = data, smoothing
        self._on_name_changed(self.name_edit.text())

    def set_smoothing(self, smoothing: float) -> None:
        self.smoothing = smoothing
        self._on_name_changed(self.name_edit.text())

    def model(self):
        """The chosen sequence model: the counts with the tab's smoothing, or the network."""
        if self.source_box.currentText() == SOURCES[1]:
            return self.neural_model()
        return None if self.data is None else self.data.model.with_smoothing(self.smoothing)

    def sample(self) -> list[str]:
        model = self.model()
        if self.data is None or model is None:
            _fill(self.samples, [("(no model yet)", "–")])
            return []
        names = sample_words(model, self.data.model.vocab.decode, self.count_box.value(),
                             seed=self.seed_box.value())
        logP = log_probs(model.probs())  # (V, V)
        rows = []
        for name in names:
            ids = [0] + self.data.model.vocab.encode(name) + [0]
            nll = -np.mean(logP[ids[:-1], ids[1:]])
            rows.append(("".join(map(display_char, name)) or "(empty)", format_nll(nll)))
        _fill(self.samples, rows)
        return names

    @Slot()
    def _on_sample_clicked(self) -> None:
        self.sample()

    @Slot(str)
    def _on_name_changed(self, text: str) -> None:
        self.table.setRowCount(0)
        word = self._normalise(text.strip())
        if self.data is None or not word:
            self.summary.setText("")
            return
        try:
            steps = self.data.model.char_nll(word, self.smoothing)
        except ValueError as e:
            self.summary.setText(str(e))
            return
        _fill(self.table, [("".join(map(display_char, pair)), f"{p:.4f}", format_nll(nll))
                           for pair, p, nll in steps])
        mean = float(np.mean([s[2] for s in steps]))
        average = self.data.nll(self.smoothing)["all"]
        self.summary.setText(f"average NLL <b>{format_nll(mean)}</b> per pair "
                             f"(the list's average: {format_nll(average)})"
                             + ("" if np.isfinite(mean) else ": a pair never seen; try smoothing"))

    def _normalise(self, word: str) -> str:
        """Type 'Emma' into a lowercase list and it scores 'emma'."""
        if self.data is None:
            return word
        stoi = self.data.model.vocab.stoi
        return "".join(c if c in stoi or c.lower() not in stoi else c.lower() for c in word)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    return table


def _fill(table: QTableWidget, rows) -> None:
    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignCenter)
            table.setItem(i, j, item)
