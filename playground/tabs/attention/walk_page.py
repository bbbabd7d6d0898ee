"""The Walkthrough page: one position followed through every stage of the transformer, in order —
each stage's input and output vectors as colour strips, its formula and its shapes — with
Next/Back and a block diagram that shows where you are and can be clicked. The numbers are
models.attention.walkthrough's: read from the model's own forward pass."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from models.attention.walkthrough import Stage
from playground import shortcuts
from playground.tabs.attention.diagram import BlockDiagram
from playground.tabs.attention.strips import Row, StripsView, fmt


def stage_rows(stage: Stage, t: int, tokens: list[str]) -> list[Row]:
    """The strips of one stage at position t: inputs, then (heads) each head's weights, then outputs."""
    prob = stage.part == "softmax"
    rows = [Row(f"in: {label}", values[t], "signed", stage.columns if stage.part == "softmax" else None)
            for label, values in stage.inputs.items()]
    if stage.weights is not None:  # (n_head, T, T): one short row per head, the positions under the last
        rows.append(Row(f"weights: how much position {t} takes from each position", []))
        last = len(stage.weights) - 1
        rows += [Row(f"head {h + 1}", w[t], "prob", list(tokens) if h == last else None, inline=True)
                 for h, w in enumerate(stage.weights)]
    rows += [Row(f"out: {label}", values[t], "prob" if prob else "signed", stage.columns)
             for label, values in stage.outputs.items()]
    return rows


class WalkthroughPage(QWidget):
    position_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("walkthrough")
        self.stages: list[Stage] = []
        self.tokens: list[str] = []
        self.index = 0  # the stage shown
        self.position = 0
        self.n_layer = 1
        self.position_box = QComboBox()
        self.position_box.setToolTip("The position followed through the model (its character is the "
                                     "last one it reads; the model predicts the one after it)")
        self.position_box.currentIndexChanged.connect(self._on_position_box_changed)
        self.back_button = QPushButton("◀ Back")
        self.back_button.setToolTip("The previous stage")
        shortcuts.bind(self.back_button, "attention.walk_back")
        self.back_button.clicked.connect(self._on_back_clicked)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("The next stage")
        shortcuts.bind(self.next_button, "attention.walk_next")
        self.next_button.clicked.connect(self._on_next_clicked)
        self.count_label = QLabel("")
        row = QHBoxLayout()
        row.addWidget(QLabel("Position"))
        row.addWidget(self.position_box)
        row.addStretch(1)
        row.addWidget(self.count_label)
        row.addWidget(self.back_button)
        row.addWidget(self.next_button)
        self.diagram = BlockDiagram()
        self.diagram.part_clicked.connect(self._on_diagram_part_clicked)
        self.diagram.layer_clicked.connect(self._on_diagram_layer_clicked)
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.formula = QLabel("")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.shapes = QLabel("")
        self.numbers = QLabel("")
        self.numbers.setWordWrap(True)
        self.strips = StripsView()
        self.scroll = scroll = QScrollArea()
        scroll.setWidget(self.strips)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        right = QVBoxLayout()
        for w in (self.title, self.formula, self.shapes, self.numbers):
            right.addWidget(w)
        right.addWidget(scroll, 1)
        body = QHBoxLayout()
        body.addWidget(self.diagram)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(body, 1)

    # -- what it shows -------------------------------------------------------------------------
    def show_stages(self, stages: list[Stage], tokens: list[str], position: int, n_layer: int) -> None:
        """New numbers (another text, other weights, an experiment): the same stage stays shown."""
        where = (self.stage.part, self.stage.layer) if self.stages else ("embed", None)
        self.stages, self.tokens, self.n_layer = stages, list(tokens), n_layer
        self.position = max(0, min(position, len(tokens) - 1))
        self.index = self.find(*where) if self.find(*where) is not None else 0
        self.position_box.blockSignals(True)
        self.position_box.clear()
        self.position_box.addItems([f"{i}: '{c}'" for i, c in enumerate(tokens)])
        self.position_box.setCurrentIndex(self.position)
        self.position_box.blockSignals(False)
        self._render()

    @property
    def stage(self) -> Stage:
        return self.stages[self.index]

    def find(self, part: str, layer: int | None) -> int | None:
        for i, s in enumerate(self.stages):
            if s.part == part and (s.layer == layer or s.layer is None or layer is None):
                return i
        return None

    def go(self, index: int) -> None:
        if self.stages:
            self.index = max(0, min(index, len(self.stages) - 1))
            self._render()

    def _render(self) -> None:
        if not self.stages:
            return
        s, t = self.stage, self.position
        self.title.setText(f"<b style='font-size:large'>{s.title}</b> — position {t} ('{self.tokens[t]}')")
        self.formula.setText(f"<code>{s.formula}</code>")
        self.shapes.setText(f"shapes: {s.shapes}")
        self.numbers.setText(",  ".join(f"{k} = {fmt(v[t])}" for k, v in s.numbers.items()))
        self.numbers.setVisible(bool(s.numbers))
        self.strips.set_rows(stage_rows(s, t, self.tokens))
        self.count_label.setText(f"stage {self.index + 1} of {len(self.stages)}")
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.stages) - 1)
        self.diagram.set_position(s.part, s.layer, self.n_layer)

    # -- slots ---------------------------------------------------------------------------------
    @Slot()
    def _on_back_clicked(self) -> None:
        self.go(self.index - 1)

    @Slot()
    def _on_next_clicked(self) -> None:
        self.go(self.index + 1)

    @Slot(str)
    def _on_diagram_part_clicked(self, part: str) -> None:
        layer = self.stage.layer if self.stage.layer is not None else self.diagram.layer or 0
        found = self.find(part, layer)
        if found is not None:
            self.go(found)

    @Slot(int)
    def _on_diagram_layer_clicked(self, layer: int) -> None:
        part = self.stage.part if self.stage.layer is not None else "ln1"
        found = self.find(part, layer)
        if found is not None:
            self.go(found)

    @Slot(int)
    def _on_position_box_changed(self, index: int) -> None:
        if index >= 0 and index != self.position:
            self.position = index
            self._render()
            self.position_changed.emit(index)
