"""The Attention tab's side panel: task, text, experiments, training form and run buttons,
weights buttons and the explanation. Widgets only; the tab connects them."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit

from playground.tabs.attention.controls import TRAIN_FIELDS, ExperimentsBox
from playground.widgets.controls import ControlsForm
from playground.widgets.explain import ExplainPanel
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import SidePanel, button, group, hrow

EXPLAIN = ("Attention: every position looks back",
           "A transformer reads all the characters at once. In each head, every position sends a "
           "<b>query</b> (what it looks for); every position offers a <b>key</b> (what it has) and a "
           "<b>value</b> (what it passes on). Query·key scores, scaled, masked and softmaxed, say how "
           "much each earlier position's value flows into this one. Stack a few layers of this with an "
           "MLP in between, and the last position predicts the next character.",
           "Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V")


class AttentionSide(SidePanel):
    def __init__(self, runner, parent=None):
        self.task_box = QComboBox()
        self.task_box.addItem("Names (next character)", "names")
        self.task_box.addItem("Sort (6 letters)", "sort")
        self.task_box.setToolTip("names: a language model of the word list; sort: read 6 letters and "
                                 "write them sorted — each answer position looks up one input letter")
        self.source_label = QLabel("")
        self.source_label.setWordWrap(True)
        self.text_edit = QLineEdit()
        self.text_edit.setToolTip("names: the start of a name to continue; sort: 6 letters from a–h")
        self.text_status = QLabel("")
        self.text_status.setWordWrap(True)
        self.experiments = ExperimentsBox()
        self.train_form = ControlsForm(TRAIN_FIELDS, settings_key="attention/train")
        self.run_controls = RunControls(runner, step=True)
        self.new_button = button("&New weights", "Fresh random weights (same shape): watch attention "
                                  "form from nothing")
        self.shipped_button = button("&Trained weights", "Load the shipped model of this task")
        self.load_button = button("&Load…", "Load weights saved by this tab or `playground train "
                                   "attention` (Ctrl+L)", shortcut="Ctrl+L")
        self.save_button = button("Sa&ve…", "Save the weights and their checkpoints (Ctrl+S)", shortcut="Ctrl+S")
        self.weights_label = QLabel("")
        self.weights_label.setWordWrap(True)
        weights_box = group("Weights", hrow(self.new_button, self.shipped_button),
                            hrow(self.load_button, self.save_button), self.weights_label)
        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(220)
        super().__init__([group("Task", self.task_box, self.source_label),
                          group("Text", self.text_edit, self.text_status), self.experiments,
                          group("Training", self.train_form, self.run_controls), weights_box,
                          self.explain], parent=parent)

    def set_busy(self, busy: bool) -> None:
        """While a run owns the model: no task switch, no weights swap, no form changes."""
        for w in (self.task_box, self.new_button, self.shipped_button, self.load_button):
            w.setEnabled(not busy)
        self.train_form.set_editable(not busy)
