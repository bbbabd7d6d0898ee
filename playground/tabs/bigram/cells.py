"""The bigram matrix's contents and how they are painted: a colour per cell, labels, and each
cell's text, never smaller than the app's font. Shared by the on-screen MatrixView and the
off-screen MatrixFigure used for export.

Every row and column keeps its label, however small the cells (issue 13): the labels take the
largest size that fits between the app's label size and a floor (20 px in presentation mode, the
projector's minimum), and when neighbours would still overlap they are staggered over two or
three lanes (row labels side by side, column labels on stacked lines). Only a matrix too small
even for that thins them out. Overlap is judged on the glyphs themselves, so a 'g' above an 'h'
counts its tail.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPixmap

from playground import style as app_style

HIGHLIGHT = "#E69F00"  # Okabe-Ito orange: the selected cell and its row/column labels
PROJECTOR_MIN_PX = 20  # no label under this in presentation mode (issue 13)
LANES = ((1, 1), (2, 1), (1, 2), (2, 2), (3, 2), (2, 3), (3, 3))  # (row, column) lanes, preferred first


@dataclass(frozen=True)
class Labels:
    """How the row and column labels are drawn."""
    px: int  # label font size (bold), the same for rows and columns
    row_lanes: int = 1  # row labels staggered over this many side-by-side lanes
    col_lanes: int = 1  # column labels staggered over this many stacked lines
    every: int = 1  # 1: every label; k: every k-th (only when even three lanes do not fit)


@dataclass(frozen=True)
class Geometry:
    """Where things go: the cell size and the header sizes the labels need (px)."""
    cell: float
    left: int  # width of the row labels' header
    top: int  # height of the column labels' header
    labels: Labels


def label_range(scale: float = 1.0) -> tuple[int, int]:
    """(smallest, largest) label size in px: the app's label size (times `scale` >= 1) down to
    the projector's floor in presentation mode, or to the app's font otherwise."""
    st = app_style.current()
    hi = round(st.font_px * 1.15 * max(1.0, scale))
    lo = max(PROJECTOR_MIN_PX, round(st.font_px * 0.82)) if st.presentation else st.font_px
    return min(lo, hi), hi


class MatrixData:
    """What is drawn: values -> colours, labels, the text of each cell; and how to paint it."""

    def __init__(self):
        self.values = np.zeros((0, 0))
        self.image = QImage()  # one pixel per cell, scaled up when painted
        self.lines: list[list[list[str]]] = []  # each cell's text lines
        self._width_cache: dict = {}  # font heights -> widest first and last lines
        self._label_cache: dict = {}  # label px -> glyph extents of the labels
        self._header_cache: tuple | None = None  # (key, pixmap): the painted headers (see _headers)
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
        rows, cols = [str(r) for r in rows], [str(c) for c in cols]
        if (rows, cols) != (self.rows, self.cols):
            self._label_cache = {}
        self.rows, self.cols = rows, cols
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

    # -- fonts and cells ---------------------------------------------------------------------
    @staticmethod
    def fonts(scale: float = 1.0) -> tuple[QFont, QFont]:
        """(label font at its largest, cell font): never below the app's font_px; `scale` >= 1
        enlarges both."""
        px = round(app_style.current().font_px * max(1.0, scale))
        return label_font(label_range(scale)[1]), _pixel_font(px)

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

    # -- labels: sizes, lanes and headers -----------------------------------------------------
    def _extents(self, px: int) -> dict:
        """The labels' glyph boxes at `px`, relative to the centre of the box each is drawn in."""
        if px not in self._label_cache:
            fm = QFontMetrics(label_font(px))
            h, ascent = fm.height(), fm.ascent()

            def boxes(labels):
                adv = np.array([fm.horizontalAdvance(s) for s in labels] or [0], float)  # (n,)
                tight = [fm.tightBoundingRect(s) for s in labels] or [QRect()]
                x0 = np.array([r.left() for r in tight], float) - adv / 2  # glyph left of centre
                x1 = np.array([r.right() + 1 for r in tight], float) - adv / 2
                y0 = np.array([r.top() for r in tight], float) + ascent - h / 2  # glyph top of centre
                y1 = np.array([r.bottom() + 1 for r in tight], float) + ascent - h / 2
                return adv, x0, x1, y0, y1

            radv, _, _, ry0, ry1 = boxes(self.rows)
            _, cx0, cx1, _, _ = boxes(self.cols)
            self._label_cache[px] = {"h": h, "widest": int(radv.max()), "gap": max(2, round(px / 8)),
                                     "rows": (ry0, ry1), "cols": (cx0, cx1), "need": {}}
        return self._label_cache[px]

    def header_size(self, labels: Labels | float = 1.0) -> tuple[int, int]:
        """(left header width, top header height) in px for these labels (or, given a scale,
        for single-lane labels at the largest size)."""
        if not isinstance(labels, Labels):
            labels = Labels(label_range(labels)[1])
        e = self._extents(labels.px)
        left = labels.row_lanes * e["widest"] + (labels.row_lanes - 1) * 2 * e["gap"] + e["h"] // 2
        top = labels.col_lanes * e["h"] + max(4, e["h"] // 5)
        return left, top

    def pitch_needed(self, px: int, row_lanes: int, col_lanes: int) -> float:
        """The smallest cell size (px) at which neighbours in a lane do not touch."""
        e = self._extents(px)
        key = (row_lanes, col_lanes)
        if key not in e["need"]:
            def need(lo, hi, lanes):  # lo/hi: each glyph's extent from its centre along the axis
                if len(lo) <= lanes:
                    return 0.0
                return float((hi[:-lanes] + e["gap"] - lo[lanes:]).max()) / lanes
            e["need"][key] = max(need(*e["rows"], row_lanes), need(*e["cols"], col_lanes))
        return e["need"][key]

    def overhang(self, px: int) -> tuple[int, int]:
        """How far (px) the last column's letter can reach right of its cell's centre, and the
        last row's below its centre: a Fit matrix keeps that much room at its edges."""
        e = self._extents(px)
        return int(np.ceil(e["cols"][1].max())), int(np.ceil(e["rows"][1].max()))

    def plan(self, cell_for, scale: float = 1.0) -> Geometry:
        """The largest labels, on the fewest lanes, that fit the cell size that
        `cell_for(left, top, right, bottom)` gives for their headers and overhangs (in Fit the
        cells shrink as the headers grow)."""
        lo, hi = label_range(scale)
        for row_lanes, col_lanes in LANES:
            for px in range(hi, lo - 1, -1):
                labels = Labels(px, row_lanes, col_lanes)
                left, top = self.header_size(labels)
                cell = cell_for(left, top, *self.overhang(px))
                if cell >= self.pitch_needed(px, row_lanes, col_lanes):
                    return Geometry(cell, left, top, labels)
        row_lanes, col_lanes = LANES[-1]
        left, top = self.header_size(Labels(lo, row_lanes, col_lanes))
        cell = cell_for(left, top, *self.overhang(lo))
        every = int(np.ceil(self.pitch_needed(lo, row_lanes, col_lanes) / max(cell, 1.0)))
        return Geometry(cell, left, top, Labels(lo, row_lanes, col_lanes, max(1, every)))

    def min_size(self, row_lanes: int, col_lanes: int) -> QSize:
        """The smallest matrix whose labels fit at the floor size on that many lanes."""
        lo, _ = label_range()
        labels = Labels(lo, row_lanes, col_lanes)
        left, top = self.header_size(labels)
        cell = self.pitch_needed(lo, row_lanes, col_lanes)
        right, bottom = self.overhang(lo)
        R, C = self.shape
        return QSize(int(np.ceil(left + C * cell)) + right + 2, int(np.ceil(top + R * cell)) + bottom + 2)

    def label_boxes(self, g: Geometry, size: QSize, offset=(0, 0), extra=()) -> list[tuple[int, int, QRect]]:
        """(axis 0 rows / 1 columns, index, box it is centred in) of every label drawn in a
        `size` area scrolled by `offset`; `extra` (axis, index) are drawn even when thinned."""
        R, C = self.shape
        e = self._extents(g.labels.px)
        h, widest, gap = e["h"], e["widest"], e["gap"]
        ox, oy = offset
        lab = g.labels
        c0, r0 = max(0, int(ox // g.cell)), max(0, int(oy // g.cell))
        c1 = min(C, int((ox + size.width() - g.left) // g.cell) + 1)
        r1 = min(R, int((oy + size.height() - g.top) // g.cell) + 1)
        span = max(g.cell, widest + 2)
        out = []
        for c in range(c0, c1):
            if c % lab.every and (1, c) not in extra:
                continue
            lane = (c // lab.every) % lab.col_lanes  # lane 0 is the line next to the cells
            x = round(g.left + (c + 0.5) * g.cell - span / 2 - ox)
            out.append((1, c, QRect(x, g.top - (lane + 1) * h - max(4, h // 5) // 2, round(span), h)))
        for r in range(r0, r1):
            if r % lab.every and (0, r) not in extra:
                continue
            lane = (r // lab.every) % lab.row_lanes  # lane 0 is the one next to the cells
            x = g.left - h // 4 - (lane + 1) * widest - lane * 2 * gap
            out.append((0, r, QRect(x, round(g.top + (r + 0.5) * g.cell - h / 2 - oy), widest, h)))
        return out

    def glyph_box(self, px: int, axis: int, index: int, box: QRect) -> QRect:
        """Where the ink of a label drawn centred in `box` lies (for tests of overlap)."""
        fm = QFontMetrics(label_font(px))
        text = (self.rows, self.cols)[axis][index]
        tight = fm.tightBoundingRect(text)
        x = box.x() + (box.width() - fm.horizontalAdvance(text)) / 2  # as drawText centres it
        y = box.y() + (box.height() - fm.height()) / 2 + fm.ascent()  # the baseline
        return QRect(round(x + tight.left()), round(y + tight.top()), tight.width(), tight.height())

    # -- painting ----------------------------------------------------------------------------
    # Painter calls are batched: one image for all the colours, one pen and font per group of
    # texts. Besides being fast this matters with PySide6 6.12 on Python < 3.12, where every
    # call of a void C++ method drops a reference to None (a few thousand calls per repaint
    # used to abort the interpreter with "deallocating None").
    def paint(self, p: QPainter, size: QSize, g: Geometry, text_scale: float = 1.0, offset=(0, 0),
              selected=(-1, -1), hovered=(-1, -1), background="#ffffff", foreground="#111111") -> None:
        """Paint headers and the visible cells into a `size` area scrolled by `offset` px."""
        R, C = self.shape
        _, cell_font = self.fonts(text_scale)
        cell, left, top = g.cell, g.left, g.top
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
        self._headers(p, size, g, offset, selected, hovered, background, foreground)

    def _cell_texts(self, p, cell, x0, y0, visible, cell_font) -> None:
        """Both lines if every cell's fit at the font's size, else every value alone, else no
        text: never shrunk below the app's font, and one rule for all cells (a matrix where only
        the short numbers show would mislead). The colours speak when the text cannot."""
        r0, r1, c0, c1 = visible
        bold = _bold(cell_font)
        fm, bold_fm = QFontMetrics(cell_font), QFontMetrics(bold)
        h, room_w, room_h = fm.height(), cell - 4, cell - 2
        if h > room_h:  # before measuring 2 x 729 texts (after each new matrix): ~20 ms a live paint
            return
        widths = self._widths(fm, bold_fm)  # (widest first line, widest last line)
        lines_shown = 2 if (self.lines and len(self.lines[0][0]) > 1 and 2 * h <= room_h
                            and max(widths) <= room_w) else 1
        if widths[1] > room_w:
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

    def _headers(self, p, size, g: Geometry, offset, selected, hovered, background, foreground) -> None:
        """The row and column headers, painted once per size, scroll, font, labels and marks into
        a pixmap and blitted after that: drawing their 54 texts took ~50 ms a paint, and a live
        run repaints the cells (not the headers) several times a second."""
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        key = (size.width(), size.height(), dpr, g, tuple(offset), tuple(selected), tuple(hovered), background,
               foreground, tuple(self.rows), tuple(self.cols))
        if self._header_cache is None or self._header_cache[0] != key:
            pixmap = QPixmap(round(size.width() * dpr), round(size.height() * dpr))
            pixmap.setDevicePixelRatio(dpr)
            pixmap.fill(Qt.transparent)
            painter = QPainter(pixmap)
            self._paint_headers(painter, size, g, offset, selected, hovered, background, foreground)
            painter.end()
            self._header_cache = (key, pixmap)
        pixmap = self._header_cache[1]
        for rect in (QRect(0, 0, size.width(), g.top), QRect(0, g.top, g.left, size.height() - g.top)):
            p.drawPixmap(rect, pixmap, QRectF(rect.x() * dpr, rect.y() * dpr, rect.width() * dpr,
                                              rect.height() * dpr).toRect())

    def _paint_headers(self, p, size, g: Geometry, offset, selected, hovered, background, foreground) -> None:
        p.fillRect(QRect(0, 0, size.width(), g.top), QColor(background))
        p.fillRect(QRect(0, 0, g.left, size.height()), QColor(background))
        fills = {selected: HIGHLIGHT, hovered: foreground}  # (row, col) -> fill of its labels
        marked = {(axis, cell[axis]) for cell in fills for axis in (0, 1) if cell[axis] >= 0}
        jobs: dict[str, list] = {}  # pen colour -> [(rect, text)]
        for axis, index, rect in self.label_boxes(g, size, offset, extra=marked):
            fill = next((color for cell, color in fills.items() if cell[axis] == index >= 0), None)
            if fill is not None:
                p.fillRect(rect, QColor(fill))
            text = (self.rows, self.cols)[axis][index]
            jobs.setdefault(background if fill == foreground else foreground, []).append((rect, text))
        p.setFont(label_font(g.labels.px))
        for color, items in jobs.items():
            p.setPen(QColor(color))
            for rect, text in items:
                p.drawText(rect, Qt.AlignCenter, text)
        p.fillRect(QRect(0, 0, g.left, g.top), QColor(background))  # the corner, over scrolled labels


def label_font(px: int) -> QFont:
    return _bold(_pixel_font(px))


def _pixel_font(px: int) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, int(px)))
    return font


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
