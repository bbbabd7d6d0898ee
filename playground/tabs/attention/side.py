"""The Attention tab's side panel: task, text, experiments, training form and run buttons,
the weights box and the explanation. Widgets only; the tab connects them."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit

from playground.tabs.attention.controls import TRAIN_FIELDS, ExperimentsBox, GenerateBox
from playground.widgets.controls import ControlsForm
from playground.widgets.explain import ExplainPanel
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import SidePanel, group
from playground.widgets.weights_box import WeightsBox

WEIGHTS_FILTER = "Attention weights (*.npz);;All files (*)"
MAX_TEXT = 48  # characters in the text box (names: the model reads the first 15)

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
        self.text_edit.setMaxLength(MAX_TEXT)  # every view redraws per key: a paste is kept short
        self.text_edit.setToolTip("names: the start of a name to continue (the model reads up to 15 "
                                  f"characters); sort: 6 letters from a–h. At most {MAX_TEXT} characters.")
        self.text_status = QLabel("")
        self.text_status.setWordWrap(True)
        self.experiments = ExperimentsBox()
        self.generate = GenerateBox()
        self.train_form = ControlsForm(TRAIN_FIELDS, settings_key="attention/train")
        self.continue_box = QCheckBox("Continue where it left off")
        self.continue_box.setChecked(True)
        self.continue_box.setToolTip("Trained weights go on at the learning rate their last run ended "
                                     "with (and its weight decay and weight averaging), from their own "
                                     "step: the loss carries on down. Off: a new schedule that warms up "
                                     "to the learning rate above, which first undoes the fine end of the "
                                     "last one.")
        self.plan_label = QLabel("")
        self.plan_label.setWordWrap(True)
        self.plan_label.setToolTip("What Train will do with these weights")
        self.run_controls = RunControls(runner, step=True)
        self.weights = WeightsBox("attention weights", WEIGHTS_FILTER, "attention.npz", tab="attention",
                                  new_tip="Fresh random weights (same shape): watch attention form from nothing",
                                  shipped_tip="Load the shipped, trained model of this task")
        self._trained = False
        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(220)
        super().__init__([group("Task", self.task_box, self.source_label),
                          group("Text", self.text_edit, self.text_status), self.generate, self.experiments,
                          group("Training", self.train_form, self.continue_box, self.plan_label,
                                self.run_controls), self.weights,
                          self.explain], parent=parent)

    def set_busy(self, busy: bool) -> None:
        """While a run owns the model: no task switch, no weights swap, no form changes."""
        self.task_box.setEnabled(not busy)
        self.weights.set_idle(not busy)
        self.train_form.set_editable(not busy)
        self.continue_box.setEnabled(not busy and self._trained)

    def set_trained(self, trained: bool) -> None:
        """Untrained weights have nothing to continue: they always start a new schedule."""
        self._trained = trained
        self.continue_box.setEnabled(trained)
