"""Applying the app's Style to pyqtgraph items (fonts, pens, background) in one place."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem

from playground.style import Style

pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")


def font(style: Style, scale: float = 1.0, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(max(1, round(style.font_px * scale)))
    f.setBold(bold)
    return f


def style_plot_item(item: pg.PlotItem, style: Style, title: str | None = None) -> None:
    """Fonts and pens of a PlotItem's axes, title and legend.

    Axes are cached as pixmaps: an axis with a grid spans the whole plot, so every new point of
    a live curve repainted it, replaying all its tick texts (a third to two thirds of a loss
    plot's paint); cached, it is blitted until its ticks change."""
    fg = style.foreground
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        axis.setPen(pg.mkPen(fg, width=max(1.0, style.zoom * (1.5 if style.presentation else 1.0))))
        axis.setTextPen(pg.mkPen(fg))
        axis.setTickFont(font(style))
        axis.setStyle(tickTextOffset=max(4, style.font_px // 3))
        if axis.labelText:
            axis.setLabel(axis.labelText, units=axis.labelUnits, **{"color": fg, "font-size": f"{style.font_px}px"})
    if title is not None:
        item.setTitle(title, color=fg, size=f"{style.title_px}px")
    legend = item.legend
    if legend is not None:
        legend.setLabelTextColor(fg)
        legend.setLabelTextSize(f"{style.font_px}pt" if False else f"{style.font_px}px")
        for sample, label in legend.items:
            label.setText(label.text, color=fg, size=f"{style.font_px}px")


class ReadableAxis(pg.AxisItem):
    """A vertical axis whose labelled ticks stay 1.8 lines of text apart. pyqtgraph spaces ticks
    for ~14 px text and keeps at least two intervals, so on a short axis presentation text
    (24 px) ran together ("0.80.60.4"); here the step grows 1 → 2 → 5 → 10 until it fits."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or self.orientation not in ("left", "right") or size <= 0 or maxVal == minVal:
            return levels
        from playground.style import current

        px_per_unit = size / abs(maxVal - minVal)
        need = 1.8 * current().font_px
        readable = [level for level in levels if level[0] * px_per_unit >= need]
        if readable:
            return readable
        spacing = levels[0][0]
        for _ in range(30):  # 30 steps: a factor of 10^10, far beyond any axis
            if spacing * px_per_unit >= need:
                break
            mantissa = spacing / 10 ** math.floor(math.log10(spacing))
            spacing *= 2.5 if 1.5 < mantissa < 3 else 2.0  # 1 -> 2 -> 5 -> 10
        return [(spacing, 0.0)]
