"""The plane of the Autograd tab's training page: the data points of both classes over the
network's decision regions (score < 0 blue, > 0 red, the boundary score = 0 as a line).
Clicking adds a point: left click the chosen class, Shift+click the other one."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot

from models.autograd.train import boundary_segments
from playground import style as app_style
from playground.widgets.plot_style import style_plot_item

CLASS_COLORS = {-1: "#0072B2", 1: "#D55E00"}  # Okabe-Ito blue and vermillion
CLASS_SYMBOLS = {-1: "o", 1: "t"}  # shapes differ too, so colour is never the only cue


class DecisionPlane(pg.PlotWidget):
    point_clicked = Signal(float, float, bool)  # x, y, shift held

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = "Decision regions (click to add a point)"
        item = self.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setAspectLocked(True)
        item.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get(app_style.current().diverging_colormap))
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.boundary = pg.PlotDataItem(connect="pairs")  # segments from boundary_segments
        item.addItem(self.boundary)
        self.scatter = {c: pg.ScatterPlotItem(symbol=CLASS_SYMBOLS[c], name=f"class {c:+d}")
                        for c in (-1, 1)}
        item.addLegend(offset=(10, 10))
        for s in self.scatter.values():
            item.addItem(s)
        self.bounds = (-1.5, 1.5, -1.5, 1.5)
        self.grid = None
        self.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    def set_bounds(self, bounds) -> None:
        self.bounds = tuple(float(b) for b in bounds)
        x0, x1, y0, y1 = self.bounds
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def set_points(self, X, y) -> None:
        X, y = np.asarray(X).reshape(-1, 2), np.asarray(y)
        for c, s in self.scatter.items():
            s.setData(X[y == c, 0], X[y == c, 1])

    def set_grid(self, grid, segments=None) -> None:
        """Scores (R, C) over self.bounds, row 0 at y0, and the score-0 line as segments (M, 2, 2)
        (computed here when not given). Coloured by tanh(score): which class, how sure."""
        self.grid = np.asarray(grid, dtype=np.float64)
        shaded = np.tanh(self.grid)  # (R, C) in (-1, 1)
        self.image.setImage(shaded, autoLevels=False, levels=(-2.5, 2.5))  # pale: points show
        R, C = self.grid.shape
        x0, x1, y0, y1 = self.bounds
        dx, dy = (x1 - x0) / max(C - 1, 1), (y1 - y0) / max(R - 1, 1)
        # pixel centres on the sample points (decision_grid samples the corners too)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, C * dx, R * dy))
        if segments is None:
            segments = boundary_segments(self.grid, self.bounds)
        points = np.asarray(segments).reshape(-1, 2)  # (2M, 2)
        self.boundary.setData(points[:, 0], points[:, 1])

    @Slot(object)
    def _on_scene_mouse_clicked(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        vb = self.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        x0, x1, y0, y1 = self.bounds
        if x0 <= p.x() <= x1 and y0 <= p.y() <= y1:
            shift = bool(event.modifiers() & Qt.ShiftModifier)
            self.point_clicked.emit(float(p.x()), float(p.y()), shift)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        style_plot_item(self.getPlotItem(), st, self._title)
        outline = pg.mkPen(st.foreground, width=1.2 * (1.5 if st.presentation else 1.0))
        for c, s in self.scatter.items():
            s.setSize(st.marker_size * 1.3)
            s.setPen(outline)
            s.setBrush(pg.mkBrush(CLASS_COLORS[c]))
        self.boundary.setPen(pg.mkPen(st.foreground, width=st.pen_width))

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)
