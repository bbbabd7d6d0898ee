"""The "Selected" box of the tiny-MLP page: the weight clicked in the network view (its value,
its gradient, an edit box) and the way to the Graph page: a neuron, or the loss on one
training point, opened there as its scalar Value graph."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QLabel, QLineEdit, QSpinBox, QVBoxLayout

from models.autograd import features as feats
from playground.widgets.side_panel import button, hrow


def weight_name(name: str, index: tuple, features) -> str:
    """("W0", (2, 1)) -> "w1.3.2 (layer 1, neuron 3, from x₂)"; counted from 1 like the Graph
    page's leaves (models.autograd.bridge)."""
    k = int(name[1:])
    if name[0] == "b":
        return f"b{k + 1}.{index[0] + 1} (the bias of neuron {k + 1}.{index[0] + 1})"
    j, i = index
    source = feats.label(features[i]) if k == 0 else f"neuron {k}.{i + 1}"
    return f"w{k + 1}.{j + 1}.{i + 1} (layer {k + 1}, neuron {j + 1}, from {source})"


class InspectBox(QGroupBox):
    weight_edited = Signal(float)  # the new value of the selected weight
    graph_requested = Signal(bool)  # True: the selected neuron; False: the loss on the point
    point_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__("Selected", parent)
        self.weight_label = QLabel("Click a line (or a neuron's bias square) in the network.")
        self.weight_label.setWordWrap(True)
        self.weight_label.setTextFormat(Qt.RichText)
        self.weight_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("new value, Enter")
        self.edit.setToolTip("Type a number and press Enter: the weight takes it (while "
                             "training, before the next step)")
        self.edit.setEnabled(False)
        self.edit.returnPressed.connect(self._on_edit_entered)
        self.point = QSpinBox()
        self.point.setRange(0, 0)
        self.point.setToolTip("Which training point (ringed in green on the plane)")
        self.point.valueChanged.connect(self.point_changed)
        self.neuron_button = button("Neuron → Graph page", "Open the pinned neuron (click "
                                    "one in the network) on this point as a graph of Values on "
                                    "the first page", self._on_neuron_clicked)
        self.neuron_button.setEnabled(False)
        self.loss_button = button("Point's loss → Graph page", "Open the loss on this point "
                                  "as a graph of Values on the first page: the same numbers as "
                                  "the live network", self._on_loss_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.weight_label)
        layout.addWidget(self.edit)
        layout.addWidget(hrow(QLabel("Training point"), self.point))
        layout.addWidget(self.neuron_button)
        layout.addWidget(self.loss_button)

    def show_weight(self, title: str | None, value: float = 0.0, grad: float = 0.0) -> None:
        if title is None:
            self.weight_label.setText("Click a line (or a neuron's bias square) in the network.")
            self.edit.setEnabled(False)
            return
        self.weight_label.setText(f"<b>{title}</b><br>value <b>{value:+.4f}</b> · grad "
                                  f"<b>{grad:+.4g}</b> (at the last step)")
        self.edit.setEnabled(True)

    def set_points(self, n: int) -> None:
        self.point.setRange(0, max(0, n - 1))
        self.loss_button.setEnabled(n > 0)

    @Slot()
    def _on_edit_entered(self) -> None:
        try:
            value = float(self.edit.text().replace("−", "-"))
            if not abs(value) <= 100:
                raise ValueError
        except ValueError:
            self.weight_label.setText(self.weight_label.text().split("<br><i>")[0] +
                                      f"<br><i>{self.edit.text()!r} is not a number in "
                                      "[−100, 100]</i>")
            return
        self.edit.clear()
        self.weight_edited.emit(value)

    @Slot()
    def _on_neuron_clicked(self) -> None:
        self.graph_requested.emit(True)

    @Slot()
    def _on_loss_clicked(self) -> None:
        self.graph_requested.emit(False)
