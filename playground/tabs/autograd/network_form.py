"""The "Network" box of the Autograd tab's training page: hidden layer sizes, an activation per
hidden layer and the initialisation seed. A change means a new network (fresh weights), as in
TensorFlow Playground; the inputs are picked in the network view itself."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit,
                               QSpinBox)

from playground.tabs.autograd.train_controls import compact

ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "linear")


class NetworkForm(QGroupBox):
    error_raised = Signal(str)
    changed = Signal()  # a valid new shape or seed

    def __init__(self, parent=None):
        super().__init__("Network", parent)
        self.hidden = QLineEdit("8, 8")
        self.hidden.setToolTip("Neurons per hidden layer, e.g. 8, 8 (1 to 4 layers of 1 to 32); "
                               "the output is one neuron with a linear score. Enter applies")
        self.hidden.editingFinished.connect(self._on_hidden_edited)
        self.act_row = QHBoxLayout()
        self.combos: list[QComboBox] = []
        self.init_seed = QSpinBox()
        self.init_seed.setRange(0, 9999)
        self.init_seed.setValue(1337)
        self.init_seed.setToolTip("Seed of the initial weights")
        self.init_seed.valueChanged.connect(self._on_seed_changed)
        form = QFormLayout(self)
        form.addRow("Hidden layers", self.hidden)
        form.addRow("Activations", self.act_row)
        form.addRow("Init seed", self.init_seed)
        self._set_combos(2, "tanh")
        self._shape = (self.hidden_sizes(), tuple(self.activations()))

    def hidden_sizes(self) -> tuple[int, ...]:
        """The sizes typed in; ValueError with a message for anything else."""
        text = self.hidden.text().replace(";", ",")
        try:
            sizes = tuple(int(s) for s in text.split(",") if s.strip())
        except ValueError:
            raise ValueError(f"Hidden layers must be numbers like 16, 16, not {text!r}") from None
        if not 1 <= len(sizes) <= 4 or not all(1 <= s <= 32 for s in sizes):
            raise ValueError("Use 1 to 4 hidden layers of 1 to 32 neurons each.")
        return sizes

    def activations(self) -> list[str]:
        return [c.currentText() for c in self.combos]

    def set_architecture(self, hidden, activations) -> None:
        """Show a shape (of loaded weights, or a link's) without asking for a new network."""
        self.blockSignals(True)
        self.hidden.setText(", ".join(str(s) for s in hidden))
        self._set_combos(len(hidden), "relu")
        for combo, act in zip(self.combos, activations):
            combo.setCurrentText(act)
        self._shape = (tuple(hidden), tuple(activations))
        self.blockSignals(False)

    def _set_combos(self, n: int, default: str) -> None:
        old = self.activations()
        for c in self.combos:
            self.act_row.removeWidget(c)
            c.hide()  # at once: deleteLater waits for the event loop
            c.deleteLater()
        self.combos = []
        for i in range(n):
            c = compact(QComboBox(), 5)
            c.addItems(ACTIVATION_CHOICES)
            c.setCurrentText(old[i] if i < len(old) else default)
            c.setToolTip(f"Activation of hidden layer {i + 1}")
            c.currentTextChanged.connect(self._on_activation_changed)
            self.act_row.addWidget(c)
            self.combos.append(c)

    def check(self) -> bool:
        """True when the sizes typed in are usable (else the error is raised for the user)."""
        return self._on_hidden_edited()

    @Slot()
    def _on_hidden_edited(self) -> bool:
        try:
            n = len(self.hidden_sizes())
        except ValueError as e:
            self.error_raised.emit(str(e))
            return False
        if n != len(self.combos):
            self._set_combos(n, self.combos[-1].currentText())
        self._emit_if_new()
        return True

    @Slot()
    def _on_activation_changed(self, *_) -> None:
        self._emit_if_new()

    @Slot()
    def _on_seed_changed(self, *_) -> None:
        self.changed.emit()

    def _emit_if_new(self) -> None:
        try:
            shape = (self.hidden_sizes(), tuple(self.activations()))
        except ValueError:  # the sizes are being typed: Enter will tell
            return
        if shape != self._shape:
            self._shape = shape
            self.changed.emit()
