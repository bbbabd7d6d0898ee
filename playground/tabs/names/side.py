"""The Names tab's side panel: word list, model and training forms, run buttons, weights."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel

from models.names.experiments import EXPERIMENTS
from playground import shortcuts
from playground.tabs.names.controls import MODEL_FIELDS, TRAIN_FIELDS
from playground.widgets.controls import ControlsForm
from playground.widgets.explain import ExplainPanel
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import SidePanel, button, group, hrow
from playground.widgets.weights_box import WeightsBox

WEIGHTS_FILTER = "Names MLP weights (*.npz);;All files (*)"
LESSONS = {"logits": "The first loss:", "tanh": "Tanh saturation (5 layers):",
           "depth": "Depth 5, gain 0.5:"}

EXPLAIN = {  # per page: title, plain words, formula
    "loss": ("A neural network that reads context",
                 "Each of the last few characters is looked up in a table C of learned vectors (the "
                 "embedding); the vectors go through a tanh hidden layer, and a softmax gives the "
                 "probability of every next character (Bengio et al. 2003). Training lowers the "
                 "average −log P of the real next character. Watch the loss fall and the letters find "
                 "their places: characters used alike (the vowels, say) drift together.",
                 "P(next | context) = softmax(tanh(C[context] · W1 + b1) · W2 + b2)"),
    "health": ("Is the network healthy?",
               "A fresh network should start near a uniform guess, loss −log(1/27) ≈ 3.30. A tanh near ±1 "
               "is saturated: its gradient 1 − tanh² is almost 0, so the weights before it stop learning. "
               "Weights ~ gain/√fan-in with Kaiming's gain 5/3 keep every layer's activations and "
               "gradients about the same size; batch norm does it whatever the gain. Try the lecture "
               "experiments on the left.",
               "W ~ N(0, 1) · gain / √fan-in,   saturated: |tanh| > 0.97"),
    "weights": ("How hard is each weight matrix pushed?",
                "The gradient of a weight matrix, compared with the weights themselves (grad:data), says "
                "how much one step moves it. Times the learning rate it is the update:data ratio: around "
                "1e-3 a layer learns at a healthy pace; far below it barely moves, far above it thrashes. "
                "The output layer starts small (a shy init), so its ratio starts high.",
                "update:data = std(lr · ∂L/∂W) / std(W)  ≈ 10⁻³"),
    "sample": ("Sampling, and what the model expects",
               "To make a name, start with '...' , draw the next character from the softmax, shift it "
               "into the context, and repeat until '.' comes. Temperature divides the logits: low is "
               "safe and repetitive, high is adventurous; top-k keeps only the k likeliest characters. "
               "Each name is marked: in the training list (memorised, or simply common), in val or "
               "test (real names it never saw), or new.",
               "P<sub>T</sub>(c) = softmax(logits / T)<sub>c</sub>"),
    "lr": ("Finding a learning rate",
           "Too small a rate learns slowly; too large a one overshoots and the loss explodes. Sweep "
           "the rate from tiny to huge over one short run and watch the loss: the good rates are "
           "where it is lowest before it turns up.",
           "lr<sub>i</sub> = 10<sup>−3 + 3·i/1000</sup>"),
    "gradcheck": ("Checking the calculus",
                  "Every layer's backward() is written by hand. To check it, nudge one weight by ±ε and "
                  "see how much the loss moves: that slope must equal the gradient backward() "
                  "computed. In float64 a correct backward agrees to about 1e-9.",
                  "∂L/∂w ≈ (L(w + ε) − L(w − ε)) / 2ε"),
}


class NamesSidePanel(SidePanel):
    """Widgets only; the tab connects them. Scrolls when the window is short (presentation mode)."""
    experiment_requested = Signal(str)  # an experiments.EXPERIMENTS key

    def __init__(self, runner, parent=None):
        self.source_label = QLabel("No word list yet")
        self.source_label.setWordWrap(True)
        self.model_form = ControlsForm(MODEL_FIELDS, settings_key="names/model")
        self.train_form = ControlsForm(TRAIN_FIELDS, settings_key="names/train")
        self.run_controls = RunControls(runner, step=True)
        self.run_controls.start_button.setToolTip("Train with these settings, from the current weights")
        self.run_controls.step_button.setToolTip("Take exactly one training step")
        shortcuts.bind(self.run_controls.start_button, "names.train")
        shortcuts.bind(self.run_controls.step_button, "names.step")
        self.weights = WeightsBox("names MLP weights", WEIGHTS_FILTER, "names_mlp.npz", tab="names",
                                  new_tip="Fresh random weights for these settings",
                                  shipped_tip="Load the shipped, trained weights of the chosen preset")
        self.status_label = self.weights.status_label
        self.experiment_buttons = {}
        rows = []
        for lesson, title in LESSONS.items():
            pair = []
            for e in (x for x in EXPERIMENTS if x.lesson == lesson):
                b = button(e.label, e.explain + " (makes a new model and shows the Health page)")
                b.clicked.connect(lambda _=False, key=e.key: self.experiment_requested.emit(key))
                self.experiment_buttons[e.key] = b
                pair.append(b)
            rows += [QLabel(title), hrow(*pair)]
        experiments = group("Lecture experiments: bad, then fixed", *rows)
        self.explain = ExplainPanel(*EXPLAIN["loss"])
        self.explain.setMinimumHeight(220)
        super().__init__([group("Word list", self.source_label), group("Model", self.model_form),
                          experiments, group("Training", self.train_form, self.run_controls), self.weights,
                          self.explain], parent=parent)

    def explain_page(self, page: str) -> None:
        self.explain.set_text(*EXPLAIN[page])

    def focusNextPrevChild(self, next_: bool) -> bool:
        # Qt moves the focus on from a button it disables (Train, as a run starts), and the scroll
        # area then scrolls to the new focus far below: Stop jumped 133 px up, under nobody's
        # pointer. Focus leaving a disabled widget keeps the panel where it is; Tab still scrolls.
        focus = QApplication.focusWidget()
        if focus is None or focus.isEnabled():
            return super().focusNextPrevChild(next_)
        bar = self.verticalScrollBar()
        value = bar.value()
        moved = super().focusNextPrevChild(next_)
        bar.setValue(value)
        return moved

    def _focus_stop(self) -> None:
        """Train's focus belongs on Stop while Train is disabled (Space then stops the run)."""
        stop = self.run_controls.stop_button
        if stop.isEnabled() and self.isAncestorOf(QApplication.focusWidget()):
            bar = self.verticalScrollBar()
            value = bar.value()
            stop.setFocus(Qt.OtherFocusReason)
            bar.setValue(value)

    def set_idle(self, idle: bool) -> None:
        """Lock what a run uses (forms, weights, experiments) while it runs."""
        if not idle:  # once the run controls follow the runner's state too
            QTimer.singleShot(0, self, self._focus_stop)
        self.model_form.set_editable(idle)
        self.train_form.set_editable(idle)
        self.weights.set_idle(idle)
        for b in self.experiment_buttons.values():
            b.setEnabled(idle)
