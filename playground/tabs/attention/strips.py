"""Vectors as colour strips: one row of cells per vector, a label above it, the numbers in the
cells where they fit and on hover everywhere. Signed values are blue (negative) to orange
(positive) through white, each row scaled to its own largest magnitude; probabilities and
attention weights go from 0 to 1 on the app's colour map."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground import style as app_style
from playground.widgets.plot_style import font

NEGATIVE, POSITIVE = np.array([0, 114, 178]), np.array([213, 94, 0])  # Okabe & Ito blue, vermillion


@dataclass
class Row:
    label: str  # what the vector is, e.g. "in: x"
    values: np.ndarray  # (n,)
    kind: str = "signed"  # "signed" (scaled to the largest |value|) or "prob" (0 to 1)
    columns: list[str] | None = None  # a name under each cell (characters, positions), if any
    inline: bool = False  # the label left of the strip (short labels of rows that belong together)


def fmt(v: float) -> str:
    text = f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"
    return text.replace("-", "−")


def _smallest(fm: QFontMetrics) -> int:
    """The lowest a strip's cells go to fit a stage in the window (still a bar, not a line)."""
    return round(fm.height() * 0.8)


class StripsView(QWidget):
    """set_rows([Row, ...]); hover a cell for its index and value."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[Row] = []
        self._cells: list[tuple[QRectF, int, int]] = []  # (rect, row, column) of the last paint
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)  # may shrink to its minimum
        lut = pg.colormap.get(app_style.current().colormap).getLookupTable(0.0, 1.0, 256, alpha=False)
        self._lut = np.asarray(lut, dtype=np.uint8)  # (256, 3)
        app_style.bus().changed.connect(self._on_style_changed)

    def set_rows(self, rows: list[Row]) -> None:
        self.rows = [Row(r.label, np.asarray(r.values, float).ravel(), r.kind, r.columns, r.inline) for r in rows]
        self.updateGeometry()
        self.update()

    # -- geometry ------------------------------------------------------------------------------
    def _metrics(self, height: int | None = None):
        """Style, fonts and the cells' height: 1.5 lines, less (down to 0.8 line) when the rows
        would not fit in `height`, so that a stage's output is not scrolled out of a projector."""
        st = app_style.current()
        fm = QFontMetrics(font(st))
        small = QFontMetrics(font(st, 0.85))
        cell_h = round(fm.height() * 1.5)
        strips = sum(1 for r in self.rows if len(r.values))
        if height is not None and strips:
            spare = height - self._total(fm, small, 0)
            cell_h = max(_smallest(fm), min(cell_h, int(spare // strips)))
        return st, fm, small, cell_h

    def _row_height(self, row: Row, fm, small, cell_h) -> int:
        if not len(row.values):  # a heading
            return fm.height()
        label = 0 if row.inline else fm.height()
        return label + cell_h + (small.height() if row.columns else 0) + fm.height() // (4 if row.inline else 2)

    def _total(self, fm, small, cell_h) -> int:
        return sum(self._row_height(r, fm, small, cell_h) for r in self.rows) + 4

    def sizeHint(self) -> QSize:
        _, fm, small, cell_h = self._metrics()
        return QSize(600, self._total(fm, small, cell_h))

    def minimumSizeHint(self) -> QSize:  # the cells at their smallest: a scroll bar only below that
        return QSize(200, self.minimum_height(self.rows))

    def minimum_height(self, rows: list[Row]) -> int:
        """The height these rows need with the cells at their smallest (one line)."""
        kept, self.rows = self.rows, rows
        try:
            _, fm, small, _ = self._metrics()
            return self._total(fm, small, _smallest(fm))
        finally:
            self.rows = kept

    def colour(self, row: Row, v: float, scale: float) -> QColor:
        if row.kind == "prob":
            return QColor(*self._lut[int(np.clip(v, 0, 1) * 255)])
        w = min(1.0, abs(v) / scale) if scale > 0 else 0.0
        end = POSITIVE if v >= 0 else NEGATIVE
        return QColor(*(255 + (end - 255) * w).round().astype(int))

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        st, fm, small, cell_h = self._metrics(self.height())
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        self._cells = []
        y = 2
        inline_w = max([fm.horizontalAdvance(r.label) + fm.height() // 2 for r in self.rows if r.inline] + [0])
        for i, row in enumerate(self.rows):
            n = max(1, len(row.values))
            x0 = 4 + (inline_w if row.inline else 0)
            width = self.width() - 4 - x0
            cell_w = width / n
            numbers = small.horizontalAdvance("−0.00") + 4 <= cell_w
            # probabilities in narrow cells: whole percentages, which fit where 0.00 does not
            percent = row.kind == "prob" and not numbers and small.horizontalAdvance("00") + 4 <= cell_w
            label = row.label + (" (in %)" if percent and len(row.values) else "")
            p.setFont(font(st))
            p.setPen(QColor(st.foreground))
            if row.inline:
                p.drawText(QRectF(4, y, inline_w, cell_h), Qt.AlignLeft | Qt.AlignVCenter, label)
            else:
                p.drawText(QRectF(4, y, self.width() - 8, fm.height()), Qt.AlignLeft | Qt.AlignVCenter, label)
                y += fm.height()
            if not len(row.values):
                continue
            scale = float(np.abs(row.values).max(initial=0.0))
            p.setFont(font(st, 0.85))
            for j, v in enumerate(row.values):
                r = QRectF(x0 + j * cell_w, y, cell_w, cell_h)
                c = self.colour(row, v, scale)
                p.fillRect(r, c)
                self._cells.append((r, i, j))
                if numbers or percent:
                    p.setPen(QColor("#111111") if c.lightness() > 120 else QColor("#ffffff"))
                    p.drawText(r, Qt.AlignCenter, fmt(v) if numbers else f"{100 * v:.0f}")
            p.setPen(QPen(QColor(st.muted), 1))
            p.setBrush(Qt.NoBrush)
            p.drawRect(QRectF(x0, y, width, cell_h))
            y += cell_h
            if row.columns:
                p.setPen(QColor(st.foreground))
                widest = max(small.horizontalAdvance(c) for c in row.columns) + small.height() // 3
                every = max(1, int(np.ceil(widest / max(cell_w, 1e-9))))
                for j in range(0, len(row.columns), every):
                    p.drawText(QRectF(x0 + j * cell_w, y, cell_w * every, small.height()),
                               Qt.AlignLeft | Qt.AlignTop if every > 1 else Qt.AlignHCenter | Qt.AlignTop,
                               row.columns[j])
                y += small.height()
            y += fm.height() // (4 if row.inline else 2)

    # -- mouse ---------------------------------------------------------------------------------
    def cell_at(self, pos) -> tuple[int, int] | None:
        for r, i, j in self._cells:
            if r.contains(pos):
                return i, j
        return None

    def mouseMoveEvent(self, event) -> None:
        hit = self.cell_at(event.position())
        if hit is None:
            QToolTip.hideText()
            return
        row = self.rows[hit[0]]
        j = hit[1]
        name = f"'{row.columns[j]}'" if row.columns else f"[{j}]"
        QToolTip.showText(event.globalPosition().toPoint(), f"{row.label} {name} = {row.values[j]:.4f}", self)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.updateGeometry()
        self.update()
