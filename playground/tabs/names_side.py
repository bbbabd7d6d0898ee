"""The Names tab's side panel: word list, model and training forms, run buttons, weights."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from playground.tabs.names_controls import MODEL_FIELDS, TRAIN_FIELDS
from playground.widgets.controls import ControlsForm
from playground.widgets.explain import ExplainPanel
from playground.widgets.run_controls import RunControls

EXPLAIN = ("A neural network that reads context",
           "Each of the last few characters is looked up in a table C of learned vectors (the "
           "embedding); the vectors go through a tanh hidden layer, and a softmax gives the "
           "probability of every next character (Bengio et al. 2003). Training lowers the average "
           "−log P of the real next character. Watch the loss fall, the letters find their places in "
           "the embedding, and the Health page for dead or saturated neurons.",
           "P(next | context) = softmax(tanh(C[context] · W1 + b1) · W2 + b2)")


class SidePanel(QScrollArea):
    """Widgets only; the tab connects them. Scrolls when the window is short (presentation mode)."""

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.source_label = QLabel("No word list yet")
        self.source_label.setWordWrap(True)
        self.model_form = ControlsForm(MODEL_FIELDS, settings_key="names/model")
        self.train_form = ControlsForm(TRAIN_FIELDS, settings_key="names/train")
        self.run_controls = RunControls(runner, step=True)
        self.reset_button = _button("&New weights", "Fresh random weights (Kaiming init) for these settings")
        self.shipped_button = _button("Trained &preset", "Load the shipped, trained weights of the chosen preset")
        self.load_button = _button("&Load weights…", "Load a .npz saved by this tab or by `playground train "
                                   "names` (Ctrl+L)", "Ctrl+L")
        self.save_button = _button("Sa&ve weights…", "Save this model (weights, batch-norm statistics, "
                                   "settings) to a .npz (Ctrl+S)", "Ctrl+S")
        self.weight_buttons = (self.reset_button, self.shipped_button, self.load_button, self.save_button)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(220)

        weights_box = _group("Weights")
        for pair in ((self.reset_button, self.shipped_button), (self.load_button, self.save_button)):
            row = QHBoxLayout()
            for b in pair:
                row.addWidget(b)
            weights_box.layout().addLayout(row)
        weights_box.layout().addWidget(self.status_label)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(_group("Word list", self.source_label))
        layout.addWidget(_group("Model", self.model_form))
        layout.addWidget(_group("Training", self.train_form, self.run_controls))
        layout.addWidget(weights_box)
        layout.addWidget(self.explain, 1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def set_idle(self, idle: bool) -> None:
        """Lock what a run uses (forms, weights) while it runs."""
        self.model_form.set_editable(idle)
        self.train_form.set_editable(idle)
        for b in self.weight_buttons:
            b.setEnabled(idle)


def _button(text, tip, shortcut=None) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    if shortcut:
        b.setShortcut(shortcut)
    return b


def _group(title: str, *widgets) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for w in widgets:
        layout.addWidget(w)
    return box
