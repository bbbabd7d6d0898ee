"""The bigram table as a big labelled matrix that stays readable from the back of a room.

Cells are painted with QPainter (729 cells with two lines each repaint in a few milliseconds)
and their text is never drawn smaller than the app's font. "Read" size makes every cell large
enough for its text; "Fit" shows the whole matrix and draws only the text that still fits, so
the colours carry the picture and hovering tells the numbers. Every row and column keeps its
label (cells.py staggers them when cells are small). When the matrix is larger than the view it
scrolls, with the row and column labels frozen at the left and top like a spreadsheet.
Ctrl+wheel or +/- zoom; the text grows with the cells.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPoint, QSize, Qt, Signal, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from playground import style as app_style
from playground.tabs.bigram.cells import Geometry, MatrixData, write_csv

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0


class MatrixView(QAbstractScrollArea):
    """The scrollable, zoomable matrix. set_matrix(values, rows, cols, text=None, levels=None).

    In Fit it asks the layout for room to label every row and column at the floor size on at
    most `min_lanes` (row lanes, column lanes): a window too narrow for that folds its controls."""
    cell_hovered = Signal(int, int)  # row, column; (-1, -1) when the mouse leaves the cells
    cell_clicked = Signal(int, int)
    zoom_changed = Signal()

    def __init__(self, parent=None, fit: bool = False, min_lanes: tuple[int, int] = (2, 2)):
        super().__init__(parent)
        self.data = MatrixData()
        self.fit = fit
        self.min_lanes = min_lanes
        self.zoom = 1.0  # cell size relative to the "Read" size
        self.selected = (-1, -1)
        self.hovered = (-1, -1)
        self._geom: Geometry | None = None  # cell and header sizes for the current viewport
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setToolTip("Hover or click a cell for its numbers. Ctrl+wheel or +/- zoom, "
                        "F fits the whole matrix, arrow keys move the selection.")
        app_style.bus().changed.connect(self._on_style_changed)

    # -- public ------------------------------------------------------------------------------
    def set_matrix(self, values, rows, cols, text=None, levels=None, colormap=None) -> None:
        shape = self.data.shape
        self.data.set(values, rows, cols, text, levels, colormap)
        if self.data.shape != shape:
            self.updateGeometry()  # the room it asks for depends on the labels
        self._relayout()

    def set_fit(self, on: bool) -> None:
        self.fit = on
        if not on:
            self.zoom = 1.0
        self.updateGeometry()
        self._relayout()
        self.zoom_changed.emit()

    def zoom_by(self, factor: float) -> None:
        self.zoom = float(np.clip(self.cell_size() / self.data.read_cell() * factor, MIN_ZOOM, MAX_ZOOM))
        self.fit = False
        self.updateGeometry()
        self._relayout()
        self.zoom_changed.emit()

    def set_selected(self, row: int, col: int) -> None:
        self.selected = (row, col)
        self.viewport().update()

    def geom(self) -> Geometry:
        """Cell size, header sizes and how the labels are drawn, for the viewport as it is."""
        if self._geom is None:
            self._geom = self._plan()
        return self._geom

    def cell_size(self) -> float:
        return self.geom().cell

    def text_scale(self) -> float:
        if self.fit:
            return 1.0  # cell text stays at the app's size; it shows where it fits
        return max(1.0, self.zoom)

    def cell_at(self, pos) -> tuple[int, int]:
        g = self.geom()
        x = pos.x() - g.left + self.horizontalScrollBar().value()
        y = pos.y() - g.top + self.verticalScrollBar().value()
        r, c = int(y // g.cell), int(x // g.cell)
        R, C = self.data.shape
        return (r, c) if pos.x() >= g.left and pos.y() >= g.top and 0 <= r < R and 0 <= c < C else (-1, -1)

    def cell_center(self, r: int, c: int):
        """The viewport point at the middle of cell (r, c) as scrolled now."""
        g = self.geom()
        return QPoint(int(g.left + (c + 0.5) * g.cell - self.horizontalScrollBar().value()),
                      int(g.top + (r + 0.5) * g.cell - self.verticalScrollBar().value()))

    def drawn_labels(self) -> list[tuple[int, int, str, object, int]]:
        """(axis 0 rows / 1 columns, index, text, where its ink lies in the viewport, font px) of
        every label painted now: what tests read to check that none is missing, small or overlapping."""
        g, vp = self.geom(), self.viewport().size()
        offset = (self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        out = []
        for axis, index, box in self.data.label_boxes(g, vp, offset):
            text = (self.data.rows, self.data.cols)[axis][index]
            out.append((axis, index, text, self.data.glyph_box(g.labels.px, axis, index, box), g.labels.px))
        return out

    def figure(self) -> "MatrixFigure":
        """A widget of the whole matrix at Read size, for File > Export figure…"""
        return MatrixFigure(self.data)

    def to_csv(self, path) -> None:
        write_csv(self.data, path)

    # -- Qt ----------------------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:
        R, C = self.data.shape
        if not self.fit or R == 0:
            return super().minimumSizeHint()
        frame = 2 * self.frameWidth()
        return self.data.min_size(*self.min_lanes) + QSize(frame, frame)

    def _plan(self) -> Geometry:
        R, C = self.data.shape
        vp = self.viewport().size()
        if self.fit and R:
            def cell_for(left, top, right, bottom):
                # every cell inside, and the last row's and column's letters too (they are centred
                # on their cells and may reach past them)
                w, h = vp.width() - 2, vp.height() - 2
                return max(4.0, min((w - left) / C, (w - left - right) / (C - 0.5),
                                    (h - top) / R, (h - top - bottom) / (R - 0.5)))
        else:
            read = self.data.read_cell() * self.zoom

            def cell_for(left, top, right, bottom):
                return read
        g = self.data.plan(cell_for, self.text_scale())
        if self.fit and R:  # the whole matrix, in the middle of the room it has
            dx = max(0, int((vp.width() - g.left - C * g.cell) // 2))
            dy = max(0, int((vp.height() - g.top - R * g.cell) // 2))
            g = replace(g, left=g.left + dx, top=g.top + dy)
        return g

    def _relayout(self) -> None:
        self._geom = None
        g = self.geom()
        R, C = self.data.shape
        vp = self.viewport().size()
        for bar, content, room in ((self.horizontalScrollBar(), C * g.cell, vp.width() - g.left),
                                   (self.verticalScrollBar(), R * g.cell, vp.height() - g.top)):
            bar.setRange(0, max(0, int(np.ceil(content - room))))
            bar.setPageStep(max(1, room))
            bar.setSingleStep(max(1, int(g.cell)))
        self.viewport().update()

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self.viewport())
        self.data.paint(p, self.viewport().size(), self.geom(), self.text_scale(),
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
        g = self.geom()
        vp = self.viewport().size()
        for bar, pos, room in ((self.horizontalScrollBar(), c * g.cell, vp.width() - g.left),
                               (self.verticalScrollBar(), r * g.cell, vp.height() - g.top)):
            if pos < bar.value():
                bar.setValue(int(pos))
            elif pos + g.cell > bar.value() + room:
                bar.setValue(int(pos + g.cell - room))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.updateGeometry()
        self._relayout()


class MatrixFigure(QWidget):
    """The whole matrix at Read size, painted off screen for export (PNG via grab, SVG, CSV)."""

    def __init__(self, data: MatrixData):
        super().__init__()
        self.data = data
        R, C = data.shape
        cell = data.read_cell()
        self.geom = data.plan(lambda left, top, right, bottom: cell)
        self.resize(self.geom.left + C * cell + 2, self.geom.top + R * cell + 2)

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        self.data.paint(p, self.size(), self.geom, 1.0, background=st.background, foreground=st.foreground)
        p.end()

    def to_csv(self, path) -> None:
        write_csv(self.data, path)
