"""The side panel both pages of the Autograd tab use: a vertical scroll area as wide as its
contents need (presentation mode makes them wider), never cut off on the right."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QGroupBox, QScrollArea, QVBoxLayout, QWidget

from playground import style as app_style


class SidePanel(QScrollArea):
    def __init__(self, widgets, stretch_last: bool = True, parent=None):
        super().__init__(parent)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for i, w in enumerate(widgets):
            layout.addWidget(w, 1 if stretch_last and i == len(widgets) - 1 else 0)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        app_style.bus().changed.connect(self._on_style_changed)
        self._fit_width()

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        QTimer.singleShot(0, self, self._fit_width)  # after the new fonts reached the layout

    @Slot()
    def _fit_width(self) -> None:
        need = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(380, need + 6))


def group(title: str, *widgets) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for w in widgets:
        layout.addWidget(w)
    return box
