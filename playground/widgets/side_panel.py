"""The left-hand column every tab has: a vertical scroll area as wide as its contents need
(presentation mode makes them wider), never cut off on the right; plus the small builders the
tabs lay their controls out with."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QPushButton, QScrollArea, QSizePolicy, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from playground import style as app_style

MIN_WIDTH = 380


class SidePanel(QScrollArea):
    """Collapsible (`set_collapsed`): the main window's "Hide controls" folds every side panel of
    a tab into a thin strip, so the figure gets the width on a projector."""
    STRIP = 34  # px: the collapsed strip
    collapsed_changed = Signal(bool)

    def __init__(self, widgets, stretch_last: bool = True, parent=None):
        super().__init__(parent)
        self._inner: QWidget | None = None  # the controls while collapsed
        self._splitter_sizes: list[int] | None = None  # a splitter's sizes before folding
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
        if self.is_collapsed():
            return
        need = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(MIN_WIDTH, need + 6))

    def is_collapsed(self) -> bool:
        return self._inner is not None

    def set_collapsed(self, on: bool) -> None:
        """Fold the controls into a strip with one button that unfolds them (or unfold)."""
        if on == self.is_collapsed():
            return
        if on:
            self._inner = self.takeWidget()
            strip = QToolButton()
            strip.setArrowType(Qt.RightArrow)
            strip.setToolTip("Show the controls")
            strip.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)
            strip.clicked.connect(self._on_strip_clicked)
            self.setWidget(strip)
            self.setMinimumWidth(self.STRIP)
            self.setMaximumWidth(self.STRIP)
            self._give_splitter_room()
        else:
            self.takeWidget().deleteLater()
            self.setWidget(self._inner)
            self._inner = None
            self.setMaximumWidth(16777215)
            self._fit_width()
            if self._splitter_sizes is not None and isinstance(self.parentWidget(), QSplitter):
                self.parentWidget().setSizes(self._splitter_sizes)
            self._splitter_sizes = None
        self.collapsed_changed.emit(on)

    def _give_splitter_room(self) -> None:
        """In a splitter, the width the controls had goes to the figure beside them."""
        splitter = self.parentWidget()
        if not isinstance(splitter, QSplitter):
            return
        sizes = splitter.sizes()
        self._splitter_sizes = list(sizes)
        i = splitter.indexOf(self)
        others = [j for j in range(len(sizes)) if j != i]
        if others:
            j = max(others, key=lambda k: sizes[k])
            sizes[j] += sizes[i] - self.STRIP
            sizes[i] = self.STRIP
            splitter.setSizes(sizes)

    @Slot()
    def _on_strip_clicked(self) -> None:
        self.set_collapsed(False)


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
