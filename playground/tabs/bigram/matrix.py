"""The bigram table as a big labelled matrix that stays readable from the back of a room.

Cells are painted with QPainter (729 cells with two lines each repaint in a few milliseconds)
and their text is never drawn smaller than the app's font. "Read" size makes every cell large
enough for its text; "Fit" shows the whole matrix and draws only the text that still fits, so
the colours carry the picture and hovering tells the numbers. When the matrix is larger than
the view it scrolls, with the row and column labels frozen at the left and top like a
spreadsheet. Ctrl+wheel or +/- zoom; the text grows with the cells.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from playground import style as app_style
from playground.tabs.bigram.cells import MatrixData, write_csv

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0


class MatrixView(QAbstractScrollArea):
    """The scrollable, zoomable matrix. set_matrix(values, rows, cols, text=None, levels=None)."""
    cell_hovered = Signal(int, int)  # row, column; (-1, -1) when the mouse leaves the cells
    cell_clicked = Signal(int, int)
    zoom_changed = Signal()

    def __init__(self, parent=None, fit: bool = False):
        super().__init__(parent)
        self.data = MatrixData()
        self.fit = fit
        self.zoom = 1.0  # cell size relative to the "Read" size
        self.selected = (-1, -1)
        self.hovered = (-1, -1)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setToolTip("Hover or click a cell for its numbers. Ctrl+wheel or +/- zoom, "
                        "F fits the whole matrix, arrow keys move the selection.")
        app_style.bus().changed.connect(self._on_style_changed)

    # -- public ------------------------------------------------------------------------------
    def set_matrix(self, values, rows, cols, text=None, levels=None, colormap=None) -> None:
        self.data.set(values, rows, cols, text, levels, colormap)
        self._relayout()

    def set_fit(self, on: bool) -> None:
        self.fit = on
        if not on:
            self.zoom = 1.0
        self._relayout()
        self.zoom_changed.emit()

    def zoom_by(self, factor: float) -> None:
        self.zoom = float(np.clip(self.cell_size() / self.data.read_cell() * factor, MIN_ZOOM, MAX_ZOOM))
        self.fit = False
        self._relayout()
        self.zoom_changed.emit()

    def set_selected(self, row: int, col: int) -> None:
        self.selected = (row, col)
        self.viewport().update()

    def cell_size(self) -> float:
        R, C = self.data.shape
        if not self.fit or R == 0:
            return self.data.read_cell() * self.zoom
        left, top = self.data.header_size(1.0)
        vp = self.viewport().size()
        return max(4.0, min((vp.width() - left) / C, (vp.height() - top) / R))

    def text_scale(self) -> float:
        if self.fit:
            return 1.0  # the headers' size must not depend on the cell size it is fitted with
        return max(1.0, self.cell_size() / max(1, self.data.read_cell()))

    def cell_at(self, pos) -> tuple[int, int]:
        cell, scale = self.cell_size(), self.text_scale()
        left, top = self.data.header_size(scale)
        x = pos.x() - left + self.horizontalScrollBar().value()
        y = pos.y() - top + self.verticalScrollBar().value()
        r, c = int(y // cell), int(x // cell)
        R, C = self.data.shape
        return (r, c) if pos.x() >= left and pos.y() >= top and 0 <= r < R and 0 <= c < C else (-1, -1)

    def figure(self) -> "MatrixFigure":
        """A widget of the whole matrix at Read size, for File > Export figure…"""
        return MatrixFigure(self.data)

    def to_csv(self, path) -> None:
        write_csv(self.data, path)

    # -- Qt ----------------------------------------------------------------------------------
    def _relayout(self) -> None:
        R, C = self.data.shape
        cell, scale = self.cell_size(), self.text_scale()
        left, top = self.data.header_size(scale)
        vp = self.viewport().size()
        for bar, content, room in ((self.horizontalScrollBar(), C * cell, vp.width() - left),
                                   (self.verticalScrollBar(), R * cell, vp.height() - top)):
            bar.setRange(0, max(0, int(np.ceil(content - room))))
            bar.setPageStep(max(1, room))
            bar.setSingleStep(max(1, int(cell)))
        self.viewport().update()

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self.viewport())
        self.data.paint(p, self.viewport().size(), self.cell_size(), self.text_scale(),
                        (self.horizontalScrollBar().value(), self.verticalScrollBar().value()),
                        self.selected, self.hovered, st.background, st.foreground)
        p.end()

    def scrollContentsBy(self, dx, dy) -> None:
        self.viewport().update()  # headers are frozen: repaint rather than scroll pixels

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def mouseMoveEvent(self, event) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell != self.hovered:
            self.hovered = cell
            self.viewport().update()
            self.cell_hovered.emit(*cell)

    def leaveEvent(self, event) -> None:
        if self.hovered != (-1, -1):
            self.hovered = (-1, -1)
            self.viewport().update()
            self.cell_hovered.emit(-1, -1)
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell != (-1, -1):
            self.set_selected(*cell)
            self.cell_clicked.emit(*cell)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        key, text = event.key(), event.text()
        moves = {Qt.Key_Left: (0, -1), Qt.Key_Right: (0, 1), Qt.Key_Up: (-1, 0), Qt.Key_Down: (1, 0)}
        R, C = self.data.shape
        if text in ("+", "="):
            self.zoom_by(1.25)
        elif text == "-":
            self.zoom_by(0.8)
        elif text.lower() == "f":
            self.set_fit(not self.fit)
        elif key in moves and R:
            r, c = self.selected if self.selected != (-1, -1) else (0, 0)
            dr, dc = moves[key]
            r, c = min(R - 1, max(0, r + dr)), min(C - 1, max(0, c + dc))
            self.set_selected(r, c)
            self.ensure_visible(r, c)
            self.cell_clicked.emit(r, c)
        else:
            super().keyPressEvent(event)

    def ensure_visible(self, r: int, c: int) -> None:
        cell = self.cell_size()
        left, top = self.data.header_size(self.text_scale())
        vp = self.viewport().size()
        for bar, pos, room in ((self.horizontalScrollBar(), c * cell, vp.width() - left),
                               (self.verticalScrollBar(), r * cell, vp.height() - top)):
            if pos < bar.value():
                bar.setValue(int(pos))
            elif pos + cell > bar.value() + room:
                bar.setValue(int(pos + cell - room))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._relayout()


class MatrixFigure(QWidget):
    """The whole matrix at Read size, painted off screen for export (PNG via grab, SVG, CSV)."""

    def __init__(self, data: MatrixData):
        super().__init__()
        self.data = data
        R, C = data.shape
        cell = data.read_cell()
        left, top = data.header_size(1.0)
        self.resize(left + C * cell + 2, top + R * cell + 2)

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        self.data.paint(p, self.size(), self.data.read_cell(), 1.0, background=st.background,
                        foreground=st.foreground)
        p.end()

    def to_csv(self, path) -> None:
        write_csv(self.data, path)
