"""A drawing canvas for mouse or pen: thick, smooth, anti-aliased strokes you can undo.

Strokes are kept as point lists in canvas pixels (a fixed square resolution, independent of the
widget's size) and painted into a grayscale QImage: each new point adds one quadratic Bézier
piece through the midpoints of the last segments, so fast movements still give smooth curves
with no gaps. Undo repaints the remaining strokes. `array()` gives the picture as NumPy,
(H, W) float32 in [0, 1] with ink = 1, for models.digits.mnist.preprocess().
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground import style as app_style


class DrawingCanvas(QWidget):
    """Left button draws; right button clears (the tab binds the digits.clear / digits.undo keys). Signals: `changed` after every stroke event
    (and clear/undo/set_image), `stroke_finished` when the button is released."""
    changed = Signal()
    stroke_finished = Signal()

    def __init__(self, size: int = 280, pen_width: float = 20.0, parent=None):
        super().__init__(parent)
        self.resolution = size
        self.pen_width = pen_width
        self.strokes: list[list[QPointF]] = []
        self.background: QImage | None = None  # a loaded picture under the strokes (ink = white)
        self.image = QImage(size, size, QImage.Format_Grayscale8)
        self.image.fill(0)
        self._view: QImage | None = None  # what is on screen: dark ink on white at widget size
        self._overlay: QImage | None = None  # dropped ink, tinted (set_overlay)
        self._drawing = False
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.CrossCursor)
        self.setToolTip("Draw a digit with the mouse or a pen. Right click or Delete clears, Ctrl+Z undoes "
                        "the last stroke.")
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        app_style.bus().changed.connect(self._on_style_changed)

    # -- content -------------------------------------------------------------------------------
    def array(self) -> np.ndarray:
        """(H, W) float32 in [0, 1], ink = 1."""
        img = self.image
        raw = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
        rows = raw.reshape(img.height(), img.bytesPerLine())[:, :img.width()]
        return rows.astype(np.float32) * (1 / 255.0)  # (H, W)

    def is_drawing(self) -> bool:
        """True while a stroke is being drawn (the button is down)."""
        return self._drawing

    def is_empty(self) -> bool:
        return not self.strokes and self.background is None

    def clear(self) -> None:
        self.strokes.clear()
        self.background = None
        self._drawing = False
        self._repaint_image()

    def undo(self) -> None:
        """Remove the last stroke (or, with no strokes left, the loaded picture)."""
        if self.strokes:
            self.strokes.pop()
        elif self.background is not None:
            self.background = None
        else:
            return
        self._drawing = False
        self._repaint_image()

    def set_image(self, values: np.ndarray) -> None:
        """Show a picture (h, w) in [0, 1], ink = 1, scaled to fill the canvas; strokes are cleared."""
        v = np.ascontiguousarray(np.clip(np.asarray(values, np.float32), 0, 1) * 255).astype(np.uint8)
        h, w = v.shape
        img = QImage(v.data, w, h, w, QImage.Format_Grayscale8).copy()
        side = self.resolution
        scale = min(side / w, side / h)
        canvas = QImage(side, side, QImage.Format_Grayscale8)
        canvas.fill(0)
        p = QPainter(canvas)
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        target = QRectF((side - w * scale) / 2, (side - h * scale) / 2, w * scale, h * scale)
        p.drawImage(target, img)
        p.end()
        self.strokes.clear()
        self.background = canvas
        self._repaint_image()

    def set_overlay(self, mask: np.ndarray | None, rgb=(213, 94, 0)) -> None:
        """Tint the canvas pixels where mask (H, W) in [0, 1] is set (None: no tint), e.g. the
        specks that preprocessing dropped. Okabe-Ito vermillion by default: colour-blind safe."""
        if mask is None or not np.any(mask):
            changed, self._overlay = self._overlay is not None, None
        else:
            a = np.clip(np.asarray(mask, np.float32), 0, 1)
            rgba = np.zeros(a.shape + (4,), np.uint8)
            rgba[..., :3] = rgb
            rgba[..., 3] = (a * 255).astype(np.uint8)
            rgba = np.ascontiguousarray(rgba)
            h, w = a.shape
            self._overlay = QImage(rgba.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()
            changed = True
        if changed:
            self.update()

    def set_pen_width(self, width: float) -> None:
        """Width for new strokes, in canvas pixels."""
        self.pen_width = float(width)

    # -- painting into the image ---------------------------------------------------------------
    def _pen(self) -> QPen:
        pen = QPen(QColor(255, 255, 255), self.pen_width)
        pen.setCapStyle(Qt.RoundCap)
        pen.setJoinStyle(Qt.RoundJoin)
        return pen

    def _painter(self) -> QPainter:
        p = QPainter(self.image)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(self._pen())
        return p

    def _repaint_image(self) -> None:
        self._view = None  # rebuilt from the image at the next paint
        if self.background is not None:
            self.image = self.background.copy()
        else:
            self.image.fill(0)
        if self.strokes:
            p = self._painter()
            for stroke in self.strokes:
                p.setPen(self._stroke_pen(stroke))
                p.drawPath(_smooth_path(stroke))
            p.end()
        self.update()
        self.changed.emit()

    def _stroke_pen(self, stroke) -> QPen:
        pen = self._pen()
        pen.setWidthF(getattr(stroke, "width", self.pen_width))
        return pen

    def _add_point(self, pos: QPointF) -> None:
        stroke = self.strokes[-1]
        if stroke and (pos - stroke[-1]).manhattanLength() < 0.5:
            return  # no movement: nothing to draw, no event to send
        stroke.append(pos)
        p = self._painter()
        p.setPen(self._stroke_pen(stroke))
        n = len(stroke)
        if n == 1:
            path = QPainterPath(pos)
            path.lineTo(pos + QPointF(0.01, 0))  # a dot, for a click without movement
        else:
            # the piece from the midpoint before the last point to the newest midpoint, curving
            # through the last point: consecutive pieces join smoothly
            a = stroke[-3] if n >= 3 else stroke[-2]
            b, c = stroke[-2], stroke[-1]
            start = (a + b) / 2 if n >= 3 else b
            path = QPainterPath(start)
            path.quadTo(b, (b + c) / 2)
            path.lineTo(c)  # reach the pointer now; the next piece redraws over this stub
        p.drawPath(path)
        p.end()
        if self._view is not None:  # the same piece on the screen copy: no rescaling per event
            v = QPainter(self._view)
            v.setRenderHint(QPainter.Antialiasing, True)
            pen = self._stroke_pen(stroke)
            pen.setColor(QColor(0, 0, 0))
            v.setPen(pen)
            k = self._view.width() / self.resolution
            v.scale(k, k)
            v.drawPath(path)
            v.end()
            # repaint only around the new piece: the rest of the screen copy has not changed
            pad = pen.widthF() / 2 + 2
            box = path.boundingRect().adjusted(-pad, -pad, pad, pad)
            t = self._target()
            self.update(QRectF(t.x() + box.x() * k, t.y() + box.y() * k, box.width() * k,
                               box.height() * k).toAlignedRect())
        else:
            self.update()
        self.changed.emit()

    # -- Qt events -----------------------------------------------------------------------------
    def _target(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, pos) -> QPointF:
        t = self._target()
        s = self.resolution / t.width()
        return QPointF((pos.x() - t.x()) * s, (pos.y() - t.y()) * s)

    def mousePressEvent(self, event):
        if event.button() == Qt.RightButton:
            self.clear()
            return
        if event.button() == Qt.LeftButton:
            self._drawing = True
            stroke = _Stroke()
            stroke.width = self.pen_width
            self.strokes.append(stroke)
            self._add_point(self._to_canvas(event.position()))

    def mouseMoveEvent(self, event):
        if self._drawing and event.buttons() & Qt.LeftButton:
            self._add_point(self._to_canvas(event.position()))

    def mouseReleaseEvent(self, event):
        if self._drawing and event.button() == Qt.LeftButton:
            self._drawing = False
            self._repaint_image()  # the final smooth path, without the stubs of live drawing
            self.stroke_finished.emit()

    def paintEvent(self, event):
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        t = self._target()
        side = int(t.width())
        if self._view is None or self._view.width() != side:
            # white paper, dark ink, whatever the theme: it is a sheet to draw on
            self._view = _inverted(self.image).scaled(side, side, Qt.IgnoreAspectRatio, Qt.SmoothTransformation
                                                      ).convertToFormat(QImage.Format_RGB32)  # the screen's format
        p.drawImage(t.topLeft(), self._view)
        if self._overlay is not None:  # ink that preprocessing dropped, tinted
            p.drawImage(t, self._overlay)
        p.setPen(QPen(QColor(st.muted), max(1.0, st.zoom)))
        p.drawRect(t.adjusted(0, 0, -1, -1))
        if self.is_empty():
            f = p.font()
            f.setPixelSize(st.title_px)
            p.setFont(f)
            p.drawText(t, Qt.AlignCenter, "Draw a digit here")
        p.end()

    @Slot(object)
    def _on_style_changed(self, st):
        self.update()


class _Stroke(list):
    """The points of one stroke, and the pen width it was drawn with."""
    width: float = 20.0


def _smooth_path(points) -> QPainterPath:
    """Quadratic Bézier pieces through the midpoints of consecutive points (Chaikin-like)."""
    path = QPainterPath(points[0])
    if len(points) == 1:
        path.lineTo(points[0] + QPointF(0.01, 0))  # a dot: round caps on a tiny line
        return path
    for b, c in zip(points[1:-1], points[2:]):
        path.quadTo(b, (b + c) / 2)
    path.lineTo(points[-1])
    return path


def _inverted(image: QImage) -> QImage:
    img = image.copy()
    img.invertPixels()
    return img
