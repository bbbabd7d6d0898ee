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
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from playground import style as app_style

HIGHLIGHT = "#E69F00"  # Okabe-Ito orange: the selected cell and its row/column labels
MIN_ZOOM, MAX_ZOOM = 0.15, 4.0


class MatrixData:
    """What is drawn: values -> colours, labels, the text of each cell; and how to paint it."""

    def __init__(self):
        self.values = np.zeros((0, 0))
        self.image = QImage()  # one pixel per cell, scaled up when painted
        self.lines: list[list[list[str]]] = []  # each cell's text lines
        self._width_cache: dict = {}  # font heights -> widest first and last lines
        self.text_dark: np.ndarray = np.zeros((0, 0), bool)
        self.rows: list[str] = []
        self.cols: list[str] = []
        self.text: np.ndarray | None = None  # (R, C) object array of "line1\nline2"
        self.levels = (0.0, 1.0)
        self.colormap = "viridis"

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def set(self, values, rows, cols, text=None, levels=None, colormap=None) -> None:
        values = np.asarray(values, dtype=np.float64)  # (R, C)
        finite = values[np.isfinite(values)]
        if levels is None:
            levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        lo, hi = levels
        self.values, self.levels = values, (lo, hi if hi > lo else lo + 1e-12)
        self.rows, self.cols = [str(r) for r in rows], [str(c) for c in cols]
        self.text = None if text is None else np.asarray(text, dtype=object)
        self.colormap = colormap or self.colormap
        lut = pg.colormap.get(self.colormap).getLookupTable(0.0, 1.0, 256, alpha=False)  # (256, 3)
        frac = (np.nan_to_num(values, nan=lo, neginf=lo, posinf=hi) - lo) / (self.levels[1] - lo)
        rgb = lut[np.clip((frac * 255).round(), 0, 255).astype(int)]  # (R, C, 3)
        rgb[np.isnan(values)] = (150, 150, 150)  # undefined: neutral grey
        luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])  # (R, C)
        self.text_dark = luminance > 140
        R, C = values.shape
        pixels = np.ascontiguousarray(rgb.astype(np.uint8))  # (R, C, 3)
        self.image = QImage(pixels.tobytes(), C, R, 3 * C, QImage.Format_RGB888).copy()
        self.lines = [[str(t).split("\n") for t in row] for row in self.text] if self.text is not None else []
        self._width_cache: dict = {}

    # -- geometry ----------------------------------------------------------------------------
    @staticmethod
    def fonts(scale: float = 1.0) -> tuple[QFont, QFont]:
        """(label font, cell font): never below the app's font_px; `scale` >= 1 enlarges both."""
        px = round(app_style.current().font_px * max(1.0, scale))
        label, cell = QFont(), QFont()
        label.setPixelSize(round(px * 1.15))
        label.setBold(True)
        cell.setPixelSize(px)
        return label, cell

    def read_cell(self) -> int:
        """The cell size (px) at which every cell's text fits at the app's font size."""
        _, cell_font = self.fonts()
        fm, bold = QFontMetrics(cell_font), QFontMetrics(_bold(cell_font))
        pad = max(4, fm.height() // 3)
        width = max((fm.horizontalAdvance(s) for s in self.cols), default=fm.height())
        lines = 1
        if self.text is not None and self.text.size:
            parts = [str(t).split("\n") for t in self.text.ravel()]
            lines = max(len(p) for p in parts)
            width = max(width, max(bold.horizontalAdvance(p[0]) for p in parts),
                        max(fm.horizontalAdvance(p[-1]) for p in parts))
        return max(width + 2 * pad, lines * fm.height() + pad)

    def header_size(self, scale: float) -> tuple[int, int]:
        """(left header width, top header height) in px."""
        label_font, _ = self.fonts(scale)
        fm = QFontMetrics(label_font)
        widest = max((fm.horizontalAdvance(s) for s in self.rows), default=fm.height())
        return widest + fm.height(), fm.height() + fm.height() // 2

    # -- painting ----------------------------------------------------------------------------
    # Painter calls are batched: one image for all the colours, one pen and font per group of
    # texts. Besides being fast this matters with PySide6 6.12 on Python < 3.12, where every
    # call of a void C++ method drops a reference to None (a few thousand calls per repaint
    # used to abort the interpreter with "deallocating None").
    def paint(self, p: QPainter, size: QSize, cell: float, scale: float, offset=(0, 0),
              selected=(-1, -1), hovered=(-1, -1), background="#ffffff", foreground="#111111") -> None:
        """Paint headers and the visible cells into a `size` area scrolled by `offset` px."""
        R, C = self.shape
        label_font, cell_font = self.fonts(scale)
        left, top = self.header_size(scale)
        ox, oy = offset
        p.fillRect(QRect(QPoint(0, 0), size), QColor(background))
        if R == 0 or C == 0:
            return
        c0, r0 = max(0, int(ox // cell)), max(0, int(oy // cell))
        c1 = min(C, int((ox + size.width() - left) // cell) + 1)
        r1 = min(R, int((oy + size.height() - top) // cell) + 1)
        p.save()
        p.setClipRect(QRect(left, top, size.width() - left, size.height() - top))
        p.drawImage(QRectF(left - ox, top - oy, C * cell, R * cell), self.image)  # a pixel per cell
        if self.text is not None:
            self._cell_texts(p, cell, left - ox, top - oy, (r0, r1, c0, c1), cell_font)
        p.setBrush(Qt.NoBrush)
        for (r, c), width, color in ((hovered, 2, foreground), (selected, 4, HIGHLIGHT)):
            if 0 <= r < R and 0 <= c < C:
                p.setPen(QPen(QColor(color), width))
                p.drawRect(QRect(round(left + c * cell - ox) + width // 2, round(top + r * cell - oy) + width // 2,
                                 round(cell) - width, round(cell) - width))
        p.restore()
        self._headers(p, size, cell, label_font, left, top, ox, oy, (r0, r1, c0, c1),
                      selected, hovered, background, foreground)

    def _cell_texts(self, p, cell, x0, y0, visible, cell_font) -> None:
        """Both lines if every cell's fit at the font's size, else every value alone, else no
        text: never shrunk below the app's font, and one rule for all cells (a matrix where only
        the short numbers show would mislead). The colours speak when the text cannot."""
        r0, r1, c0, c1 = visible
        bold = _bold(cell_font)
        fm, bold_fm = QFontMetrics(cell_font), QFontMetrics(bold)
        h, room_w, room_h = fm.height(), cell - 4, cell - 2
        widths = self._widths(fm, bold_fm)  # (widest first line, widest last line)
        lines_shown = 2 if (self.lines and len(self.lines[0][0]) > 1 and 2 * h <= room_h
                            and max(widths) <= room_w) else 1
        if h > room_h or widths[1] > room_w:
            return
        groups: dict[tuple[bool, bool], list] = {}  # (dark text, bold) -> [(rect, text)]
        for r in range(r0, r1):
            for c in range(c0, c1):
                lines = self.lines[r][c][-lines_shown:]
                x, y = round(x0 + c * cell), round(y0 + r * cell + (cell - h * len(lines)) / 2)
                for i, line in enumerate(lines):
                    key = (bool(self.text_dark[r, c]), i == 0 and len(lines) > 1)
                    groups.setdefault(key, []).append((QRect(x, y + i * h, round(cell), h), line))
        for (dark, is_bold), items in groups.items():
            p.setPen(QColor("#111111" if dark else "#ffffff"))
            p.setFont(bold if is_bold else cell_font)
            for rect, line in items:
                p.drawText(rect, Qt.AlignCenter, line)

    def _widths(self, fm: QFontMetrics, bold_fm: QFontMetrics) -> tuple[int, int]:
        key = (fm.height(), bold_fm.height())
        if key not in self._width_cache:
            cells = [lines for row in self.lines for lines in row]
            self._width_cache[key] = (max((bold_fm.horizontalAdvance(x[0]) for x in cells), default=0),
                                      max((fm.horizontalAdvance(x[-1]) for x in cells), default=0))
        return self._width_cache[key]

    def _headers(self, p, size, cell, font, left, top, ox, oy, visible, selected, hovered,
                 background, foreground) -> None:
        r0, r1, c0, c1 = visible
        fm = QFontMetrics(font)
        every = max(1, int(np.ceil(fm.height() / max(cell, 1))))  # thin labels out when cells are small
        span = max(cell, fm.height())  # a label's box: its cell, or one text line when cells are small
        p.fillRect(QRect(0, 0, size.width(), top), QColor(background))
        p.fillRect(QRect(0, 0, left, size.height()), QColor(background))
        fills = {selected: HIGHLIGHT, hovered: foreground}  # (row, col) -> fill of its labels
        jobs: dict[str, list] = {}  # pen colour -> [(rect, text)]
        for c in range(c0, c1):
            rect = QRect(round(left + (c + 0.5) * cell - span / 2 - ox), 0, round(span), top)
            self._label_job(jobs, p, rect, self.cols[c], c, 1, fills, every, foreground, background)
        for r in range(r0, r1):
            rect = QRect(0, round(top + (r + 0.5) * cell - span / 2 - oy), left, round(span))
            self._label_job(jobs, p, rect, self.rows[r], r, 0, fills, every, foreground, background)
        p.setFont(font)
        for color, items in jobs.items():
            p.setPen(QColor(color))
            for rect, text in items:
                p.drawText(rect, Qt.AlignCenter, text)
        p.fillRect(QRect(0, 0, left, top), QColor(background))  # the corner, over scrolled labels

    @staticmethod
    def _label_job(jobs, p, rect, text, index, axis, fills, every, foreground, background) -> None:
        fill = next((color for cell, color in fills.items() if cell[axis] == index >= 0), None)
        if fill is None and index % every:
            return
        if fill is not None:
            p.fillRect(rect, QColor(fill))
        jobs.setdefault(background if fill == foreground else foreground, []).append((rect, text))


def _bold(font: QFont) -> QFont:
    f = QFont(font)
    f.setBold(True)
    return f


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


def write_csv(data: MatrixData, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(["prev\\next"] + [_csv(c) for c in data.cols]) + "\n")
        for label, row in zip(data.rows, data.values):
            f.write(",".join([_csv(label)] + [f"{v:.6g}" for v in row]) + "\n")


def _csv(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text
