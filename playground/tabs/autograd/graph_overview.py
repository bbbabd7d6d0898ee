"""The overview in the graph view's corner: the whole graph as small boxes (no text: it is a map,
not something to read), the part the view shows as a frame, and the node backward is filling
as an orange dot. Shown only while the view shows part of the graph; click or drag on it to
move the view there.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from playground import shortcuts
from playground import style as app_style

BLUE, ORANGE = "#0072B2", "#E69F00"
SHARE = 0.28  # of the view's width (and at most 0.4 of its height)
MARGIN = 8  # px from the view's corner


class GraphOverview(QWidget):
    def __init__(self, view):
        super().__init__(view.viewport())
        self.view = view
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("The whole graph: the frame is what the view shows; click or drag to "
                        "move it (A shows the whole graph, F fits it readably; "
                        f"{shortcuts.text('clean_view')} hides the controls to give it room)")
        self._boxes: list[tuple[QRectF, bool]] = []  # scene rect of each value box, is a leaf
        self._scene = QRectF()
        self._visible = QRectF()
        self._current: QRectF | None = None
        self._pixmap: QPixmap | None = None
        self.restyle(app_style.current())
        self.hide()

    # -- what the view tells it ------------------------------------------------------------------
    def restyle(self, st) -> None:
        dark = st.theme == "dark"
        self._colors = (QColor("#303030" if dark else "#f4f4f4"), QColor(st.foreground),
                        QColor("#4d7ea8" if dark else "#9cc3e6"), QColor("#8a8a8a" if dark else "#a8a8a8"))
        self._pixmap = None
        self.update()

    def set_boxes(self, boxes, scene: QRectF) -> None:
        self._boxes, self._scene, self._pixmap = list(boxes), QRectF(scene), None
        self.update()

    def set_current(self, rect: QRectF | None) -> None:
        self._current = None if rect is None else QRectF(rect)
        if self.isVisible():
            self.update()

    def follow(self, scene: QRectF, visible: QRectF, whole: bool) -> None:
        """The view moved or resized: the frame follows; hidden while the view shows it all."""
        self._visible = QRectF(visible)
        if whole or not scene.isValid() or scene.width() <= 0 or scene.height() <= 0:
            self.hide()
            return
        port = self.view.viewport().rect()
        w = port.width() * SHARE
        h = w * scene.height() / scene.width()
        if h > port.height() * 0.4:
            h = port.height() * 0.4
            w = h * scene.width() / scene.height()
        w, h = max(int(w), 40), max(int(h), 24)
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
            self._pixmap = None
        self.move(port.width() - w - MARGIN, port.height() - h - MARGIN)
        self.show()
        self.raise_()
        self.update()

    # -- drawing and moving the view -------------------------------------------------------------
    def _to_map(self, r: QRectF) -> QRectF:
        sx, sy = self.width() / self._scene.width(), self.height() / self._scene.height()
        return QRectF((r.x() - self._scene.x()) * sx, (r.y() - self._scene.y()) * sy,
                      r.width() * sx, r.height() * sy)

    def _draw_boxes(self) -> QPixmap:
        """The boxes drawn once per layout and size (a few hundred rects), reused on every move."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        background, text, leaf, box = self._colors
        pixmap.fill(background)
        p = QPainter(pixmap)
        for rect, is_leaf in self._boxes:
            p.fillRect(_at_least(self._to_map(rect), 2), leaf if is_leaf else box)
        p.setPen(QPen(text, 1))
        p.drawRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1))
        p.end()
        return pixmap

    def paintEvent(self, event) -> None:
        if not self._scene.isValid() or self._scene.width() <= 0:
            return
        if self._pixmap is None:
            self._pixmap = self._draw_boxes()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._pixmap)
        p.setRenderHint(QPainter.Antialiasing)
        if self._current is not None:
            c = self._to_map(self._current).center()
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(ORANGE))
            p.drawEllipse(c, 5, 5)
        p.setPen(QPen(QColor(BLUE), 2.5))
        p.setBrush(Qt.NoBrush)
        frame = self._to_map(self._visible).intersected(QRectF(1, 1, self.width() - 2,
                                                              self.height() - 2))
        frame = _at_least(frame, 8)  # a huge graph's view is still a frame, not a dot
        frame.moveLeft(min(max(frame.left(), 1), self.width() - 1 - frame.width()))
        frame.moveTop(min(max(frame.top(), 1), self.height() - 1 - frame.height()))
        p.drawRect(frame)
        p.end()

    def mousePressEvent(self, event) -> None:
        self._move_view(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self._move_view(event.position())
        event.accept()

    def _move_view(self, pos: QPointF) -> None:
        x = self._scene.x() + pos.x() / self.width() * self._scene.width()
        y = self._scene.y() + pos.y() / self.height() * self._scene.height()
        self.view.centerOn(x, y)


def _at_least(rect: QRectF, size: float) -> QRectF:
    """The rect grown about its centre to at least size x size pixels."""
    w, h = max(rect.width(), size), max(rect.height(), size)
    c = rect.center()
    return QRectF(c.x() - w / 2, c.y() - h / 2, w, h)
