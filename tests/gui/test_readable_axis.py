"""Loss plots' vertical axes keep their labels apart at any text size (presentation: 24 px)."""
import pytest

from playground import style as app_style
from playground import theme
from playground.widgets.loss_plot import LossPlot
from playground.widgets.plot_style import ReadableAxis


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("size", [60, 103, 180, 400, 900])
@pytest.mark.parametrize("span", [(0.0, 1.0), (1.9, 3.4), (0.0, 20_000.0), (-3.0, -1.0)])
def test_labelled_ticks_are_two_lines_of_text_apart(qtbot, presentation, size, span):
    theme.apply(app_style.Style(presentation=presentation))
    axis = ReadableAxis("left")
    lo, hi = span
    px_per_unit = size / (hi - lo)
    levels = axis.tickSpacing(lo, hi, size)
    assert levels and all(spacing * px_per_unit >= 1.8 * app_style.current().font_px for spacing, _ in levels)
    spacing = levels[0][0]
    mantissa = round(spacing / 10 ** __import__("math").floor(__import__("math").log10(spacing)), 6)
    assert mantissa in (1.0, 2.0, 5.0)  # still round numbers


def test_the_loss_plot_uses_it(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    assert isinstance(plot.getPlotItem().getAxis("left"), ReadableAxis)
