"""The Weights box of every tab with a model: New / Shipped / Load… / Save…, with the dialogs.

The box only asks: the tab connects the signals to its slots, which do the work (loading off the
GUI thread through the tab's jobs) and report back with `set_status`.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QGroupBox, QLabel, QVBoxLayout

from playground import shortcuts
from playground.widgets.side_panel import button, hrow


class WeightsBox(QGroupBox):
    new_requested = Signal()
    shipped_requested = Signal()
    load_requested = Signal(str)  # the path the user chose
    save_requested = Signal(str)  # the path the user chose

    def __init__(self, what: str, file_filter: str, default_name: str, tab: str | None = None,
                 new_tip: str = "Fresh random weights for these settings",
                 shipped_tip: str | None = "Load the shipped, trained weights", parent=None):
        """`what` names the model in dialogs ("names MLP weights"); `tab` names the tab whose
        "<tab>.load" / "<tab>.save" shortcuts (playground.shortcuts) the buttons take, if declared."""
        super().__init__("Weights", parent)
        self.what, self.file_filter, self.default_name = what, file_filter, default_name
        self.new_button = button("&New weights", new_tip, self.new_requested.emit)
        self.shipped_button = (button("Trained &preset", shipped_tip, self.shipped_requested.emit)
                               if shipped_tip else None)
        self.load_button = button("&Load weights…", f"Load {what} from a .npz file", self._on_load_clicked)
        self.save_button = button("Sa&ve weights…", f"Save {what} to a .npz file", self._on_save_clicked)
        if tab is not None:
            for b, key in ((self.load_button, f"{tab}.load"), (self.save_button, f"{tab}.save")):
                if key in shortcuts.SHORTCUTS:
                    shortcuts.bind(b, key)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(hrow(*[b for b in (self.new_button, self.shipped_button) if b is not None]))
        layout.addWidget(hrow(self.load_button, self.save_button))
        layout.addWidget(self.status_label)

    @property
    def buttons(self):
        return tuple(b for b in (self.new_button, self.shipped_button, self.load_button, self.save_button)
                     if b is not None)

    def set_idle(self, idle: bool) -> None:
        """Weights are not swapped or saved mid-run."""
        for b in self.buttons:
            b.setEnabled(idle)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    @Slot()
    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Load {self.what}", "", self.file_filter)
        if path:
            self.load_requested.emit(path)

    @Slot()
    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Save {self.what}", self.default_name, self.file_filter)
        if path:
            self.save_requested.emit(path)
