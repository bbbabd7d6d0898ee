"""The Bigram tab's "Count matrix" page: the matrix takes the room, and its own controls (Fit,
Read, zoom) and the hovered or selected cell's numbers sit in a column beside it. Height is what a
projector lacks, so nothing sits above the matrix; the column takes the width a square matrix
cannot use."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground import style as app_style
from playground.tabs.bigram.matrix import MatrixView
from playground.widgets.side_panel import group


class CountPage(QObject):
    """Builds the page (`widget`, a plain QWidget: lessons address the matrix by that path) and
    keeps its column fitted as the page resizes and the text size changes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix = MatrixView(fit=True)
        self.matrix.zoom_changed.connect(self.fit_column)  # Fit, Read and zooming
        fit_button = QPushButton("&Fit")
        fit_button.setToolTip("Show the whole matrix; numbers appear where they fit (F)")
        fit_button.clicked.connect(self._on_fit_clicked)
        read_button = QPushButton("&Read")
        read_button.setToolTip("Cells just large enough to read every number; scroll to move")
        read_button.clicked.connect(self._on_read_clicked)
        zoom_out, zoom_in = QPushButton("−"), QPushButton("+")
        zoom_out.setToolTip("Smaller cells (- or Ctrl+wheel on the matrix)")
        zoom_in.setToolTip("Larger cells and text (+ or Ctrl+wheel on the matrix)")
        zoom_out.clicked.connect(self._on_zoom_out_clicked)
        zoom_in.clicked.connect(self._on_zoom_in_clicked)
        caption = QLabel("rows: the character before<br>columns: the one after")
        caption.setWordWrap(True)
        self.cell_label = QLabel("Hover over or click a cell.")
        self.cell_label.setWordWrap(True)
        self.cell_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.cell_label.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        buttons = QGridLayout()
        for i, b in enumerate((fit_button, read_button, zoom_out, zoom_in)):
            buttons.addWidget(b, i // 2, i % 2)
        column = QVBoxLayout()
        column.addWidget(caption)
        column.addLayout(buttons)
        column.addWidget(group("Cell", self.cell_label), 1)
        self.column = QWidget()
        self.column.setLayout(column)
        self.widget = QWidget()
        self.widget.installEventFilter(self)  # its resizes fit the column
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.matrix, 1)
        layout.addWidget(self.column, 1)
        self.fit_column()
        app_style.bus().changed.connect(self._on_style_changed)

    @Slot()
    def fit_column(self) -> None:
        """Wide enough for a cell's numbers at any text size (what the page asks for, so what the
        window's folding rule reads), and wider, up to 16 characters, with the width that a Fit
        matrix, square and as tall as the page, leaves."""
        px = app_style.current().font_px
        width = floor = max(190, round(px * 9.5))
        R, C = self.matrix.data.shape
        if self.matrix.fit and R:
            left, top = self.matrix.data.header_size(self.matrix.geom().labels)
            need = left + (self.matrix.viewport().height() - top) * C / R + 30  # frame and spacing
            width = int(max(floor, min(self.widget.width() - need, px * 16)))
        self.column.setMinimumWidth(floor)
        if abs(self.column.maximumWidth() - width) > 4:
            self.column.setMaximumWidth(width)  # it stretches up to this

    def eventFilter(self, obj, event) -> bool:
        if obj is self.widget and event.type() == QEvent.Resize:
            self.fit_column()
        return False

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.fit_column()

    @Slot()
    def _on_fit_clicked(self) -> None:
        self.matrix.set_fit(True)

    @Slot()
    def _on_read_clicked(self) -> None:
        self.matrix.set_fit(False)

    @Slot()
    def _on_zoom_in_clicked(self) -> None:
        self.matrix.zoom_by(1.25)

    @Slot()
    def _on_zoom_out_clicked(self) -> None:
        self.matrix.zoom_by(0.8)
