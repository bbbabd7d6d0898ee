"""The "Inside the net" page: first-layer weights as 28x28 images and the hidden activations
for the current drawing."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground import style as app_style
from playground.tabs.digits.views import TileGrid

UNITS_SHOWN = 36  # first-layer units drawn as weight images


def grid_shape(n: int) -> tuple[int, int]:
    """A near-square (rows, cols) with rows * cols >= n, cols >= rows."""
    rows = max(1, int(np.floor(np.sqrt(n))))
    return rows, -(-n // rows)


class InsidePage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.order = QComboBox()
        self.order.addItems(["most active for the drawing", "unit number"])
        self.order.setToolTip("Which first-layer units to show: those your drawing excites most, or units 0, 1, 2, …")
        self.order.currentIndexChanged.connect(self._on_order_changed)
        self.weights = TileGrid("Weights appear when a model is loaded.")
        self.weights.setToolTip("Each image is one hidden unit's 784 incoming weights: red pixels push the unit "
                                "up when inked, blue pixels push it down.")
        self.activations = TileGrid("Draw a digit to see which hidden units fire.")
        self.activations.setToolTip("Every hidden unit's ReLU output for the current input, one square per unit "
                                    "(bright = active, dark = silent).")
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show units:"))
        top.addWidget(self.order)
        top.addStretch(1)
        w_box = QGroupBox(f"First-layer weights ({UNITS_SHOWN} units)")
        QVBoxLayout(w_box).addWidget(self.weights)
        a_box = QGroupBox("Hidden activations for the current input")
        a_layout = QVBoxLayout(a_box)
        a_layout.addWidget(self.activations, 1)
        a_layout.addWidget(self.caption)
        body = QHBoxLayout()
        body.addWidget(w_box, 3)
        body.addWidget(a_box, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self.net = None
        self.x = np.zeros(784, np.float32)

    def show_state(self, net, x: np.ndarray) -> None:
        """Redraw for `net` and the input x (784,) or (28, 28)."""
        self.net, self.x = net, np.asarray(x, np.float32).reshape(784)
        if net is None:
            return
        hidden = net.hidden(self.x[None])  # list of (1, n)
        first = hidden[0][0]
        if self.order.currentIndex() == 0 and first.max() > 0:
            units = np.argsort(-first)[:UNITS_SHOWN]
        else:
            units = np.arange(min(UNITS_SHOWN, len(first)))
        cmap = app_style.current().diverging_colormap
        self.weights.set_tiles(net.W[0][:, units].T.reshape(-1, 28, 28), [f"#{u}" for u in units],
                               cmap=cmap, symmetric=True)
        tiles, captions = [], []
        top = max(float(max(h.max() for h in hidden)), 1e-6)
        for i, h in enumerate(hidden):
            rows, cols = grid_shape(h.shape[1])
            padded = np.full(rows * cols, np.nan, np.float32)
            padded[:h.shape[1]] = h[0]
            tiles.append(np.nan_to_num(padded, nan=0.0).reshape(rows, cols))
            captions.append(f"layer {i + 1}: {h.shape[1]} units, {int((h > 0).sum())} active")
        if len(set(t.shape for t in tiles)) == 1:
            self.activations.set_tiles(np.stack(tiles), captions, cmap="viridis", levels=(0.0, top))
        else:  # two hidden layers of different widths: show the first, name both
            self.activations.set_tiles(tiles[0][None], captions[:1], cmap="viridis", levels=(0.0, top))
        self.caption.setText(" · ".join(captions) if len(captions) > 1 else
                             "The weight images on the left belong to the brightest squares here.")

    @Slot(int)
    def _on_order_changed(self, index):
        self.show_state(self.net, self.x)
