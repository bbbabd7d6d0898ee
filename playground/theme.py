"""Applying a Style to the whole application: font size, palette, pyqtgraph defaults."""
from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QComboBox

from playground import style as app_style


def _palette(theme: str) -> QPalette:
    p = QPalette()
    if theme == "dark":
        colors = {QPalette.Window: "#2b2b2b", QPalette.WindowText: "#eeeeee", QPalette.Base: "#1e1e1e",
                  QPalette.AlternateBase: "#333333", QPalette.Text: "#eeeeee", QPalette.Button: "#3a3a3a",
                  QPalette.ButtonText: "#eeeeee", QPalette.Highlight: "#3d8fd1", QPalette.HighlightedText: "#ffffff",
                  QPalette.ToolTipBase: "#333333", QPalette.ToolTipText: "#eeeeee", QPalette.Link: "#6cb6ff",
                  QPalette.PlaceholderText: "#999999"}
    else:
        colors = {QPalette.Window: "#f2f2f2", QPalette.WindowText: "#111111", QPalette.Base: "#ffffff",
                  QPalette.AlternateBase: "#f5f5f5", QPalette.Text: "#111111", QPalette.Button: "#e8e8e8",
                  QPalette.ButtonText: "#111111", QPalette.Highlight: "#0072B2", QPalette.HighlightedText: "#ffffff",
                  QPalette.ToolTipBase: "#ffffdc", QPalette.ToolTipText: "#111111", QPalette.Link: "#0072B2",
                  QPalette.PlaceholderText: "#777777"}
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#888888"))
    p.setColor(QPalette.Disabled, QPalette.WindowText, QColor("#888888"))
    p.setColor(QPalette.Disabled, QPalette.Text, QColor("#888888"))
    return p


def _forget_combo_sizes() -> None:
    """A font change leaves a combo box's cached minimum size as it was (presentation-tall after
    F5 off); a style-change event is what makes it measure again."""
    for combo in (w for w in QApplication.allWidgets() if isinstance(w, QComboBox)):
        QApplication.sendEvent(combo, QEvent(QEvent.StyleChange))
        combo.updateGeometry()


def apply(style: app_style.Style) -> None:
    """Make `style` the app's look; widgets listening on style.bus() restyle themselves."""
    app = QApplication.instance()
    if app is not None:
        font = QFont(app.font())
        font.setPixelSize(style.font_px)
        app.setFont(font)
        app.setPalette(_palette(style.theme))
        app.setStyle("Fusion")
        QTimer.singleShot(0, _forget_combo_sizes)  # once the font change has reached every widget
    if "pyqtgraph" in sys.modules:  # else apply_plots() sets them before the first plot is made
        apply_plots(style)
    app_style.set_style(style)


def apply_plots(style: app_style.Style) -> None:
    """pyqtgraph's defaults for plots made from now on (importing it: ~0.3 s, after the window shows)."""
    import pyqtgraph as pg

    pg.setConfigOptions(background=style.background, foreground=style.foreground)
