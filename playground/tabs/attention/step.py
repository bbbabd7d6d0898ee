"""The Step-through page: one head, one query, the attention computed in numbers, one step at a
time — scores, scaled, masked, softmax, weighted sum of the values."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtWidgets import (QBoxLayout, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground import shortcuts
from playground import style as app_style
from playground.widgets.explain import ExplainPanel

STEPS = (
    ("1. Scores", "The query <b>q</b> of the chosen position (what it is looking for) is multiplied with "
     "the key <b>k<sub>j</sub></b> of every position j (what that position offers). A large score "
     "means a good match.", "s<sub>j</sub> = q · k<sub>j</sub> = Σ<sub>i</sub> q<sub>i</sub> k<sub>j,i</sub>"),
    ("2. Scaled", "Scores are divided by √d, d the head size, so they do not grow with it (and by the "
     "attention temperature of the experiment, 1 when off).", "s<sub>j</sub> / (√d · temperature)"),
    ("3. Masked", "A position may not look at the positions after it: when predicting the next "
     "character, those are the future. Their scores become −∞, so they get no weight.",
     "s<sub>j</sub> = −∞ for j &gt; t"),
    ("4. Softmax", "Exponentiate and normalise: the weights are positive and sum to 1. Subtracting "
     "the largest score first changes nothing but keeps exp from overflowing.",
     "w<sub>j</sub> = exp(s<sub>j</sub> − max s) / Σ<sub>i</sub> exp(s<sub>i</sub> − max s)"),
    ("5. Weighted sum of V", "Each position offers a value vector <b>v<sub>j</sub></b>; the head's "
     "output for this query is their average weighted by w. Heads' outputs are put side by side "
     "and projected back into the residual stream.", "out = Σ<sub>j</sub> w<sub>j</sub> v<sub>j</sub>"),
)
COLUMNS = ("key", "q · k", "÷ √d", "masked", "weight w")


def fmt(v: float) -> str:
    if np.isneginf(v):
        return "−∞"
    return f"{v:.3f}".replace("-", "−")


class StepPage(QWidget):
    query_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.step = 1
        self.details: dict | None = None
        self.tokens: list[str] = []
        self.query = 0
        self.title = QLabel("")
        self.title.setWordWrap(True)  # long in presentation mode: wrap, never widen the window
        self.query_box = QComboBox()
        self.query_box.setToolTip("The position whose attention is computed (the query row)")
        self.query_box.currentIndexChanged.connect(self._on_query_box_changed)
        self.back_button = QPushButton("◀ Back")
        self.back_button.setToolTip("Show the previous step")
        shortcuts.bind(self.back_button, "attention.back")
        self.back_button.clicked.connect(self._on_back_clicked)
        self.next_button = QPushButton("Next step ▶")
        self.next_button.setToolTip("Show the next step of the computation")
        shortcuts.bind(self.next_button, "attention.next")
        self.next_button.clicked.connect(self._on_next_clicked)
        self.all_button = QPushButton("All steps")
        self.all_button.setToolTip("Show every step at once")
        self.all_button.clicked.connect(self._on_all_clicked)
        row = QHBoxLayout()
        row.addWidget(QLabel("Query position"))
        row.addWidget(self.query_box)
        row.addStretch(1)
        for b in (self.back_button, self.next_button, self.all_button):
            row.addWidget(b)
        self.q_label = QLabel("")
        self.q_label.setWordWrap(True)
        self.q_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.scores = QTableWidget(0, len(COLUMNS))
        self.scores.setHorizontalHeaderLabels(COLUMNS)
        self.scores.verticalHeader().setVisible(False)
        self.scores.setEditTriggers(QTableWidget.NoEditTriggers)
        self.scores.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.scores.setToolTip("One row per key position j: its score and weight for the chosen query")
        self.values = QTableWidget(0, 0)
        self.values.setEditTriggers(QTableWidget.NoEditTriggers)
        self.values.setToolTip("The value vectors v_j scaled by their weights; the last row is their "
                               "sum, the head's output for this query")
        self.explain = ExplainPanel()
        tables = QHBoxLayout()
        tables.addWidget(self.scores)
        tables.addWidget(self.values, 1)
        # wide: the tables and the explanation side by side; narrow: the explanation below
        self.body = QBoxLayout(QBoxLayout.TopToBottom)
        self.body.addLayout(tables, 3)
        self.body.addWidget(self.explain, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.q_label)
        layout.addLayout(self.body, 1)
        self._fit_heights()
        app_style.bus().changed.connect(self._on_style_changed)

    # -- fitting the room --------------------------------------------------------------------
    def _fit_heights(self) -> None:
        """Room for a header and four rows of scores, and an explanation with its formula."""
        em = app_style.current().font_px
        self.scores.setMinimumHeight(int(6.8 * em))
        self.explain.setMinimumHeight(int(8 * em))
        self.explain.setMinimumWidth(int(14 * em))
        self.values.setMinimumWidth(int(6 * em))

    def _wide(self) -> bool:
        em = app_style.current().font_px
        return self.width() >= self.scores.width() + 26 * em

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        direction = QBoxLayout.LeftToRight if self._wide() else QBoxLayout.TopToBottom
        if self.body.direction() != direction:
            self.body.setDirection(direction)

    def minimumSizeHint(self) -> QSize:
        """As tall as the wrapped title and q need at this width (the window folds its controls
        when the page would be squeezed below that)."""
        hint = super().minimumSizeHint()
        width = max(self.width(), hint.width()) - 24
        extra = sum(max(0, label.heightForWidth(width) - label.minimumSizeHint().height())
                    for label in (self.title, self.q_label) if label.text())
        return QSize(hint.width(), hint.height() + extra)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._fit_heights()

    def show_details(self, details: dict, tokens: list[str], layer: int, head: int, query: int) -> None:
        self.details, self.tokens = details, list(tokens)
        self.query = max(0, min(query, len(tokens) - 1))
        self.title.setText(f"<b>Layer {layer + 1}, head {head + 1}</b>: how position {self.query} "
                           f"('{tokens[self.query]}') mixes the positions it can see")
        self.query_box.blockSignals(True)
        self.query_box.clear()
        self.query_box.addItems([f"{i}: '{t}'" for i, t in enumerate(tokens)])
        self.query_box.setCurrentIndex(self.query)
        self.query_box.blockSignals(False)
        self._render()

    def _render(self) -> None:
        d = self.details
        if d is None:
            return
        t, step = self.query, self.step
        T = len(self.tokens)
        name, body, formula = STEPS[step - 1]
        scale_text = f"d = {d['head_size']}, √d = {np.sqrt(d['head_size']):.2f}"
        if d["temperature"] != 1.0:
            scale_text += f", temperature {d['temperature']:.2f}"
        self.explain.set_text(name, body + f" ({scale_text})", formula)
        self.q_label.setText("q = [" + ", ".join(fmt(v) for v in d["q"][t]) + "]")
        scores = d["scores"][t]
        scaled = scores * d["scale"]
        masked, weights = d["masked"][t], d["weights"][t]
        self.scores.setRowCount(T)
        for j in range(T):
            cells = [f"{j}: '{self.tokens[j]}'", fmt(scores[j]),
                     fmt(scaled[j]) if step >= 2 else "", fmt(masked[j]) if step >= 3 else "",
                     fmt(weights[j]) if step >= 4 else ""]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter if c else Qt.AlignLeft | Qt.AlignVCenter)
                if step >= 3 and np.isneginf(masked[j]):
                    item.setForeground(self.palette().placeholderText())
                self.scores.setItem(j, c, item)
        self._fit_scores()
        hs = d["head_size"]
        self.values.setColumnCount(hs + 1)
        self.values.setHorizontalHeaderLabels(["w"] + [f"v{i + 1}" for i in range(hs)])
        for header in (self.values.horizontalHeader(), self.scores.horizontalHeader()):
            header.setFont(self.font())  # header items made later do not follow the app font
        self.values.setRowCount(T + 1 if step >= 5 else 0)
        if step >= 5:
            labels = [f"w·v {j}: '{self.tokens[j]}'" for j in range(T)] + ["out = Σ"]
            self.values.setVerticalHeaderLabels(labels)
            rows = np.vstack([weights[:, None] * d["v"], d["out"][t][None, :]])  # (T + 1, hs)
            for r in range(T + 1):
                w = weights[r] if r < T else weights.sum()
                for c, v in enumerate([w, *rows[r]]):
                    self.values.setItem(r, c, QTableWidgetItem(fmt(v)))
            self.values.resizeColumnsToContents()
        self.back_button.setEnabled(step > 1)
        self.next_button.setEnabled(step < len(STEPS))

    def _fit_scores(self) -> None:
        """The scores table as wide as its columns (presentation mode makes them wide)."""
        header = self.scores.horizontalHeader()
        need = sum(header.sectionSize(c) for c in range(self.scores.columnCount()))
        self.scores.setFixedWidth(need + 2 * self.scores.frameWidth() + self.scores.verticalScrollBar().sizeHint().width())

    @Slot(int)
    def _on_query_box_changed(self, index: int) -> None:
        if index >= 0:
            self.query = index
            self.query_changed.emit(index)

    @Slot()
    def _on_back_clicked(self) -> None:
        self.step = max(1, self.step - 1)
        self._render()

    @Slot()
    def _on_next_clicked(self) -> None:
        self.step = min(len(STEPS), self.step + 1)
        self._render()

    @Slot()
    def _on_all_clicked(self) -> None:
        self.step = len(STEPS)
        self._render()
