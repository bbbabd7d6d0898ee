"""Controls of the Attention tab: a log-scale temperature slider, the two experiments (attention
temperature, mask off) and the training form."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

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
