"""Stands in for a tab whose module is missing or failed to import, so the app still opens."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout

from playground.tabs.base import Tab


class PlaceholderTab(Tab):
    def __init__(self, name: str, title: str, reason: str = "", parent=None):
        super().__init__(parent)
        self.name, self.title = name, title
        label = QLabel(f"<h2>{title}</h2><p>This tab is not available{': ' + reason if reason else '.'}</p>")
        label.setAlignment(Qt.AlignCenter)
        label.setWordWrap(True)
        QVBoxLayout(self).addWidget(label)
