"""A labelled heatmap: a matrix as an image, labels on both axes, a colour bar, optional text in
each cell, and hover/click signals with the cell's (row, column)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QFontMetrics

from playground import style as app_style
from playground.widgets.plot_style import font, style_plot_item


class Heatmap(pg.GraphicsLayoutWidget):
    """set_matrix(values, row_labels, col_labels, cell_text=None, levels=None).

    Row 0 is drawn at the top. NaN cells are drawn as masked (the background shows through,
    hatched grey). Cell texts are TextItems made once per shape and updated in place.

    Drawing is kept within a live view's budget: `values` is set at once, but a hidden heatmap
    only remembers the last matrix and draws it when shown, and axes, ticks and cell texts are
    touched only when they change (re-laying out an axis costs more than drawing the image).
    """
    cell_hovered = Signal(int, int)  # row, column (-1, -1 when leaving the matrix)
    cell_clicked = Signal(int, int)

    def __init__(self, parent=None, title: str = "", colormap: str | None = None, colorbar: bool = True,
                 x_label: str = "", y_label: str = "", cell_font_scale: float = 1.0):
        super().__init__(parent)
        self._title = title
        self._colormap_name = colormap
        self.cell_font_scale = cell_font_scale
        self.values = np.zeros((0, 0))
        self._texts: list[pg.TextItem] = []
        self._cell_text_on = False
        self._cells_fit = True
        self._text_shape = (0, 0)
        self._shown_text: list = []  # (text, light) each cell text shows now
        self._cell_text_was_on = False
        self._pending = None  # (row_labels, col_labels, cell_text, levels) not yet drawn
        self._empty: bool | None = None
        self._tick_keys: dict[str, tuple | None] = {}
        self._shape = None
        self._hover = (-1, -1)
        self.plot = self.addPlot()
        self.plot.setMenuEnabled(True)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.invertY(True)
        self.plot.setAspectLocked(False)
        if x_label:
            self.plot.setLabel("bottom", x_label)
        if y_label:
            self.plot.setLabel("left", y_label)
        self.mask_item = pg.ImageItem()  # grey hatch under NaN cells
        self.image = pg.ImageItem()
        self.plot.addItem(self.mask_item)
        self.plot.addItem(self.image)
        self.colorbar = None
        if colorbar:
            self.colorbar = pg.ColorBarItem(colorMap=self._colormap(), interactive=False, width=18)
            self.colorbar.setImageItem(self.image, insert_in=self.plot)
        else:
            self.image.setColorMap(self._colormap())
        self.empty_text = pg.TextItem("nothing to show yet", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty_text)
        self.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self._apply(app_style.current())
        self._show_empty(True)
        app_style.bus().changed.connect(self._on_style_changed)

    def _show_empty(self, empty: bool) -> None:
        """No matrix yet: no meaningless axis numbers, a sentence instead."""
        if empty == self._empty:
            return
        self._empty = empty
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setStyle(showValues=not empty)
        self.empty_text.setVisible(empty)
        if empty:
            self.plot.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
            self.empty_text.setPos(0, 0)

    def showEvent(self, event):
        super().showEvent(event)
        self._catch_up()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_cell_text()

    def _fit_cell_text(self) -> None:
        """Numbers in cells are shown only where they fit at a readable size: a cell too small
        hides its number rather than shrink it (hover still tells the value)."""
        if not getattr(self, "_texts", None):  # resized while being built
            return
        R, C = self._text_shape
        box = self.plot.vb.sceneBoundingRect()
        cell_w, cell_h = box.width() / max(C, 1), box.height() / max(R, 1)
        f = self._texts[0].textItem.font()
        px = f.pixelSize() if f.pixelSize() > 0 else f.pointSizeF() * 96 / 72
        metrics = QFontMetrics(f)
        widest = max((metrics.horizontalAdvance(t.textItem.toPlainText()) for t in self._texts), default=0)
        st = app_style.current()
        fits = px >= (20 if st.presentation else 10) and widest + 4 <= cell_w and px * 1.1 <= cell_h
        self._cells_fit = fits
        for t in self._texts:
            t.setVisible(fits and self._cell_text_on)

    def minimumSizeHint(self):
        # As small as the plot's title, axes and labels allow: a layout squeezed below that
        # (a splitter in presentation mode) would draw the plot past the widget's right edge.
        size = self.ci.effectiveSizeHint(Qt.MinimumSize)
        return QSize(int(size.width()) + 2, int(size.height()) + 2)

    def _colormap(self):
        return pg.colormap.get(self._colormap_name or app_style.current().colormap)

    def set_colormap(self, name: str) -> None:
        self._colormap_name = name
        if self.colorbar is not None:
            self.colorbar.setColorMap(self._colormap())
        else:
            self.image.setColorMap(self._colormap())

    def set_matrix(self, values, row_labels=None, col_labels=None, cell_text=None, levels=None) -> None:
        """values (R, C); labels: sequences of strings; cell_text: (R, C) array of strings or None;
        levels: (lo, hi) for the colours, default the finite min and max. While the heatmap is
        hidden, only `values` changes now; the rest is drawn when it is shown."""
        self.values = np.asarray(values, dtype=np.float64)
        self._pending = (row_labels, col_labels, cell_text, levels)
        if self.isVisible():
            self._catch_up()

    def _catch_up(self) -> None:
        """Draw the matrix last given to set_matrix, if it is not drawn yet."""
        if self._pending is None:
            return
        row_labels, col_labels, cell_text, levels = self._pending
        self._pending = None
        values = self.values
        R, C = values.shape
        self._show_empty(values.size == 0)
        finite = values[np.isfinite(values)]
        if levels is None:
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            levels = (lo, hi if hi > lo else lo + 1e-9)
        self.image.setImage(values, autoLevels=False, levels=levels)
        nan = ~np.isfinite(values)
        if nan.any() or self.mask_item.isVisible():
            self.mask_item.setImage(np.where(nan, 0.55, np.nan), autoLevels=False, levels=(0, 1))
            self.mask_item.setVisible(bool(nan.any()))
        if (R, C) != self._shape:
            self._shape = (R, C)
            self.image.setRect(QRectF(-0.5, -0.5, C, R))
            self.mask_item.setRect(QRectF(-0.5, -0.5, C, R))
            self.plot.setRange(xRange=(-0.5, C - 0.5), yRange=(-0.5, R - 0.5), padding=0)
        if self.colorbar is not None:
            self.colorbar.setLevels(levels)
        self._set_ticks("bottom", col_labels, C)
        self._set_ticks("left", row_labels, R)
        self._set_cell_text(cell_text, levels)

    def _set_ticks(self, axis: str, labels, n: int) -> None:
        key = None if labels is None else tuple(str(s) for s in labels)
        if axis in self._tick_keys and self._tick_keys[axis] == key:
            return  # new ticks re-lay out the axis: only when they change
        self._tick_keys[axis] = key
        ax = self.plot.getAxis(axis)
        if labels is None:
            ax.setTicks(None)
        else:
            ax.setTicks([[(i, str(s)) for i, s in enumerate(labels)], []])

    def _set_cell_text(self, cell_text, levels) -> None:
        self._cell_text_on = cell_text is not None
        if cell_text is None:
            if self._cell_text_was_on:
                for t in self._texts:
                    t.setVisible(False)
            self._cell_text_was_on = False
            return
        cell_text = np.asarray(cell_text, dtype=object)
        R, C = cell_text.shape
        changed = (R, C) != self._text_shape
        if changed:
            for t in self._texts:
                self.plot.removeItem(t)
            self._texts = []
            f = font(app_style.current(), self.cell_font_scale)
            for r in range(R):
                for c in range(C):
                    t = pg.TextItem(anchor=(0.5, 0.5))
                    t.setFont(f)
                    t.setPos(QPointF(c, r))
                    self.plot.addItem(t)
                    self._texts.append(t)
            self._text_shape = (R, C)
            self._shown_text = [None] * (R * C)
        # Dark text on light cells, light text on dark cells (viridis is light at the top).
        lo, hi = levels
        frac = np.clip((np.nan_to_num(self.values, nan=lo) - lo) / max(hi - lo, 1e-12), 0, 1)
        for i, (text, light) in enumerate(zip(cell_text.ravel(), (frac > 0.6).ravel().tolist())):
            shown = (str(text), light)
            if shown != self._shown_text[i]:  # a TextItem's setText costs ~0.2 ms: only changes
                self._texts[i].setText(shown[0], color="#111111" if light else "#ffffff")
                self._shown_text[i] = shown
                changed = True
        if changed or not self._cell_text_was_on:
            self._fit_cell_text()
        self._cell_text_was_on = True

    def cell_at(self, scene_pos) -> tuple[int, int]:
        """The (row, column) under a scene position, or (-1, -1) outside the matrix."""
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return -1, -1
        p = self.plot.vb.mapSceneToView(scene_pos)
        r, c = int(np.floor(p.y() + 0.5)), int(np.floor(p.x() + 0.5))
        R, C = self.values.shape
        return (r, c) if 0 <= r < R and 0 <= c < C else (-1, -1)

    @Slot(object)
    def _on_scene_mouse_moved(self, pos) -> None:
        cell = self.cell_at(pos)
        if cell != self._hover:
            self._hover = cell
            self.cell_hovered.emit(*cell)

    @Slot(object)
    def _on_scene_mouse_clicked(self, event) -> None:
        cell = self.cell_at(event.scenePos())
        if cell != (-1, -1):
            self.cell_clicked.emit(*cell)

    def set_title(self, title: str) -> None:
        self._title = title
        style_plot_item(self.plot, app_style.current(), title)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.plot, st, self._title)
        f = font(st, self.cell_font_scale)
        for t in self._texts:
            t.setFont(f)
        self.empty_text.setFont(font(st))
        self.empty_text.setColor(st.muted)
        self._fit_cell_text()
        if self.colorbar is not None:
            self.colorbar.axis.setTickFont(font(st))
            self.colorbar.axis.setTextPen(pg.mkPen(st.foreground))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        if not getattr(self, "closed", False):  # a closed pyqtgraph view has cleared its scene
            self._apply(st)

    def to_csv(self, path) -> None:
        """The matrix with its labels, for File > Export figure… as CSV."""
        self._catch_up()
        R, C = self.values.shape
        rows = self._labels("left", R)
        cols = self._labels("bottom", C)
        with open(path, "w", encoding="utf-8") as f:
            f.write(",".join([""] + cols) + "\n")
            for label, row in zip(rows, self.values):
                f.write(",".join([label] + [f"{v:.6g}" for v in row]) + "\n")

    def _labels(self, axis: str, n: int) -> list[str]:
        ticks = self.plot.getAxis(axis)._tickLevels
        if ticks:
            return [str(label) for _, label in ticks[0]][:n]
        return [str(i) for i in range(n)]
