"""The left-hand column every tab has: a vertical scroll area as wide as its contents need
(presentation mode makes them wider), never cut off on the right; plus the small builders the
tabs lay their controls out with."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from playground import style as app_style

MIN_WIDTH = 380


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
        # After the new fonts reached the layout; the context object drops the call if we are gone.
        QTimer.singleShot(0, self, self._fit_width)

    @Slot()
    def _fit_width(self) -> None:
        need = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(MIN_WIDTH, need + 6))


def group(title: str, *widgets) -> QGroupBox:
    """A titled box with the widgets stacked."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for w in widgets:
        layout.addWidget(w)
    return box


def hrow(*widgets) -> QWidget:
    """The widgets side by side, without margins."""
    w = QWidget()
    row = QHBoxLayout(w)
    row.setContentsMargins(0, 0, 0, 0)
    for x in widgets:
        row.addWidget(x)
    return w


def button(text: str, tip: str, slot=None, shortcut=None) -> QPushButton:
    """A push button with its tooltip, and optionally its slot and shortcut."""
    b = QPushButton(text)
    b.setToolTip(tip)
    if shortcut:
        b.setShortcut(shortcut)
    if slot is not None:
        b.clicked.connect(slot)
    return b
