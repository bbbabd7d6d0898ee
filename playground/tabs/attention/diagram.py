"""The transformer as a column of boxes, bottom to top as in the papers' figures: the embeddings,
one block (LayerNorm, attention, the residual addition, LayerNorm, MLP, the residual addition)
with a chip for each of its copies, the final LayerNorm, the unembedding and the softmax. The
current stage is filled; clicking a box or a block chip goes there."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from models.attention.walkthrough import BLOCK_PARTS, PARTS
from playground import style as app_style
from playground.widgets.plot_style import font

LABELS = {"embed": "embeddings", "ln1": "LayerNorm", "qkv": "q, k, v", "heads": "attention heads",
          "proj": "projection", "add1": "+ residual", "ln2": "LayerNorm", "fc": "MLP up",
          "gelu": "GELU", "fc_out": "MLP down", "add2": "+ residual", "ln_f": "LayerNorm",
          "unembed": "unembedding", "softmax": "softmax"}


class BlockDiagram(QWidget):
    part_clicked = Signal(str)
    layer_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.part, self.layer, self.n_layer = "embed", None, 1
        self._boxes: dict[str, QRectF] = {}
        self._chips: dict[int, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)
        self.setToolTip("Where the walkthrough is: click a box to go to that stage, a block number "
                        "to go to that block")
        app_style.bus().changed.connect(self._on_style_changed)
        self._fit()

    def set_position(self, part: str, layer: int | None, n_layer: int) -> None:
        self.part, self.n_layer = part, n_layer
        self.layer = layer if layer is not None else self.layer
        self.update()

    def _fit(self) -> None:
        fm = QFontMetrics(font(app_style.current()))
        self.setFixedWidth(max(fm.horizontalAdvance(t) for t in LABELS.values()) + fm.height() * 3)
        self.setMinimumHeight(int(len(PARTS) * fm.height() * 0.8 + fm.height() * 3))

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(font(app_style.current()))
        return QSize(self.width(), int(len(PARTS) * fm.height() * 1.9 + fm.height() * 4))

    def _layout(self):
        """Box rectangles by part (bottom-up) and the block chips' rectangles."""
        fm = QFontMetrics(font(app_style.current()))
        chip_row = fm.height() * 1.3
        pad = fm.height() * 0.6  # the block frame's margin
        slots = len(PARTS)
        step = (self.height() - chip_row - 2 * pad - 6) / slots
        box_h = max(4.0, min(step * 0.78, fm.height() * 1.5))
        x, w = pad + 2, self.width() - 2 * pad - 4
        boxes = {}
        y = self.height() - 3
        for part in PARTS:  # bottom to top
            if part == "ln1":
                y -= pad
            if part == "ln_f":
                y -= pad + chip_row
            y -= step
            boxes[part] = QRectF(x, y + (step - box_h) / 2, w, box_h)
        top = boxes[BLOCK_PARTS[-1]].top() - chip_row - pad / 2
        frame = QRectF(2, top, self.width() - 4, boxes[BLOCK_PARTS[0]].bottom() + pad / 2 - top)
        chip_w = min(chip_row * 1.4, (frame.width() - fm.horizontalAdvance("block ") - 8) / max(self.n_layer, 1))
        chips = {i: QRectF(frame.left() + fm.horizontalAdvance("block ") + 6 + i * chip_w, top + 3,
                           chip_w - 3, chip_row - 4) for i in range(self.n_layer)}
        return boxes, chips, frame

    def paintEvent(self, event) -> None:
        st = app_style.current()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(st.background))
        boxes, chips, frame = self._layout()
        self._boxes, self._chips = boxes, chips
        fg, muted, accent = QColor(st.foreground), QColor(st.muted), QColor(st.series(1))
        # a short window: smaller letters in the boxes rather than cut ones
        scale = min(1.0, boxes["embed"].height() / QFontMetrics(font(st)).height())
        p.setFont(font(st, max(0.6, scale)))
        p.setPen(QPen(muted, 1, Qt.DashLine))
        p.setBrush(Qt.NoBrush)
        p.drawRoundedRect(frame, 6, 6)
        p.setPen(fg)
        p.drawText(QRectF(frame.left() + 4, frame.top() + 2, frame.width(), chips[0].height() + 2),
                   Qt.AlignLeft | Qt.AlignVCenter, "block")
        for i, r in chips.items():
            current = i == self.layer
            p.setPen(QPen(accent if current else muted, 2 if current else 1))
            p.setBrush(accent if current and self.part in BLOCK_PARTS else Qt.NoBrush)
            p.drawRoundedRect(r, 4, 4)
            p.setPen(fg)
            p.drawText(r, Qt.AlignCenter, str(i + 1))
        # the residual stream: a line up the left edge that every box reads from and adds to
        x = boxes["embed"].left() + 6
        p.setPen(QPen(muted, 2))
        p.drawLine(int(x), int(boxes["embed"].top()), int(x), int(boxes["softmax"].bottom()))
        for part, r in boxes.items():
            current = part == self.part
            p.setPen(QPen(accent if current else muted, 3 if current else 1))
            p.setBrush(accent if current else QColor(st.background))
            p.drawRoundedRect(r, 5, 5)
            p.setPen(QColor("#111111") if current else fg)
            p.drawText(r, Qt.AlignCenter, LABELS[part])

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        pos = event.position()
        for i, r in self._chips.items():
            if r.contains(pos):
                self.layer_clicked.emit(i)
                return
        for part, r in self._boxes.items():
            if r.contains(pos):
                self.part_clicked.emit(part)
                return

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._fit()
        self.update()
