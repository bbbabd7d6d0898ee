"""The explanation panel: what this tab shows and the formula behind it, in plain words."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QTextBrowser

from playground import style as app_style


class ExplainPanel(QTextBrowser):
    """Title + short HTML body (+ an optional formula line, set in a serif italic like a textbook)."""

    def __init__(self, title: str = "", body: str = "", formula: str = "", parent=None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self._content = (title, body, formula)
        self._render()
        app_style.bus().changed.connect(self._on_style_changed)

    def set_text(self, title: str, body: str, formula: str = "") -> None:
        self._content = (title, body, formula)
        self._render()

    def _render(self) -> None:
        st = app_style.current()
        title, body, formula = self._content
        html = f"<h3 style='font-size:{st.title_px}px; margin:0 0 6px 0'>{title}</h3>" if title else ""
        html += f"<div style='font-size:{st.font_px}px'>{body}</div>"
        if formula:
            html += (f"<p style='font-family:serif; font-style:italic; font-size:{round(st.font_px * 1.15)}px;"
                     f" margin-top:8px'>{formula}</p>")
        self.setHtml(html)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self._render()
