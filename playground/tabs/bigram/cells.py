"""The bigram matrix's contents and how they are painted: a colour per cell, labels, and each
cell's text, never smaller than the app's font. Shared by the on-screen MatrixView and the
off-screen MatrixFigure used for export."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen

from playground import style as app_style

HIGHLIGHT = "#E69F00"  # Okabe-Ito orange: the selected cell and its row/column labels


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

def write_csv(data: MatrixData, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(["prev\\next"] + [_csv(c) for c in data.cols]) + "\n")
        for label, row in zip(data.rows, data.values):
            f.write(",".join([_csv(label)] + [f"{v:.6g}" for v in row]) + "\n")


def _csv(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text
