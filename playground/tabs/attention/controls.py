"""Controls of the Attention tab: a log-scale temperature slider, the two experiments (attention
temperature, mask off), generation (temperature, top-k, top-p, one character or whole samples)
and the training form."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from playground import shortcuts
from playground.widgets.controls import FloatField, IntField

TRAIN_FIELDS = [
    IntField("steps", "Steps", 2000, 1, 1_000_000, "Training steps of this run"),
    IntField("batch_size", "Batch size", 32, 1, 1024, "Sequences per step"),
    FloatField("lr", "Learning rate", 1e-3, 1e-6, 1.0, "Peak AdamW learning rate (warm-up, then cosine decay "
               "to a tenth)", decimals=6),
    IntField("eval_every", "Validate every", 200, 10, 100_000, "Steps between validation losses"),
    IntField("seed", "Seed", 0, 0, 2**31 - 1, "Initial weights (New weights) and batch order"),
]


class LogSlider(QWidget):
    """A slider over [lo, hi] on a log scale, with its value shown beside it."""
    value_changed = Signal(float)

    def __init__(self, lo: float, hi: float, value: float, tooltip: str, parent=None):
        super().__init__(parent)
        self.lo, self.hi = lo, hi
        self._value = value
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setToolTip(tooltip)
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("10.00") + 8)
        self.label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.set_value(value)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Set exactly `value` (the slider shows the nearest position)."""
        frac = (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        self.slider.blockSignals(True)
        self.slider.setValue(round(1000 * min(1.0, max(0.0, frac))))
        self.slider.blockSignals(False)
        if value != self._value:
            self._value = value
            self.value_changed.emit(value)
        self._show()

    def _show(self) -> None:
        self.label.setText(f"{self._value:.2f}")

    @Slot(int)
    def _on_slider_value_changed(self, position: int):
        frac = position / 1000
        value = math.exp(math.log(self.lo) + frac * (math.log(self.hi) - math.log(self.lo)))
        self._value = max(self.lo, min(self.hi, round(value, 2)))  # what the label shows is what is used
        self._show()
        self.value_changed.emit(self._value)


class ExperimentsBox(QGroupBox):
    """The attention-softmax temperature and the causal mask, with what they change."""
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__("Experiments", parent)
        self.temperature = LogSlider(0.05, 10.0, 1.0, "Divide every attention score by this before the "
                                     "softmax. Low: each position looks at one place only; high: it "
                                     "averages everything it can see. 1 = as trained.")
        self.temperature.value_changed.connect(self._on_control_changed)
        self.mask_off = QCheckBox("Mask off (see the future)")
        self.mask_off.setToolTip("Lift the causal mask. The trained model is confused by it; train "
                                 "with the mask off and the loss drops by cheating: the next character "
                                 "is right there in the input.")
        self.mask_off.toggled.connect(self._on_control_changed)
        self.reset_button = QPushButton("As trained")
        self.reset_button.setToolTip("Temperature 1, mask on")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.effect = QLabel("")
        self.effect.setWordWrap(True)
        self.effect.setTextFormat(Qt.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Attention temperature"))
        layout.addWidget(self.temperature)
        row = QHBoxLayout()
        row.addWidget(self.mask_off, 1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        layout.addWidget(self.effect)

    def settings(self) -> tuple[float, bool]:
        """(attention temperature, causal)."""
        return self.temperature.value(), not self.mask_off.isChecked()

    def active(self) -> bool:
        t, causal = self.settings()
        return abs(t - 1.0) > 1e-3 or not causal

    @Slot()
    def _on_control_changed(self, *_):
        self.changed.emit()

    @Slot()
    def _on_reset_clicked(self):
        self.mask_off.blockSignals(True)
        self.mask_off.setChecked(False)
        self.mask_off.blockSignals(False)
        self.temperature.set_value(1.0)


class GenerateBox(QGroupBox):
    """How the next character is drawn, and buttons to draw one (appended to the text, so every
    view moves with it) or eight whole continuations."""
    changed = Signal()  # temperature, top-k or top-p
    next_requested = Signal()
    sample_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Generate", parent)
        self.temperature = LogSlider(0.1, 5.0, 1.0, "Output temperature: divide the logits by this "
                                     "before the softmax. Below 1: safer, more common choices; above "
                                     "1: more surprising ones.")
        self.temperature.value_changed.connect(self._on_control_changed)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 100)
        self.top_k.setSpecialValueText("all")
        self.top_k.setToolTip("Draw only from the k most likely characters (all: no limit)")
        self.top_k.valueChanged.connect(self._on_control_changed)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.05, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip("Nucleus sampling: draw only from the most likely characters that "
                              "together hold this share of the probability (1: all)")
        self.top_p.valueChanged.connect(self._on_control_changed)
        self.next_button = QPushButton("Next character ▶")
        self.next_button.setToolTip("Draw one character with these settings and append it to the "
                                    "text: the heads, the walkthrough and the bars all move")
        shortcuts.bind(self.next_button, "attention.next_char")
        self.next_button.clicked.connect(self.next_requested)
        self.sample_button = QPushButton("&Sample 8")
        self.sample_button.setToolTip("Eight whole continuations of the text, character by character")
        self.sample_button.clicked.connect(self.sample_requested)
        self.samples = QLabel("")
        self.samples.setWordWrap(True)
        self.samples.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        row = QHBoxLayout()
        row.addWidget(self.next_button, 1)
        row.addWidget(self.sample_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.samples)

    def settings(self) -> tuple[float, int | None, float | None]:
        """(temperature, top_k or None, top_p or None)."""
        k, p = self.top_k.value(), self.top_p.value()
        return self.temperature.value(), (k or None), (p if p < 1.0 else None)

    @Slot()
    def _on_control_changed(self, *_):
        self.changed.emit()
