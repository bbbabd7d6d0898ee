"""The confusion matrix of the Digits Train page: counts on a log colour scale, each true digit's
accuracy beside its row when the rows have room for it (the digit alone, or every other digit,
when they do not: labels must never run into each other on a projector)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontMetrics

from playground import style as app_style
from playground.widgets.heatmap import Heatmap
from playground.widgets.plot_style import font as plot_font

TIP = ("Rows: the true digit (and how often the net reads it right); columns: the net's guess. Off the "
       "diagonal are its mistakes.")


class ConfusionView(Heatmap):
    def __init__(self, parent=None):
        super().__init__(parent, title="Confusion (test)", x_label="predicted", y_label="true: its accuracy",
                         colorbar=False, cell_font_scale=0.85)  # cell numbers >= 20 px in presentation, or hidden
        self.setToolTip(TIP)
        self.counts: np.ndarray | None = None  # (10, 10) shown, row = true digit
        self._rows = None  # (accuracy beside each row, every how many rows a label fits) drawn

    def set_counts(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts)
        self.set_title("Confusion (test)")
        self._label_rows(new=True)

    def per_class(self) -> np.ndarray:
        return np.diag(self.counts) / np.maximum(self.counts.sum(axis=1), 1)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._label_rows()

    def _label_rows(self, new: bool = False) -> None:
        """new=False (a resize): the matrix is drawn again only when the labels change."""
        if getattr(self, "counts", None) is None:  # nothing yet (or resized while being built)
            return
        st = app_style.current()
        px = st.font_px
        row_px = (self.height() - 4.5 * px) / 10  # less the title and the bottom axis
        label_px = QFontMetrics(plot_font(st)).horizontalAdvance("0: 99.9%")
        wide = self.width() >= label_px + 2.5 * px + 10 * 1.3 * px  # + the axis label and ten columns
        tall = row_px >= 1.15 * px and wide
        every = max(1, int(np.ceil(1.05 * px / max(row_px, 1.0))))
        if (tall, every) == self._rows and not new:
            return
        self._rows = (tall, every)
        acc = self.per_class()
        rows = [f"{d}: {a:.1%}" if tall else str(d) if d % every == 0 else "" for d, a in enumerate(acc)]
        self.setToolTip(TIP + "\nAccuracy of each digit: " + ", ".join(f"{d}: {a:.1%}" for d, a in enumerate(acc)))
        self.plot.setLabel("left", "true: its accuracy" if tall else "true")
        self.set_matrix(np.log1p(self.counts), rows, [str(d) for d in range(10)], cell_text=self.counts.astype(int))
