"""The Names tab's "Check gradients" page: every parameter's hand-written gradient against a
numerical one (central differences, float64) on the current batch, as a table."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from playground import shortcuts

GOOD = 1e-6  # float64 central differences agree with a correct backward far better than this

# short headers: on a 1024-wide projector the long ones made the table scroll sideways (issue 13)
COLUMNS = (("parameter", "The layer and its parameter array"),
           ("max |analytic − numeric|", "The largest |analytic − numerical| difference over the entries checked"),
           ("max relative error", "The largest |a − n| / (|a| + |n|) over the entries checked"),
           ("entries", "How many entries of the array were nudged and checked"))


class GradCheckPage(QWidget):
    check_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("gradcheck")
        self.button = QPushButton("Check gradients")
        self.button.setToolTip("Nudge individual weights by ±1e-6 and compare how the loss changes "
                               "with the gradient backward() computed")
        shortcuts.bind(self.button, "names.gradcheck")
        self.button.clicked.connect(self.check_requested)
        self.note = QLabel("Compares each layer's hand-written backward pass with finite differences "
                           "on the current minibatch, in float64. Differences around 1e-9 or smaller "
                           "mean the calculus is right.")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        for c, (text, tip) in enumerate(COLUMNS):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(c, item)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.button, 0, Qt.AlignLeft)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        if busy:
            self.summary.setText("Checking…")

    def set_rows(self, rows: list[dict], batch_size: int) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            ok = row["max_abs_diff"] < GOOD
            cells = (row["name"], f"{row['max_abs_diff']:.1e}  {'✓' if ok else '✗'}",
                     f"{row['max_rel_error']:.1e}", str(row["checked"]))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        worst = max((row["max_abs_diff"] for row in rows), default=0.0)
        verdict = "every gradient matches" if worst < GOOD else "some gradients do NOT match"
        self.summary.setText(f"{len(rows)} parameter arrays on a batch of {batch_size}: largest difference "
                             f"{worst:.1e}: {verdict}.")
