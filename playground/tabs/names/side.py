"""The Names tab's side panel: word list, model and training forms, run buttons, weights."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from playground.tabs.names.controls import MODEL_FIELDS, TRAIN_FIELDS
from playground.widgets.controls import ControlsForm
from playground.widgets.explain import ExplainPanel
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import SidePanel, button, group, hrow

EXPLAIN = {  # per page: title, plain words, formula
    "training": ("A neural network that reads context",
                 "Each of the last few characters is looked up in a table C of learned vectors (the "
                 "embedding); the vectors go through a tanh hidden layer, and a softmax gives the "
                 "probability of every next character (Bengio et al. 2003). Training lowers the "
                 "average −log P of the real next character. Watch the loss fall and the letters find "
                 "their places: characters used alike (the vowels, say) drift together.",
                 "P(next | context) = softmax(tanh(C[context] · W1 + b1) · W2 + b2)"),
    "health": ("Is the network healthy?",
               "A tanh near ±1 is saturated: its gradient 1 − tanh² is almost 0, so the weights before "
               "it stop learning. Good initialisation (Kaiming: weights ~ 1/√fan-in) and batch norm "
               "keep activations spread out. Each step should change a weight matrix by about a "
               "thousandth of its size: the update/weight ratio near 1e-3.",
               "ratio = std(lr · ∂L/∂W) / std(W)  ≈ 10⁻³"),
    "sample": ("Sampling, and what the model expects",
               "To make a name, start with '...' , draw the next character from the softmax, shift it "
               "into the context, and repeat until '.' comes. Temperature divides the logits: low is "
               "safe and repetitive, high is adventurous. Hover a name to see every step's "
               "distribution; the untrained network's names show where it started.",
               "P<sub>T</sub>(c) = softmax(logits / T)<sub>c</sub>"),
    "gradcheck": ("Checking the calculus",
                  "Every layer's backward() is written by hand. To check it, nudge one weight by ±ε and "
                  "see how much the loss moves: that slope must equal the gradient backward() "
                  "computed. In float64 a correct backward agrees to about 1e-9.",
                  "∂L/∂w ≈ (L(w + ε) − L(w − ε)) / 2ε"),
}


class NamesSidePanel(SidePanel):
    """Widgets only; the tab connects them. Scrolls when the window is short (presentation mode)."""

    def __init__(self, runner, parent=None):
        self.source_label = QLabel("No word list yet")
        self.source_label.setWordWrap(True)
        self.model_form = ControlsForm(MODEL_FIELDS, settings_key="names/model")
        self.train_form = ControlsForm(TRAIN_FIELDS, settings_key="names/train")
        self.run_controls = RunControls(runner, step=True)
        self.reset_button = button("&New weights", "Fresh random weights (Kaiming init) for these settings")
        self.shipped_button = button("Trained &preset", "Load the shipped, trained weights of the chosen preset")
        self.load_button = button("&Load weights…", "Load a .npz saved by this tab or by `playground train "
                                   "names` (Ctrl+L)", shortcut="Ctrl+L")
        self.save_button = button("Sa&ve weights…", "Save this model (weights, batch-norm statistics, "
                                   "settings) to a .npz (Ctrl+S)", shortcut="Ctrl+S")
        self.weight_buttons = (self.reset_button, self.shipped_button, self.load_button, self.save_button)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.explain = ExplainPanel(*EXPLAIN["training"])
        self.explain.setMinimumHeight(220)

        weights_box = group("Weights", hrow(self.reset_button, self.shipped_button),
                            hrow(self.load_button, self.save_button), self.status_label)
        super().__init__([group("Word list", self.source_label), group("Model", self.model_form),
                          group("Training", self.train_form, self.run_controls), weights_box, self.explain],
                         parent=parent)

    def explain_page(self, page: str) -> None:
        self.explain.set_text(*EXPLAIN[page])

    def set_idle(self, idle: bool) -> None:
        """Lock what a run uses (forms, weights) while it runs."""
        self.model_form.set_editable(idle)
        self.train_form.set_editable(idle)
        for b in self.weight_buttons:
            b.setEnabled(idle)
