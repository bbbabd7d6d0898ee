"""The plane of the Autograd tab's training page: the data over the network's output.

Classification: score < 0 blue, > 0 red, the boundary score = 0 as a line; regression: the
prediction as a colour field and each point coloured by its target. Training points are
filled, test points hollow ("show test data"). Hovering or pinning a neuron in the network
view shows that neuron's heatmap here instead. Clicking adds a point: left click the chosen
class, Shift+click the other one.

The data's bounds are the range the plot must show (`set_bounds`); with the aspect locked the
view is usually larger on one axis, and `view_changed` says what it covers, so the page computes
the field over the whole visible view (no white bands, and a click anywhere adds a point).

The field goes to the image as RGBA colours (one lookup of 6,400 indices here), not as numbers
through the image's colour table: Qt scales an indexed 80 x 80 image to the plot's size in ~4 ms
a paint, an RGBA one in ~0.4 ms, and the field is repainted with every report.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot

from models.autograd.plane import boundary_segments
from playground import style as app_style
from playground.widgets.plot_style import style_plot_item

CLASS_COLORS = {-1: "#0072B2", 1: "#D55E00"}  # Okabe-Ito blue and vermillion
CLASS_SYMBOLS = {-1: "o", 1: "t"}  # shapes differ too, so colour is never the only cue
TITLE = "Output"  # short: a long pyqtgraph title widens the plot past a narrow window


class DecisionPlane(pg.PlotWidget):
    point_clicked = Signal(float, float, bool)  # x, y, shift held
    view_changed = Signal(object)  # (x0, x1, y0, y1) the plot shows now (resized or re-ranged)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._title = self._shown_title = TITLE
        self.setToolTip("The network's output at every point; click to add a training point "
                        "(Shift+click: the other class)")
        item = self.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setAspectLocked(True)
        item.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.boundary = pg.PlotDataItem(connect="pairs")  # segments from boundary_segments
        item.addItem(self.boundary)
        self.legend = item.addLegend(offset=(10, 10))
        self.scatter = {c: pg.ScatterPlotItem(symbol=CLASS_SYMBOLS[c], name=f"class {c:+d}")
                        for c in (-1, 1)}
        self.test_scatter = {c: pg.ScatterPlotItem(symbol=CLASS_SYMBOLS[c]) for c in (-1, 1)}
        self.targets = pg.ScatterPlotItem(symbol="o")  # regression: colour = target
        self.test_targets = pg.ScatterPlotItem(symbol="s")
        self.marker = pg.ScatterPlotItem(symbol="o")  # the point sent to the Graph page
        for s in (*self.scatter.values(), *self.test_scatter.values(), self.targets,
                  self.test_targets, self.marker):
            item.addItem(s)
        self.marker.setVisible(False)
        self.bounds = (-1.5, 1.5, -1.5, 1.5)  # what the shown grid covers
        self.grid = None  # the network's output (R, C)
        self.values = None  # the numbers the image shows now (its colours are their lookup)
        self._rect = None  # the image's rectangle in the plot, set again only when it moves
        self.neuron = None  # (grid, title) shown instead of the output
        self.task, self.discretize, self.show_test = "classify", False, True
        self._points = (np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0))
        self.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self._range_timer = QTimer(self)  # a resize moves the range many times: say it once
        self._range_timer.setSingleShot(True)
        self._range_timer.setInterval(40)
        self._range_timer.timeout.connect(self._on_range_timer_timeout)
        item.vb.sigRangeChanged.connect(self._on_vb_range_changed)
        self._said = None  # the visible range last sent by view_changed
        self._apply(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)

    # -- what to show ----------------------------------------------------------------------------
    def set_bounds(self, bounds) -> None:
        """The range the plot must show (the data's); the view may show more on one axis."""
        x0, x1, y0, y1 = (float(b) for b in bounds)
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def visible_bounds(self) -> tuple:
        """(x0, x1, y0, y1) the plot shows now."""
        (x0, x1), (y0, y1) = self.getPlotItem().vb.viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    def set_points(self, X, y, X_test=None, y_test=None) -> None:
        """Training points (filled) and test points (hollow)."""
        X_test = np.zeros((0, 2)) if X_test is None else X_test
        y_test = np.zeros(0) if y_test is None else y_test
        self._points = (np.asarray(X).reshape(-1, 2), np.asarray(y), np.asarray(X_test).reshape(-1, 2),
                        np.asarray(y_test))
        self._draw_points()

    def set_mode(self, task: str, discretize: bool, show_test: bool) -> None:
        self.task, self.discretize, self.show_test = task, discretize, show_test
        self._draw_points()
        self._draw_image()

    def set_grid(self, grid, segments=None, bounds=None) -> None:
        """The output (R, C) over `bounds` (default: as before), row 0 at y0, and the score-0
        line as segments (M, 2, 2) (computed here when not given)."""
        if bounds is not None:
            self.bounds = tuple(float(b) for b in bounds)
        self.grid = np.asarray(grid, dtype=np.float64)
        if segments is None:
            segments = boundary_segments(self.grid, self.bounds)
        points = np.asarray(segments).reshape(-1, 2)  # (2M, 2)
        self.boundary.setData(points[:, 0], points[:, 1])
        self._draw_image()

    def show_neuron(self, grid, title: str = "", draw: bool = True) -> None:
        """A neuron's heatmap instead of the output (None: back to the output)."""
        self.neuron = None if grid is None else (np.asarray(grid, np.float64), title)
        if draw:
            self._draw_image()

    def show(self, grid, segments, neuron=None, title: str = "", bounds=None) -> None:
        """The output and what is shown instead of it, drawn once (a live report), over `bounds`."""
        self.show_neuron(neuron, title, draw=False)
        self.set_grid(grid, segments, bounds)

    def mark(self, point) -> None:
        """Ring the point (x, y) the Graph page shows (None: no ring)."""
        if point is None:
            self.marker.setData([], [])
        else:
            self.marker.setData([point[0]], [point[1]])
        self.marker.setVisible(point is not None)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw_image(self) -> None:
        if self.neuron is not None:
            grid, title = self.neuron
            shown, levels = np.clip(grid, -1, 1), (-1.0, 1.0)  # a neuron at full strength
        elif self.grid is not None:
            grid, title = self.grid, self._title
            if self.discretize:
                shown = np.sign(grid)  # the class (or the sign of the prediction) only
            else:
                shown = np.tanh(grid) if self.task == "classify" else np.clip(grid, -1, 1)
            levels = (-2.5, 2.5) if self.task == "classify" else (-1.6, 1.6)  # pale: points show
        else:
            return
        self.values = shown
        lo, hi = levels
        index = np.clip(np.nan_to_num((shown - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
        self.image.setImage(self._lut[index], autoLevels=False)  # (R, C, 4) RGBA
        R, C = grid.shape
        x0, x1, y0, y1 = self.bounds
        dx, dy = (x1 - x0) / max(C - 1, 1), (y1 - y0) / max(R - 1, 1)
        # pixel centres on the sample points (the grid samples the corners too)
        rect = (x0 - dx / 2, y0 - dy / 2, C * dx, R * dy)
        if (rect, R, C) != self._rect:  # the item's scale is relative to the image's size
            self._rect = (rect, R, C)
            self.image.setRect(QRectF(*rect))
        self.boundary.setVisible(self.neuron is None and self.task == "classify")
        if title != self._shown_title:  # re-styling lays the plot out again: only on a change
            self._shown_title = title
            style_plot_item(self.getPlotItem(), app_style.current(), title)

    def _draw_points(self) -> None:
        X, y, Xt, yt = self._points
        classify = self.task == "classify"
        self.legend.setVisible(classify)
        for c in (-1, 1):
            self.scatter[c].setData(*(X[y == c].T if classify else ([], [])))
            shown = classify and self.show_test
            self.test_scatter[c].setData(*(Xt[yt == c].T if shown else ([], [])))
        st = app_style.current()
        self.targets.setData(*(X.T if not classify else ([], [])),
                             brush=[self._target_brush(v) for v in y] if not classify else None)
        show = not classify and self.show_test
        self.test_targets.setData(*(Xt.T if show else ([], [])),
                                  pen=[pg.mkPen(self._target_brush(v).color(), width=2.5 * st.zoom)
                                       for v in yt] if show else None)
        for s in (*self.test_scatter.values(), self.targets, self.test_targets):
            s.setVisible(len(s.data) > 0)  # an empty item is still painted with every report

    def _target_brush(self, v: float):
        return pg.mkBrush(*self._lut[int(np.clip((v + 1) / 2 * 255, 0, 255))])

    @Slot(object)
    def _on_scene_mouse_clicked(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        vb = self.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())  # anywhere in the view: the field covers it all
        shift = bool(event.modifiers() & Qt.ShiftModifier)
        self.point_clicked.emit(float(p.x()), float(p.y()), shift)

    @Slot(object, object)
    def _on_vb_range_changed(self, *_) -> None:
        self._range_timer.start()

    @Slot()
    def _on_range_timer_timeout(self) -> None:
        bounds = self.visible_bounds()
        x0, x1, y0, y1 = bounds
        if not (np.isfinite(bounds).all() and x1 > x0 and y1 > y0) or bounds == self._said:
            return
        self._said = bounds
        self.view_changed.emit(bounds)

    def _apply(self, st) -> None:
        self.setBackground(st.background)
        cmap = pg.colormap.get(st.diverging_colormap)
        self._lut = np.ascontiguousarray(cmap.getLookupTable(nPts=256, alpha=True), np.uint8)
        self._shown_title = self.neuron[1] if self.neuron is not None else self._title
        style_plot_item(self.getPlotItem(), st, self._shown_title)
        outline = pg.mkPen(st.foreground, width=1.2 * (1.5 if st.presentation else 1.0))
        hollow = 2.5 * (1.5 if st.presentation else 1.0)
        for c in (-1, 1):
            self.scatter[c].setSize(st.marker_size * 1.3)
            self.scatter[c].setPen(outline)
            self.scatter[c].setBrush(pg.mkBrush(CLASS_COLORS[c]))
            self.test_scatter[c].setSize(st.marker_size * 1.3)
            self.test_scatter[c].setPen(pg.mkPen(CLASS_COLORS[c], width=hollow))
            self.test_scatter[c].setBrush(pg.mkBrush(None))
        for s in (self.targets, self.test_targets):
            s.setSize(st.marker_size * 1.3)
        self.targets.setPen(outline)
        self.test_targets.setBrush(pg.mkBrush(None))
        self.marker.setSize(st.marker_size * 3.2)
        self.marker.setPen(pg.mkPen("#009E73", width=3 * (1.5 if st.presentation else 1.0)))
        self.marker.setBrush(pg.mkBrush(None))
        self.boundary.setPen(pg.mkPen(st.foreground, width=st.pen_width))
        self._draw_points()
        self._draw_image()  # the new colours

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._apply(st)
