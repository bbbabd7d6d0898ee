"""One look for the whole app: theme, zoom and classroom presentation mode.

`current()` is the style in force; `bus().changed` fires after it changes. Widgets that paint
their own text or lines read `current()` in their paint/refresh code and connect
`bus().changed` to a slot that re-applies it. Plain Qt widgets follow the application font.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

BASE_FONT_PX = 14  # the smallest text in the app; presentation mode multiplies it by 1.75 (24.5 px)
PRESENTATION_SCALE = 1.75
ZOOM_STEPS = (0.75, 0.85, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)

# Okabe & Ito's colour-blind-safe palette: series colours that never rely on red vs green alone.
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Style:
    theme: str = "light"  # "light" or "dark"
    zoom: float = 1.0  # the user's Ctrl+= / Ctrl+- factor
    presentation: bool = False  # classroom mode: everything at least 1.75x, thicker pens

    @property
    def scale(self) -> float:
        return self.zoom * (PRESENTATION_SCALE if self.presentation else 1.0)

    @property
    def font_px(self) -> int:
        """Pixel size of ordinary text; nothing in the app is drawn smaller."""
        return round(BASE_FONT_PX * self.scale)

    @property
    def title_px(self) -> int:
        return round(self.font_px * 1.3)

    @property
    def pen_width(self) -> float:
        """Width of data lines in plots."""
        return (3.0 if self.presentation else 2.0) * self.zoom

    @property
    def marker_size(self) -> float:
        return 8.0 * self.scale

    @property
    def background(self) -> str:
        return "#ffffff" if self.theme == "light" else "#1e1e1e"

    @property
    def foreground(self) -> str:
        return "#111111" if self.theme == "light" else "#eeeeee"

    @property
    def muted(self) -> str:
        return "#666666" if self.theme == "light" else "#aaaaaa"

    @property
    def colormap(self) -> str:
        """Perceptually uniform and colour-blind safe (matplotlib's maps, shipped in pyqtgraph)."""
        return "viridis"

    @property
    def diverging_colormap(self) -> str:
        return "CET-D1A"  # blue-white-red, for signed values such as weights and gradients

    def series(self, i: int) -> str:
        return SERIES[i % len(SERIES)]

    def with_(self, **changes) -> "Style":
        return replace(self, **changes)


class _Bus(QObject):
    changed = Signal(object)  # the new Style


_current = Style()
_bus: _Bus | None = None


def current() -> Style:
    return _current


def bus() -> _Bus:
    global _bus
    if _bus is None:
        _bus = _Bus()
    return _bus


def set_style(style: Style) -> None:
    global _current
    if style != _current:
        _current = style
        bus().changed.emit(style)
